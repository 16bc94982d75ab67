"""Settings from TOML and the environment: defaults, overrides and refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from syndicate.config import (
    DEFAULT_BASE_URL,
    DEFAULT_DATABASE_URL,
    IngestSettings,
    Settings,
    load_settings,
    parse_interval,
)
from syndicate.errors import ConfigError

CONFIG = Path(__file__).parent / "data" / "config"
ERRORS: dict[str, list[str]] = json.loads((CONFIG / "errors.json").read_text())


def test_load_settings_empty_file_gives_defaults() -> None:
    settings = load_settings(CONFIG / "empty.toml", environ={})
    assert settings.site == Settings().site
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.site.base_url == DEFAULT_BASE_URL
    assert settings.feeds.items == 50


def test_load_settings_full_file_reads_every_table() -> None:
    settings = load_settings(CONFIG / "full.toml", environ={})
    assert settings.site.title == "Harbour News"
    assert settings.site.base_url == "https://news.example"  # trailing slash dropped
    assert settings.site.language == "pt-BR"
    assert settings.database_url == "sqlite:///tmp/harbour.db"
    assert (settings.feeds.items, settings.feeds.max_items) == (20, 100)
    assert settings.feeds.max_bytes == 500_000
    assert settings.ingest == IngestSettings(4194304, 200, 400)
    assert settings.site.base_url_configured
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 8080)
    port = settings.category("PORT")
    assert port is not None and port.summary_only and port.description == "Ships and cargo"
    assert (port.title, port.image) == ("The Port Desk", "https://cdn.harbour.example/port.png")
    site = settings.site
    assert site.logo_url == "https://news.example/static/harbour-logo.png"  # a path: made absolute
    assert site.icon_url == "https://cdn.harbour.example/icon.png"
    assert (site.copyright, site.sitemap_max_urls) == ("© 2026 Harbour News", 10000)
    feed, drafts = settings.sources
    assert (feed.name, feed.kind, feed.interval) == ("harbour-feed", "feed", 5400)
    assert feed.full_text
    assert feed.locations == ("https://harbour.example/feed.xml",)
    assert (drafts.kind, drafts.path, drafts.interval, drafts.enabled) == (
        "folder",
        "content/drafts",
        90,
        False,
    )
    assert settings.fetch.connect_timeout == 2.5 and settings.fetch.max_bytes == 1048576
    assert settings.fetch.total_timeout == 30.0  # untouched keys keep their defaults
    assert settings.schedule.jitter == 5
    assert settings.websub.hubs == ("https://hub.example/",)


@pytest.mark.parametrize("name", sorted(ERRORS), ids=lambda n: Path(n).stem)
def test_load_settings_wrong_file_is_refused_naming_file_and_key(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(CONFIG / name, environ={})
    message = str(caught.value)
    assert name in message
    for expected in ERRORS[name]:
        assert expected in message


def test_every_error_fixture_is_listed() -> None:
    files = {p.name for p in CONFIG.glob("*.toml")} - {"empty.toml", "full.toml"}
    assert files == set(ERRORS)


def test_base_url_configured_only_when_set() -> None:
    assert not load_settings(CONFIG / "empty.toml", environ={}).site.base_url_configured
    env = {"SYNDICATE_BASE_URL": "https://env.example"}
    assert load_settings(CONFIG / "empty.toml", environ=env).site.base_url_configured


def test_environment_overrides_file() -> None:
    env = {"SYNDICATE_BASE_URL": "https://other.example/", "SYNDICATE_DATABASE_URL": "sqlite://"}
    settings = load_settings(CONFIG / "full.toml", environ=env)
    assert settings.site.base_url == "https://other.example"
    assert settings.database_url == "sqlite://"


def test_environment_sets_hubs_private_networks_and_admin_token() -> None:
    env = {
        "SYNDICATE_WEBSUB_HUBS": "https://a.example/hub, https://b.example/",
        "SYNDICATE_ALLOW_PRIVATE_NETWORKS": "1",
        "SYNDICATE_ADMIN_TOKEN": "s3cret",
    }
    settings = load_settings(CONFIG / "full.toml", environ=env)
    assert settings.websub.hubs == ("https://a.example/hub", "https://b.example/")
    assert settings.fetch.allow_private_networks
    assert settings.admin_token == "s3cret"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1d", 86400),
        ("0m", None),
        ("", None),
        ("soon", None),
        ("15", None),
    ],
)
def test_parse_interval(text: str, seconds: int | None) -> None:
    assert parse_interval(text) == seconds


def test_syndicate_config_variable_points_at_file() -> None:
    settings = load_settings(environ={"SYNDICATE_CONFIG": str(CONFIG / "full.toml")})
    assert settings.site.title == "Harbour News"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SYNDICATE_BASE_URL": "ftp://x"}, "SYNDICATE_BASE_URL"),
        ({"SYNDICATE_DATABASE_URL": "nowhere"}, "SYNDICATE_DATABASE_URL"),
        ({"SYNDICATE_CONFIG": "/no/such/file.toml"}, "/no/such/file.toml: no such config file"),
        ({"SYNDICATE_WEBSUB_HUBS": "hub.example"}, "SYNDICATE_WEBSUB_HUBS"),
        ({"SYNDICATE_ALLOW_PRIVATE_NETWORKS": "yes please"}, "SYNDICATE_ALLOW_PRIVATE_NETWORKS"),
    ],
)
def test_wrong_environment_is_refused(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(environ=env)


def test_no_file_anywhere_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}) == Settings()


PG = "postgresql+psycopg://syndicate@127.0.0.1:5432/syndicate"


def test_schedule_queue_mode_reads_mode_and_heartbeats(tmp_path: Path) -> None:
    config = tmp_path / "queue.toml"
    config.write_text(
        f'[database]\nurl = "{PG}"\n\n[schedule]\nmode = "queue"\n'
        "heartbeat = 2\nstalled_after = 10.5\n"
    )
    schedule = load_settings(config, environ={}).schedule
    assert (schedule.mode, schedule.heartbeat, schedule.stalled_after) == ("queue", 2, 10.5)
    assert Settings().schedule.mode == "inprocess"


def test_schedule_queue_mode_from_the_environment() -> None:
    env = {"SYNDICATE_SCHEDULE_MODE": "queue", "SYNDICATE_DATABASE_URL": PG}
    assert load_settings(environ=env).schedule.mode == "queue"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[schedule]\nmode = "queue"\n', "needs a PostgreSQL database"),
        ('[schedule]\nmode = "celery"\n', "schedule.mode: expected one of: inprocess, queue"),
        (
            f'[database]\nurl = "{PG}"\n[schedule]\nheartbeat = 20\n',
            "stalled_after (30 s) must be at least twice schedule.heartbeat (20 s)",
        ),
        ("[schedule]\nstalled_after = 0\n", "schedule.stalled_after: expected a number"),
    ],
    ids=["queue-on-sqlite", "unknown-mode", "heartbeat-too-slow", "zero-stalled-after"],
)
def test_schedule_settings_that_cannot_work_are_refused(
    tmp_path: Path, table: str, expected: str
) -> None:
    config = tmp_path / "schedule.toml"
    config.write_text(table)
    with pytest.raises(ConfigError, match=re.escape(expected)) as caught:
        load_settings(config, environ={})
    assert str(config) in str(caught.value)


def test_schedule_mode_from_the_environment_is_checked() -> None:
    with pytest.raises(ConfigError, match="SYNDICATE_SCHEDULE_MODE"):
        load_settings(environ={"SYNDICATE_SCHEDULE_MODE": "fast"})
    with pytest.raises(ConfigError, match="needs a PostgreSQL database"):
        load_settings(environ={"SYNDICATE_SCHEDULE_MODE": "queue"})


@pytest.mark.parametrize(
    ("variable", "minimum", "field"),
    [("SYNDICATE_SECRET_KEY", 32, "secret_key"), ("SYNDICATE_STATS_SALT", 16, "stats_salt")],
)
def test_secrets_from_the_environment_must_be_long_enough_to_be_random(
    variable: str, minimum: int, field: str
) -> None:
    with pytest.raises(ConfigError, match=f"{variable}: expected at least {minimum} characters"):
        load_settings(CONFIG / "empty.toml", environ={variable: "x" * (minimum - 1)})
    secret = "k" * minimum
    settings = load_settings(CONFIG / "empty.toml", environ={variable: f" {secret}\n"})
    assert getattr(settings, field) == secret
