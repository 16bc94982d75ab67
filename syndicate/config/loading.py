"""Loading the settings: one frozen object built once from TOML and ``SYNDICATE_*`` variables.

This is the only module that reads ``os.environ``. Every setting has a default, so an empty
file (or none) is valid; a wrong file is refused with :class:`ConfigError` naming the file, the
key and what was expected. Unknown keys are refused too: a typo that silently does nothing is
worse than an error at start.

Order of precedence: environment variable, then the file, then the default.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syndicate.config.settings import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATABASE_URL,
    MIN_FEED_MAX_BYTES,
    SCHEDULE_MODES,
    SITEMAP_MAX_URLS,
    SOURCE_KINDS,
    AdminSettings,
    CategorySettings,
    FeedSettings,
    FetchSettings,
    IngestSettings,
    ScheduleSettings,
    ServerSettings,
    Settings,
    SiteSettings,
    SourceSettings,
    WebSubSettings,
)
from syndicate.errors import ConfigError

MIN_TEXT_CHARS = 20  # a title or summary cut shorter says nothing
_INTERVAL = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")

Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_port(value: Any) -> bool:
    return _is_positive_int(value) and value < 65536


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_image_url(value: Any) -> bool:
    """An absolute http(s) URL, or a path on the site (``/static/logo.png``)."""
    if not isinstance(value, str):
        return False
    return value == "" or _is_http_url(value) or (value.startswith("/") and " " not in value)


def _is_sitemap_size(value: Any) -> bool:
    return _is_positive_int(value) and value <= SITEMAP_MAX_URLS


def _is_database_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value


def _is_positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_url_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_http_url(v) for v in value)


def _is_interval(value: Any) -> bool:
    return isinstance(value, str) and parse_interval(value) is not None


def _is_kind(value: Any) -> bool:
    return value in SOURCE_KINDS


def _is_mode(value: Any) -> bool:
    return value in SCHEDULE_MODES


def parse_interval(text: str) -> int | None:
    """Seconds in an interval written like ``"90s"``, ``"15m"``, ``"1h30m"``, ``"1d"``."""
    match = _INTERVAL.match(text)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total or None


_IMAGE_EXPECTED = "an absolute http(s) URL or a path on the site such as '/static/logo.png'"

# Each table's keys: (check, what was expected). The schema is data so errors can name both.
SCHEMA: dict[str, dict[str, tuple[Check, str]]] = {
    "site": {
        "title": (_is_str, "a string"),
        "description": (_is_str, "a string"),
        "base_url": (_is_http_url, "an absolute http(s) URL such as 'https://news.example'"),
        "language": (_is_str, "a language tag such as 'en' or 'pt-BR'"),
        "author": (_is_str, "a string"),
        "logo": (_is_image_url, _IMAGE_EXPECTED),
        "icon": (_is_image_url, _IMAGE_EXPECTED),
        "copyright": (_is_str, "a string"),
        "sitemap_max_urls": (
            _is_sitemap_size,
            f"a whole number from 1 to {SITEMAP_MAX_URLS:,} (the sitemap protocol's limit)",
        ),
    },
    "feeds": {
        "items": (_is_positive_int, "a whole number above 0"),
        "max_items": (_is_positive_int, "a whole number above 0"),
        "tombstone_days": (_is_whole_number, "a whole number of days, 0 or more"),
        "max_bytes": (
            lambda v: _is_positive_int(v) and v >= MIN_FEED_MAX_BYTES,
            f"a whole number of bytes of at least {MIN_FEED_MAX_BYTES}",
        ),
    },
    "ingest": {
        "max_bytes": (_is_positive_int, "a whole number of bytes above 0"),
        "max_title_chars": (
            lambda v: _is_positive_int(v) and v >= MIN_TEXT_CHARS,
            f"a whole number of characters of at least {MIN_TEXT_CHARS}",
        ),
        "max_summary_chars": (
            lambda v: _is_positive_int(v) and v >= MIN_TEXT_CHARS,
            f"a whole number of characters of at least {MIN_TEXT_CHARS}",
        ),
    },
    "server": {
        "host": (_is_str, "a host name or address such as '127.0.0.1'"),
        "port": (_is_port, "a port number from 1 to 65535"),
    },
    "database": {
        "url": (_is_database_url, "an SQLAlchemy URL such as 'sqlite:///var/syndicate.db'"),
    },
    "categories": {
        "name": (_is_str, "a string"),
        "description": (_is_str, "a string"),
        "summary_only": (_is_bool, "true or false"),
        "title": (_is_str, "a string"),
        "image": (_is_image_url, _IMAGE_EXPECTED),
    },
    "sources": {
        "name": (_is_str, "a string"),
        "kind": (_is_kind, f"one of: {', '.join(SOURCE_KINDS)}"),
        "url": (_is_http_url, "an absolute http(s) URL"),
        "urls": (_is_url_list, "a non-empty list of absolute http(s) URLs"),
        "path": (_is_str, "a folder path"),
        "category": (_is_str, "a string"),
        "interval": (_is_interval, "an interval such as '90s', '15m', '1h' or '1h30m'"),
        "enabled": (_is_bool, "true or false"),
        "allow_private": (_is_bool, "true or false"),
        "full_text": (_is_bool, "true or false"),
        "language": (_is_str, "a language tag such as 'en'"),
    },
    "fetch": {
        "connect_timeout": (_is_positive_number, "a number of seconds above 0"),
        "total_timeout": (_is_positive_number, "a number of seconds above 0"),
        "max_bytes": (_is_positive_int, "a whole number of bytes above 0"),
        "max_redirects": (_is_positive_int, "a whole number above 0"),
        "per_host": (_is_positive_int, "a whole number above 0"),
        "allow_private_networks": (_is_bool, "true or false"),
    },
    "schedule": {
        "jitter": (_is_positive_int, "a whole number of seconds above 0"),
        "backoff_max": (_is_positive_int, "a whole number of seconds above 0"),
        "enabled": (_is_bool, "true or false"),
        "mode": (_is_mode, f"one of: {', '.join(SCHEDULE_MODES)}"),
        "heartbeat": (_is_positive_number, "a number of seconds above 0"),
        "stalled_after": (_is_positive_number, "a number of seconds above 0"),
    },
    "websub": {
        "hubs": (lambda v: v == [] or _is_url_list(v), "a list of absolute http(s) hub URLs"),
    },
    "admin": {
        "secret_key_file": (_is_str, "a file path such as 'var/secret_key'"),
        "session_hours": (_is_positive_int, "a whole number of hours above 0"),
    },
}


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from a TOML file and the environment.

    ``path`` defaults to ``$SYNDICATE_CONFIG``, then ``config/syndicate.toml`` when it exists.
    A path that was asked for explicitly must exist.
    """
    env = os.environ if environ is None else environ
    chosen = path or env.get("SYNDICATE_CONFIG") or ""
    if chosen:
        config_path = Path(chosen)
        if not config_path.is_file():
            raise ConfigError(f"{config_path}: no such config file")
    elif DEFAULT_CONFIG_PATH.is_file():
        config_path = DEFAULT_CONFIG_PATH
    else:
        return check_schedule(_apply_environment(Settings(), env), "environment")
    data = _read_toml(config_path)
    settings = _from_mapping(data, str(config_path))
    return check_schedule(_apply_environment(settings, env), str(config_path))


