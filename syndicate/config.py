"""Settings: one frozen object built once from TOML and ``SYNDICATE_*`` variables.

This is the only module that reads ``os.environ``. Every setting has a default, so an empty
file (or none) is valid; a wrong file is refused with :class:`ConfigError` naming the file, the
key and what was expected. Unknown keys are refused too: a typo that silently does nothing is
worse than an error at start.

Order of precedence: environment variable, then the file, then the default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syndicate.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/syndicate.toml")
DEFAULT_DATABASE_URL = "sqlite:///var/syndicate.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_FEED_ITEMS = 50
DEFAULT_MAX_FEED_ITEMS = 200


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Who publishes: names and URLs written into every feed and page."""

    title: str = "syndicate"
    description: str = "Articles published through syndicate"
    base_url: str = DEFAULT_BASE_URL
    language: str = "en"
    author: str = ""  # feed-level author; Atom needs one, the site title stands in otherwise


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """How feeds are cut: items per feed and the cap on ``?limit=``."""

    items: int = DEFAULT_FEED_ITEMS
    max_items: int = DEFAULT_MAX_FEED_ITEMS


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where ``syndicate serve`` listens by default."""

    host: str = "127.0.0.1"
    port: int = 8000


@dataclass(frozen=True, slots=True)
class CategorySettings:
    """A declared category: description shown on the site and in its feeds."""

    name: str
    description: str = ""
    summary_only: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything syndicate can be told; frozen, passed explicitly, never global."""

    site: SiteSettings = field(default_factory=SiteSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    categories: tuple[CategorySettings, ...] = ()
    database_url: str = DEFAULT_DATABASE_URL
    config_path: str = ""  # the file these settings came from, "" for defaults only

    def category(self, name: str) -> CategorySettings | None:
        """The declared settings of a category, matched case-insensitively."""
        wanted = name.casefold()
        return next((c for c in self.categories if c.name.casefold() == wanted), None)


Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_port(value: Any) -> bool:
    return _is_positive_int(value) and value < 65536


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_database_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value


# Each table's keys: (check, what was expected). The schema is data so errors can name both.
SCHEMA: dict[str, dict[str, tuple[Check, str]]] = {
    "site": {
        "title": (_is_str, "a string"),
        "description": (_is_str, "a string"),
        "base_url": (_is_http_url, "an absolute http(s) URL such as 'https://news.example'"),
        "language": (_is_str, "a language tag such as 'en' or 'pt-BR'"),
        "author": (_is_str, "a string"),
    },
    "feeds": {
        "items": (_is_positive_int, "a whole number above 0"),
        "max_items": (_is_positive_int, "a whole number above 0"),
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
    },
}
# Tables later stages read; accepted here so one file configures the whole service.
RESERVED_TABLES = frozenset({"sources", "schedule", "fetch", "admin", "websub"})


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
        return _apply_environment(Settings(), env)
    data = _read_toml(config_path)
    settings = _from_mapping(data, str(config_path))
    return _apply_environment(settings, env)


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
        if table not in SCHEMA and table not in RESERVED_TABLES:
            known = ", ".join(sorted(SCHEMA))
            raise ConfigError(f"{origin}: unknown table [{table}]; expected one of: {known}")
    site = SiteSettings(**_table(data, "site", origin))
    feeds = FeedSettings(**_table(data, "feeds", origin))
    server = ServerSettings(**_table(data, "server", origin))
    database = _table(data, "database", origin)
    settings = Settings(
        site=replace(site, base_url=site.base_url.rstrip("/")),
        feeds=feeds,
        server=server,
        categories=_categories(data.get("categories", []), origin),
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


def _categories(raw: Any, origin: str) -> tuple[CategorySettings, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{origin}: categories must be an array of tables ([[categories]])")
    result: list[CategorySettings] = []
    for index, item in enumerate(raw):
        where = f"categories[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{origin}: {where}: expected a table, got {_kind(item)}")
        values = _checked(item, "categories", where, origin)
        if "name" not in values or not values["name"].strip():
            raise ConfigError(f"{origin}: {where}.name: expected a non-empty string")
        result.append(CategorySettings(**values))
    names = [c.name.casefold() for c in result]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{origin}: categories: duplicate name {duplicates[0]!r}")
    return tuple(result)


def _apply_environment(settings: Settings, env: Mapping[str, str]) -> Settings:
    base_url = env.get("SYNDICATE_BASE_URL")
    if base_url is not None:
        if not _is_http_url(base_url):
            raise ConfigError(
                f"SYNDICATE_BASE_URL: expected an absolute http(s) URL, got {base_url!r}"
            )
        settings = replace(settings, site=replace(settings.site, base_url=base_url.rstrip("/")))
    database_url = env.get("SYNDICATE_DATABASE_URL")
    if database_url is not None:
        if not _is_database_url(database_url):
            raise ConfigError(
                f"SYNDICATE_DATABASE_URL: expected an SQLAlchemy URL, got {database_url!r}"
            )
        settings = replace(settings, database_url=database_url)
    return settings


def _kind(value: Any) -> str:
    return type(value).__name__

