"""Loading the settings: one frozen object built once from TOML and ``SYNDICATE_*`` variables.

This is the only module that reads ``os.environ``. Every setting has a default, so an empty
file (or none) is valid; a wrong file is refused with :class:`ConfigError` naming the file, the
key and what was expected. Unknown keys are refused too: a typo that silently does nothing is
worse than an error at start.

Order of precedence: environment variable, then the file, then the default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from syndicate.config.keys import (
    ADMIN_TOKEN_VARIABLE,
    CONFIG_VARIABLE,
    SCHEMA,
    SECRET_KEY_VARIABLE,
    STATS_SALT_VARIABLE,
    Key,
    is_http_url,
    parse_interval,
)
from syndicate.config.settings import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATABASE_URL,
    SOURCE_KINDS,
    AdminSettings,
    CacheSettings,
    CategorySettings,
    FeedSettings,
    FetchSettings,
    IngestSettings,
    ScheduleSettings,
    ServerSettings,
    Settings,
    SiteSettings,
    SourceSettings,
    StatsSettings,
    WebSubSettings,
)
from syndicate.errors import ConfigError


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from a TOML file and the environment.

    ``path`` defaults to ``$SYNDICATE_CONFIG``, then ``config/syndicate.toml`` when it exists.
    A path that was asked for explicitly must exist.
    """
    env = os.environ if environ is None else environ
    chosen = path or env.get(CONFIG_VARIABLE) or ""
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
    except RecursionError as exc:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply to read") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text ({exc.reason})") from exc
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
        websub=_websub(_table(data, "websub", origin), origin),
        admin=AdminSettings(**_table(data, "admin", origin)),
        cache=CacheSettings(**_table(data, "cache", origin)),
        stats=StatsSettings(**_table(data, "stats", origin)),
        database_url=database.get("url", DEFAULT_DATABASE_URL),
        config_path=origin,
    )
    if settings.feeds.items > settings.feeds.max_items:
        raise ConfigError(
            f"{origin}: feeds.items ({feeds.items}) must not exceed feeds.max_items "
            f"({feeds.max_items})"
        )
    return settings


def _websub(values: dict[str, Any], origin: str) -> WebSubSettings:
    """The [websub] table; a default lease longer than the longest is refused."""
    websub = WebSubSettings(**values | {"hubs": tuple(values.get("hubs", ()))})
    if websub.lease_seconds > websub.max_lease_seconds:
        raise ConfigError(
            f"{origin}: websub.lease_seconds ({websub.lease_seconds}) must not exceed "
            f"websub.max_lease_seconds ({websub.max_lease_seconds})"
        )
    return websub


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
        if not spec[key].check(value):
            raise ConfigError(
                f"{origin}: {where}.{key}: expected {spec[key].expected}, got {value!r}"
            )
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
    """The settings with every key's variable (declared in :data:`SCHEMA`) applied."""
    for table, keys in SCHEMA.items():
        for name, key in keys.items():
            if key.env and key.env in env:
                settings = _set(settings, table, name, _from_variable(key, env[key.env]))
    token = env.get(ADMIN_TOKEN_VARIABLE)
    if token is not None:
        settings = replace(settings, admin_token=token.strip())
    secret = _random_text(env, SECRET_KEY_VARIABLE, 32)
    if secret is not None:
        settings = replace(settings, secret_key=secret)
    salt = _random_text(env, STATS_SALT_VARIABLE, 16)
    if salt is not None:
        settings = replace(settings, stats_salt=salt)
    return settings


def _random_text(env: Mapping[str, str], variable: str, minimum: int) -> str | None:
    """A secret from the environment, refused when it is too short to be random text."""
    value = env.get(variable)
    if value is None:
        return None
    if len(value.strip()) < minimum:
        raise ConfigError(f"{variable}: expected at least {minimum} characters of random text")
    return value.strip()


def _from_variable(key: Key, text: str) -> Any:
    """A variable's text as the value of its key; :class:`ConfigError` naming the variable."""
    if key.check(True):  # a boolean: 1/0 as shells write them
        if text not in ("0", "1", "true", "false"):
            raise ConfigError(f"{key.env}: expected 1 or 0, got {text!r}")
        return text in ("1", "true")
    if key.check([]):  # a list of URLs, comma-separated
        urls = [part.strip() for part in text.split(",") if part.strip()]
        if not all(is_http_url(url) for url in urls):
            raise ConfigError(f"{key.env}: expected comma-separated http(s) URLs, got {text!r}")
        return tuple(urls)
    if not key.check(text):
        raise ConfigError(f"{key.env}: expected {key.expected}, got {text!r}")
    return text.rstrip("/") if is_http_url(text) else text


def _set(settings: Settings, table: str, name: str, value: Any) -> Settings:
    if table == "database":
        return replace(settings, database_url=value)
    if (table, name) == ("site", "base_url"):  # said, not defaulted: links keep it
        return replace(
            settings, site=replace(settings.site, base_url=value, base_url_configured=True)
        )
    return replace(settings, **{table: replace(getattr(settings, table), **{name: value})})


def _kind(value: Any) -> str:
    return type(value).__name__