def check_schedule(settings: Settings, origin: str = "settings") -> Settings:
    """The settings, if their schedule can work; :class:`ConfigError` saying why not.

    Queue mode keeps its jobs in the store's PostgreSQL database (there is no queue on
    SQLite), and a worker must write its heartbeat well within ``stalled_after``, or live
    workers would be taken for dead and their jobs run twice.
    """
    schedule = settings.schedule
    if schedule.mode == "queue" and not is_postgresql_url(settings.database_url):
        raise ConfigError(
            f'{origin}: schedule.mode = "queue" needs a PostgreSQL database (the task queue '
            f"lives in it), but the database URL is {settings.database_url!r}; set database.url "
            f'or SYNDICATE_DATABASE_URL to postgresql+psycopg://..., or use mode = "inprocess"'
        )
    if schedule.heartbeat * 2 > schedule.stalled_after:
        raise ConfigError(
            f"{origin}: schedule.stalled_after ({schedule.stalled_after:g} s) must be at least "
            f"twice schedule.heartbeat ({schedule.heartbeat:g} s)"
        )
    return settings


def is_postgresql_url(url: str) -> bool:
    """True for an SQLAlchemy URL of PostgreSQL, whatever its driver."""
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc


def _from_mapping(data: Mapping[str, Any], origin: str) -> Settings:
    for table in data:
        if table not in SCHEMA:
            known = ", ".join(sorted(SCHEMA))
            raise ConfigError(f"{origin}: unknown table [{table}]; expected one of: {known}")
    site_table = _table(data, "site", origin)
    site = SiteSettings(**site_table, base_url_configured="base_url" in site_table)
    feeds = FeedSettings(**_table(data, "feeds", origin))
    server = ServerSettings(**_table(data, "server", origin))
    database = _table(data, "database", origin)
    settings = Settings(
        site=replace(site, base_url=site.base_url.rstrip("/")),
        feeds=feeds,
        server=server,
        categories=_categories(data.get("categories", []), origin),
        sources=_sources(data.get("sources", []), origin),
        fetch=FetchSettings(**_table(data, "fetch", origin)),
        ingest=IngestSettings(**_table(data, "ingest", origin)),
        schedule=ScheduleSettings(**_table(data, "schedule", origin)),
        websub=WebSubSettings(hubs=tuple(_table(data, "websub", origin).get("hubs", ()))),
        admin=AdminSettings(**_table(data, "admin", origin)),
        database_url=database.get("url", DEFAULT_DATABASE_URL),
        config_path=origin,
    )
    if settings.feeds.items > settings.feeds.max_items:
        raise ConfigError(
            f"{origin}: feeds.items ({feeds.items}) must not exceed feeds.max_items "
            f"({feeds.max_items})"
        )
    return settings


