"""What operators do from the CLI and what the scheduler makes of it: `syndicate articles`,
`syndicate sources add|remove|pause|resume|log`, and the scheduler following the roster and
the refresh requests in the store without a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.articles import article
from helpers.processes import wait_for
from helpers.upstream import FIRST, Reply, TestServer, rss

from syndicate.cli import cli
from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.errors import ConfigError
from syndicate.refresh import Refresher
from syndicate.refresh import roster as operators
from syndicate.refresh.schedule import RefreshScheduler
from syndicate.store import Store
from syndicate.text.dates import utc_now


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        running.serve("/f", Reply(rss(*FIRST)))
        yield running


@pytest.fixture
def env(tmp_path: Path, settings: Settings, server: TestServer) -> dict[str, str]:
    config = tmp_path / "syndicate.toml"
    config.write_text(
        f'[database]\nurl = "{settings.database_url}"\n\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{server.url("/f")}"\n'
        "allow_private = true\n"
    )
    return {"SYNDICATE_CONFIG": str(config)}


def run(env: dict[str, str], *args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input)


def test_articles_list_show_unpublish_publish_delete(env, store: Store) -> None:
    store.upsert_many(article(n) for n in range(1, 4))
    later = replace(article(9), published=utc_now() + timedelta(days=1))
    store.upsert(later)
    listed = run(env, "articles", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0].startswith(f"{later.id}  scheduled")
    assert f"{article(3).id}  published" in listed.output
    waiting = run(env, "articles", "list", "--scheduled", "--json")
    assert [json.loads(line)["id"] for line in waiting.output.splitlines()] == [later.id]
    sports = run(env, "articles", "list", "--category", "sports", "--json")
    assert [json.loads(line)["title"] for line in sports.output.splitlines()] == ["Article 1"]
    shown = run(env, "articles", "show", article(2).id)
    assert "status: published" in shown.output and "title: Article 2" in shown.output
    assert run(env, "articles", "unpublish", article(2).id).exit_code == 0
    assert [a.id for a in store.latest()] == [article(3).id, article(1).id]
    assert '"status": "unpublished"' in run(env, "articles", "show", article(2).id, "--json").output
    assert run(env, "articles", "publish", article(2).id).output.startswith("published")
    assert len(store.latest()) == 3
    refused = run(env, "articles", "delete", article(2).id, input="n\n")
    assert refused.exit_code == 1 and store.get(article(2).id) is not None
    assert run(env, "articles", "delete", article(2).id, "--yes").exit_code == 0
    assert store.get(article(2).id) is None
    gone = run(env, "articles", "show", article(2).id)
    assert gone.exit_code == 1 and "deleted" in gone.output
    assert run(env, "articles", "show", "no-such-id").exit_code == 1


def test_sources_add_pause_resume_remove_and_log(env, store: Store, server: TestServer) -> None:
    added = run(env, "sources", "add", "desk", "--kind", "feed", "--url", server.url("/f"),
                "--interval", "15m", "--allow-private")  # fmt: skip
    assert added.exit_code == 0, added.output
    health = run(env, "sources")
    assert "desk (feed)" in health.output and "added at run time" in health.output
    assert "every 900 s" in health.output
    bad = run(env, "sources", "add", "x", "--kind", "feed", "--url", "ftp://nope")
    assert bad.exit_code == 2 and "url" in bad.output
    taken = run(env, "sources", "add", "wire", "--kind", "feed", "--url", server.url("/f"))
    assert taken.exit_code == 2 and "in use" in taken.output
    assert run(env, "sources", "pause", "wire").exit_code == 0
    assert "wire (feed, paused)" in run(env, "sources").output
    refreshed = run(env, "refresh")  # every enabled source: the paused one is left out
    assert "desk: ok" in refreshed.output and "wire:" not in refreshed.output
    assert run(env, "sources", "resume", "wire").exit_code == 0
    assert "paused" not in run(env, "sources").output
    log = run(env, "sources", "log", "desk")
    assert " ok " in log.output and "2 new" in log.output
    kept = run(env, "sources", "remove", "wire")
    assert kept.exit_code == 2 and "read-only" in kept.output
    assert run(env, "sources", "remove", "desk").exit_code == 0
    assert "desk" not in run(env, "sources").output
    assert store.count("desk") == 2  # its articles stay
    assert run(env, "sources", "pause", "nobody").exit_code == 2


def test_the_scheduler_follows_the_roster_and_refresh_requests(
    settings: Settings, store: Store, server: TestServer
) -> None:
    wire = SourceSettings(
        name="wire", kind="feed", url=server.url("/f"), allow_private=True, interval=3600
    )
    configured = replace(
        settings, sources=(wire,), schedule=ScheduleSettings(jitter=1, backoff_max=3600)
    )
    store.record_success("wire", at=utc_now())  # refreshed just now: not due for an hour
    refresher = Refresher(configured, store)
    sched = RefreshScheduler(configured, refresher, control_interval=0.1)
    sched.start()
    try:
        assert server.hits["/f"] == 0
        operators.request_refresh(configured, store, "wire", now=utc_now())
        wait_for(lambda: server.hits["/f"] == 1, what="the requested refresh")
        assert store.controls.requested() == {}  # the request was taken
        server.serve("/g", Reply(rss(("x", "Extra", "Body."))))
        operators.add_source(
            configured,
            store,
            {"name": "extra", "kind": "feed", "url": server.url("/g"), "allow_private": True},
            now=utc_now(),
        )
        wait_for(lambda: server.hits["/g"] >= 1, what="the added source's first run")
        assert sched.next_run_time("extra") is not None
        operators.set_paused(configured, store, "extra", True)
        wait_for(lambda: sched.next_run_time("extra") is None, what="the pause")
        operators.request_refresh(configured, store, "extra", now=utc_now())  # once, though paused
        wait_for(lambda: server.hits["/g"] >= 2, what="a refresh of a paused source")
        operators.set_paused(configured, store, "extra", False)
        wait_for(lambda: sched.next_run_time("extra") is not None, what="the resume")
        operators.remove_source(configured, store, "extra")
        wait_for(lambda: sched.next_run_time("extra") is None, what="the removal")
    finally:
        sched.shutdown()
        refresher.close()
    with pytest.raises(ConfigError, match="read-only"):
        operators.remove_source(configured, store, "wire")
