"""Health checks: ``/healthz`` costs nothing; ``/healthz?deep=1`` checks the database and the
scheduler's last tick, and answers 503 with the reason when either is wrong."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from helpers.live import serve
from sqlalchemy import event

from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.refresh import Refresher
from syndicate.refresh.schedule import RefreshScheduler
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.web import STORE_KEY

SOURCE = SourceSettings(name="desk", kind="folder", path="nowhere", interval=3600)


@pytest.fixture
def scheduled(settings: Settings) -> Settings:
    """Settings with one enabled source: a scheduler is expected to tick."""
    return replace(settings, sources=(SOURCE,), schedule=ScheduleSettings(stalled_after=30))


def test_the_shallow_check_runs_no_query(settings: Settings, store: Store) -> None:
    statements: list[str] = []
    with serve(settings, store) as site:
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        for _ in range(5):
            found = site.get("/healthz")
            assert found.status == 200 and json.loads(found.body) == {"status": "ok"}
            assert found.headers["cache-control"] == "no-store"
        head = site.get("/healthz", method="HEAD")
        assert head.status == 200 and head.body == b""
    assert statements == []


def test_deep_without_sources_checks_only_the_database(settings: Settings, store: Store) -> None:
    with serve(settings, store) as site:
        found = site.get("/healthz?deep=1")
    report = json.loads(found.body)
    assert found.status == 200 and found.headers["cache-control"] == "no-store"
    assert report == {
        "status": "ok",
        "database": "ok",
        "scheduler": {"expected": False},
        "problems": [],
    }


def test_a_source_added_at_run_time_expects_a_scheduler(settings: Settings, store: Store) -> None:
    definition = {"kind": "folder", "path": "nowhere", "interval": 3600}
    store.controls.add_source("added", definition, now=utc_now())
    with serve(settings, store) as site:
        found = site.get("/healthz?deep=1")
    report = json.loads(found.body)
    assert found.status == 503 and report["scheduler"]["expected"] is True
    assert report["problems"][0].startswith("scheduler: no scheduler has ticked")
    store.controls.add_source("off", definition | {"enabled": False}, now=utc_now())
    store.controls.remove_source("added")
    with serve(settings, store) as site:
        found = site.get("/healthz?deep=1")
    assert found.status == 200 and json.loads(found.body)["scheduler"] == {"expected": False}


def test_deep_is_503_when_no_scheduler_ever_ticked(scheduled: Settings, store: Store) -> None:
    with serve(scheduled, store) as site:
        found = site.get("/healthz?deep=1")
    report = json.loads(found.body)
    assert found.status == 503 and report["status"] == "failing"
    assert report["problems"] == [
        "scheduler: no scheduler has ticked; start `syndicate serve` (with its scheduler) "
        "or `syndicate scheduler`"
    ]


def test_deep_follows_the_age_of_the_newest_tick(scheduled: Settings, store: Store) -> None:
    with serve(scheduled, store) as site:
        now = utc_now()  # after the server's start, which a busy machine makes slow
        store.controls.record_tick("old-host:1", started=now, at=now - timedelta(seconds=120))
        stale = site.get("/healthz?deep=1")
        store.controls.record_tick("new-host:2", started=now, at=now - timedelta(seconds=5))
        fresh = site.get("/healthz?deep=1")
    assert stale.status == 503
    (problem,) = json.loads(stale.body)["problems"]
    found = re.fullmatch(
        r"scheduler: last tick (\d+) s ago, more than schedule\.stalled_after \(30 s\)", problem
    )
    assert found is not None and 120 <= int(found.group(1)) <= 125, problem
    report = json.loads(fresh.body)
    assert fresh.status == 200 and report["problems"] == []
    assert 4 <= report["scheduler"]["seconds_ago"] <= 10


def test_deep_is_503_naming_the_database_when_it_cannot_be_reached(
    settings: Settings, store: Store
) -> None:
    with serve(settings, store) as site:
        # Nothing listens on port 9 of the loopback: every connection is refused.
        site.app.extensions[STORE_KEY] = Store("postgresql+psycopg://nobody@127.0.0.1:9/none")
        found = site.get("/healthz?deep=1")
        shallow = site.get("/healthz")
    report = json.loads(found.body)
    assert found.status == 503 and report["database"] != "ok"
    assert report["problems"][0].startswith("database: ") and "127.0.0.1" in report["problems"][0]
    assert shallow.status == 200  # the process still serves what it has cached


def test_a_running_scheduler_ticks_and_removes_its_tick_when_stopped(
    scheduled: Settings, store: Store
) -> None:
    scheduler = RefreshScheduler(scheduled, Refresher(scheduled, store), blocking=False)
    scheduler.start()
    try:
        tick = store.controls.last_tick()
        assert tick is not None and (utc_now() - tick).total_seconds() < 5
        with serve(scheduled, store) as site:
            assert site.get("/healthz?deep=1").status == 200
    finally:
        scheduler.shutdown(wait=True)
    assert store.controls.last_tick() is None
