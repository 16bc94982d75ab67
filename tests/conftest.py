"""Shared fixtures: isolated environment, settings on a temporary SQLite file, store, app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from syndicate.config import Settings, SiteSettings
from syndicate.store import Store

DATA = Path(__file__).parent / "data"
BASE_URL = "http://feeds.example.test"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's SYNDICATE_* settings or config file."""
    for key in list(os.environ):
        if key.startswith("SYNDICATE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings on a fresh SQLite file, with a fixed base URL."""
    return replace(
        Settings(),
        site=SiteSettings(title="Test Gazette", description="Test feeds", base_url=BASE_URL),
        database_url=f"sqlite:///{tmp_path / 'var' / 'syndicate.db'}",
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A store on a real SQLite file, schema created."""
    opened = Store(settings.database_url)
    opened.create_schema()
    yield opened
    opened.close()


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