def _table(data: Mapping[str, Any], name: str, origin: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [{name}] must be a table, got {_kind(table)}")
    return _checked(table, name, name, origin)


def _checked(table: Mapping[str, Any], schema: str, where: str, origin: str) -> dict[str, Any]:
    spec = SCHEMA[schema]
    for key, value in table.items():
        if key not in spec:
            known = ", ".join(sorted(spec))
            raise ConfigError(f"{origin}: unknown key {where}.{key}; expected one of: {known}")
        check, expected = spec[key]
        if not check(value):
            raise ConfigError(f"{origin}: {where}.{key}: expected {expected}, got {value!r}")
    return dict(table)


def _array_of_tables(raw: Any, name: str, origin: str) -> list[tuple[str, dict[str, Any]]]:
    """Checked ``[[name]]`` tables, each with a non-empty ``name``, names unique."""
    if not isinstance(raw, list):
        raise ConfigError(f"{origin}: {name} must be an array of tables ([[{name}]])")
    result: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{origin}: {where}: expected a table, got {_kind(item)}")
        values = _checked(item, name, where, origin)
        if "name" not in values or not values["name"].strip():
            raise ConfigError(f"{origin}: {where}.name: expected a non-empty string")
        if values["name"].casefold() in seen:
            raise ConfigError(f"{origin}: {where}: duplicate name {values['name']!r}")
        seen.add(values["name"].casefold())
        result.append((f"{name} {values['name']!r}", values))
    return result


def _categories(raw: Any, origin: str) -> tuple[CategorySettings, ...]:
    return tuple(CategorySettings(**v) for _, v in _array_of_tables(raw, "categories", origin))


def _sources(raw: Any, origin: str) -> tuple[SourceSettings, ...]:
    return tuple(
        _source(values, origin, where) for where, values in _array_of_tables(raw, "sources", origin)
    )


def parse_source(definition: Mapping[str, Any], origin: str = "source") -> SourceSettings:
    """One source from the keys a ``[[sources]]`` table has (a source added at run time),
    checked by the same rules; :class:`ConfigError` naming the key and what was expected."""
    if not isinstance(definition, Mapping):
        raise ConfigError(f"{origin}: expected an object of source keys, got {_kind(definition)}")
    values = _checked(definition, "sources", "source", origin)
    name = values.get("name")
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise ConfigError(f"{origin}: source.name: expected a non-empty string without '/'")
    return _source(values, origin, f"source {name!r}")


def _source(values: dict[str, Any], origin: str, where: str) -> SourceSettings:
    kind = values.get("kind")
    if kind is None:
        raise ConfigError(
            f"{origin}: {where}: kind is missing; expected one of: {', '.join(SOURCE_KINDS)}"
        )
    if kind == "folder" and not values.get("path"):
        raise ConfigError(f"{origin}: {where}: path is missing; a folder source needs one")
    if kind != "folder" and not (values.get("url") or values.get("urls")):
        raise ConfigError(f"{origin}: {where}: url is missing; a {kind} source needs one")
    if "interval" in values:
        values["interval"] = parse_interval(values["interval"])
    if "urls" in values:
        values["urls"] = tuple(values["urls"])
    return SourceSettings(**values)


def _apply_environment(settings: Settings, env: Mapping[str, str]) -> Settings:
    base_url = env.get("SYNDICATE_BASE_URL")
    if base_url is not None:
        if not _is_http_url(base_url):
            raise ConfigError(
                f"SYNDICATE_BASE_URL: expected an absolute http(s) URL, got {base_url!r}"
            )
        site = replace(settings.site, base_url=base_url.rstrip("/"), base_url_configured=True)
        settings = replace(settings, site=site)
    database_url = env.get("SYNDICATE_DATABASE_URL")
    if database_url is not None:
        if not _is_database_url(database_url):
            raise ConfigError(
                f"SYNDICATE_DATABASE_URL: expected an SQLAlchemy URL, got {database_url!r}"
            )
        settings = replace(settings, database_url=database_url)
    hubs = env.get("SYNDICATE_WEBSUB_HUBS")
    if hubs is not None:
        urls = [h.strip() for h in hubs.split(",") if h.strip()]
        if not all(_is_http_url(u) for u in urls):
            raise ConfigError(
                f"SYNDICATE_WEBSUB_HUBS: expected comma-separated http(s) URLs, got {hubs!r}"
            )
        settings = replace(settings, websub=WebSubSettings(hubs=tuple(urls)))
    private = env.get("SYNDICATE_ALLOW_PRIVATE_NETWORKS")
    if private is not None:
        if private not in ("0", "1", "true", "false"):
            raise ConfigError(f"SYNDICATE_ALLOW_PRIVATE_NETWORKS: expected 1 or 0, got {private!r}")
        fetch = replace(settings.fetch, allow_private_networks=private in ("1", "true"))
        settings = replace(settings, fetch=fetch)
    mode = env.get("SYNDICATE_SCHEDULE_MODE")
    if mode is not None:
        if mode not in SCHEDULE_MODES:
            raise ConfigError(
                f"SYNDICATE_SCHEDULE_MODE: expected one of: "
                f"{', '.join(SCHEDULE_MODES)}, got {mode!r}"
            )
        settings = replace(settings, schedule=replace(settings.schedule, mode=mode))
    token = env.get("SYNDICATE_ADMIN_TOKEN")
    if token is not None:
        settings = replace(settings, admin_token=token.strip())
    key = env.get("SYNDICATE_SECRET_KEY")
    if key is not None:
        if len(key.strip()) < 32:
            raise ConfigError(
                "SYNDICATE_SECRET_KEY: expected at least 32 characters of random text"
            )
        settings = replace(settings, secret_key=key.strip())
    return settings


def _kind(value: Any) -> str:
    return type(value).__name__
