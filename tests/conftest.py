"""Shared fixtures: isolated environment, settings on a fresh database, store, app.

The suite runs on SQLite by default (a new file per test). With
``SYNDICATE_TEST_DATABASE_URL=postgresql+psycopg://...`` (``make test`` sets it for its second
run, from ``scripts/postgres.sh url``) every test gets its own schema in that database instead:
created before the test, put first on the connections' ``search_path`` through the URL, and
dropped after it. Tests marked ``sqlite_only`` are about SQLite itself and are skipped there.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.database import BACKEND, TEST_DATABASE_URL
from helpers.processes import Children
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from syndicate.config import Settings, SiteSettings
from syndicate.store import Store

DATA = Path(__file__).parent / "data"
BASE_URL = "http://feeds.example.test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): tests SQLite itself; skipped on another database"
    )
    # Also in pyproject.toml, whose addopts leave these out of the default run: make soak.
    config.addinivalue_line(
        "markers", "soak: long fault runs (100 kills, 60 s of load, 3,000 fuzz examples a kind)"
    )


SCREENSHOTS = Path(__file__).parent.parent / "var" / "test-artifacts" / "screenshots"
_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots, when this run made any."""
    if SCREENSHOTS.is_dir():
        made = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _STARTED]
        if made:
            terminalreporter.write_line(f"{len(made)} screenshots of pages in {SCREENSHOTS}")


def pytest_report_header() -> str:
    if TEST_DATABASE_URL:
        shown = make_url(TEST_DATABASE_URL).render_as_string(hide_password=True)
        return f"database: {shown} (a schema per test)"
    return "database: SQLite (a file per test)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if BACKEND == "sqlite":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "tests SQLite itself"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's SYNDICATE_* settings or config file."""
    for key in list(os.environ):
        if key.startswith("SYNDICATE_"):
            monkeypatch.delenv(key)


@pytest.fixture(autouse=True)
def _stop_change_watchers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No app's change-log watcher thread outlives its test.

    A watcher left running polls a store its test has closed (which reconnects) and, on
    PostgreSQL, a schema that has been dropped; its connections then leak into later tests.
    Closing a store stops the watchers that follow it; this stops the others, which follow
    stores a test made itself.
    """
    from syndicate.publish.watch import ChangeWatcher

    started: list[ChangeWatcher] = []
    real_start = ChangeWatcher.start

    def start(watcher: ChangeWatcher) -> None:
        started.append(watcher)
        real_start(watcher)

    monkeypatch.setattr(ChangeWatcher, "start", start)
    yield
    for watcher in started:
        watcher.stop()
        watcher.cache.store.close()


@pytest.fixture(scope="session")
def _admin() -> Iterator[Connection | None]:
    """One connection for the whole session that creates and drops the per-test schemas."""
    if not TEST_DATABASE_URL:
        yield None
        return
    engine = create_engine(TEST_DATABASE_URL, poolclass=NullPool)
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")
    engine.dispose()


@pytest.fixture
def new_database_url(_admin: Connection | None, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes URLs of empty databases of the backend under test, each dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(f"t_{uuid.uuid4().hex[:12]}")
        if _admin is None:
            return f"sqlite:///{tmp_path / 'var' / made[-1]}.db"
        _admin.execute(text(f"CREATE SCHEMA {made[-1]}"))
        options = {"options": f"-csearch_path={made[-1]}"}
        return make_url(TEST_DATABASE_URL).update_query_dict(options).render_as_string(False)

    yield make
    if _admin is not None:
        _admin.execute(text("SET lock_timeout = '10s'"))
        for name in made:
            _admin.execute(text(f"DROP SCHEMA {name} CASCADE"))


@pytest.fixture
def database_url(tmp_path: Path, new_database_url: Callable[[], str]) -> str:
    """A URL to an empty database of the backend under test, for this test alone.

    On SQLite it is ``<tmp_path>/var/syndicate.db``, where tests have always found it.
    """
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path / 'var' / 'syndicate.db'}"
    return new_database_url()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Default settings on a fresh database, with a fixed base URL."""
    return replace(
        Settings(),
        site=SiteSettings(title="Test Gazette", description="Test feeds", base_url=BASE_URL),
        database_url=database_url,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A store on the test database, schema created."""
    opened = Store(settings.database_url)
    opened.create_schema()
    yield opened
    opened.close()  # stops the change-log watchers that follow it first


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    """The web app over the test store."""
    from syndicate.web import create_app

    application = create_app(settings, store=store)
    application.testing = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask test client."""
    return app.test_client()


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    """``syndicate`` child processes of the test, killed when it ends."""
    started = Children(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
