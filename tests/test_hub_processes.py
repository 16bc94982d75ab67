"""The built-in hub across processes: ``syndicate serve`` does its work while another process
writes; in queue mode a scheduler queues it and a worker does it (PostgreSQL only)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from helpers.database import BACKEND
from helpers.live import serve
from helpers.processes import Children, child_env, free_port, wait_for
from helpers.subscriber import Subscribers

from syndicate.config import ScheduleSettings, Settings
from syndicate.refresh.queue import RefreshQueue
from syndicate.store import Store
from syndicate.store.hub import ACTIVE

ARTICLE = """---
title: {title}
date: 2024-05-06T10:00:00Z
categories: [News]
---
A harbour story, told at length so that it is an article.
"""


@pytest.fixture
def subscribers() -> Iterator[Subscribers]:
    with Subscribers() as running:
        yield running


def hub_env(
    tmp_path: Path, database_url: str, port: int, mode: str = "inprocess"
) -> dict[str, str]:
    config = tmp_path / "syndicate.toml"
    config.write_text(
        f'[site]\nbase_url = "http://127.0.0.1:{port}"\n\n'
        f"[websub]\nbuiltin = true\nretry_base = 0.1\ntimeout = 3\n\n"
        f'[schedule]\nmode = "{mode}"\nheartbeat = 0.3\nstalled_after = 1.2\n',
        encoding="utf-8",
    )
    env = child_env(config, database_url)
    env["SYNDICATE_ALLOW_PRIVATE_NETWORKS"] = "1"
    return env


def post_form(port: int, form: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            "/websub/hub",
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return conn.getresponse().status
    finally:
        conn.close()


def ingest(children: Children, env: dict[str, str], folder: Path, title: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "harbour.md").write_text(ARTICLE.format(title=title), encoding="utf-8")
    process = children.start(env, "ingest", str(folder))
    assert process.wait(timeout=60) == 0, children.logs()


def test_serve_delivers_what_another_process_wrote(
    tmp_path: Path, store: Store, settings: Settings, subscribers: Subscribers, children: Children
) -> None:
    port = free_port()
    env = hub_env(tmp_path, settings.database_url, port)
    ingest(children, env, tmp_path / "content", "Harbour reopens")
    serve = children.start(env, "serve", "--port", str(port), "--no-scheduler")
    callback = subscribers.add("reader")
    topic = f"http://127.0.0.1:{port}/feeds/news.rss"
    try:
        wait_for(lambda: _up(port), 20, "syndicate serve answering", children)
        form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback}
        assert post_form(port, form) == 202
        wait_for(lambda: [s.state for s in store.hub.subscriptions()] == [ACTIVE], 20, "verified")
        ingest(children, env, tmp_path / "content", "Harbour reopens again")  # another process
        wait_for(lambda: bool(subscribers["reader"].deliveries), 20, "delivery", children)
    finally:
        children.stop(serve)  # SIGTERM: granian stops its worker process too
    [delivery] = subscribers["reader"].deliveries
    assert b"Harbour reopens again" in delivery.body
    assert delivery.headers["link"].startswith(f'<{topic}>; rel="self"')


@pytest.mark.skipif(BACKEND != "postgresql", reason="the task queue lives in PostgreSQL")
def test_in_queue_mode_a_scheduler_queues_the_work_and_a_worker_does_it(
    tmp_path: Path, store: Store, settings: Settings, subscribers: Subscribers, children: Children
) -> None:
    queued = replace(
        settings,
        schedule=ScheduleSettings(mode="queue", heartbeat=0.3, stalled_after=1.2),
        fetch=replace(settings.fetch, allow_private_networks=True),
        websub=replace(settings.websub, builtin=True),
    )
    with RefreshQueue(queued) as queue:
        queue.init()
    callback = subscribers.add("reader")
    with serve(queued, store) as live:  # a web process: it only keeps the request
        port = live.server.port  # the children's base URL is this site's
        env = hub_env(tmp_path, settings.database_url, port, mode="queue")
        ingest(children, env, tmp_path / "content", "Harbour reopens")
        children.start(env, "worker", "--concurrency", "4")
        children.start(env, "scheduler")
        form = {"hub.mode": "subscribe", "hub.callback": callback}
        form["hub.topic"] = f"http://127.0.0.1:{port}/feeds/news.rss"
        assert live.post("/websub/hub", form).status == 202
        verified = lambda: [s.state for s in store.hub.subscriptions()] == [ACTIVE]  # noqa: E731
        wait_for(verified, 30, "verified by a worker", children)
        assert subscribers["reader"].verifications[0]["hub.mode"] == "subscribe"
        ingest(children, env, tmp_path / "content", "Harbour reopens again")
        wait_for(lambda: bool(subscribers["reader"].deliveries), 30, "delivery", children)
    assert b"Harbour reopens again" in subscribers["reader"].deliveries[0].body


def _up(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()
