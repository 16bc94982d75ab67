"""Every setting, declared once: its check, what it expects, what it does, its variable.

:data:`SCHEMA` is the one declaration of each configuration key: ``loading`` checks files and
the environment against it, and :func:`reference` writes ``docs/configuration.md`` from it
and from the defaults of the dataclasses in :mod:`.settings` (``syndicate config docs``; a test
fails when the document is not what this module writes). A new setting is a field in
``settings.py`` and a :class:`Key` here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from syndicate.config.settings import (
    DEFAULT_DATABASE_URL,
    MIN_FEED_MAX_BYTES,
    SCHEDULE_MODES,
    SITEMAP_MAX_URLS,
    SOURCE_KINDS,
    AdminSettings,
    CacheSettings,
    CategorySettings,
    FeedSettings,
    FetchSettings,
    IngestSettings,
    ScheduleSettings,
    ServerSettings,
    SiteSettings,
    SourceSettings,
    StatsSettings,
    WebSubSettings,
)

_INTERVAL = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")

Check = Callable[[Any], bool]
CONFIG_VARIABLE = "SYNDICATE_CONFIG"
MIN_TEXT_CHARS = 20  # a title or summary cut shorter says nothing
ADMIN_TOKEN_VARIABLE = "SYNDICATE_ADMIN_TOKEN"
SECRET_KEY_VARIABLE = "SYNDICATE_SECRET_KEY"
STATS_SALT_VARIABLE = "SYNDICATE_STATS_SALT"


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_feed_size(value: Any) -> bool:
    return _is_positive_int(value) and value >= MIN_FEED_MAX_BYTES


def _is_text_limit(value: Any) -> bool:
    return _is_positive_int(value) and value >= MIN_TEXT_CHARS


def _is_port(value: Any) -> bool:
    return _is_positive_int(value) and value < 65536


def is_http_url(value: Any) -> bool:
    """An absolute http or https URL."""
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # "Invalid IPv6 URL": no URL at all
        return False
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_image_url(value: Any) -> bool:
    """An absolute http(s) URL, or a path on the site (``/static/logo.png``)."""
    if not isinstance(value, str):
        return False
    return value == "" or is_http_url(value) or (value.startswith("/") and " " not in value)


def _is_sitemap_size(value: Any) -> bool:
    return _is_positive_int(value) and value <= SITEMAP_MAX_URLS


def _is_database_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value


def _is_positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_url_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(is_http_url(v) for v in value)


def _is_hub_list(value: Any) -> bool:
    return value == [] or _is_url_list(value)


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


TYPE_NAMES: dict[Check, str] = {
    _is_str: "string",
    _is_bool: "boolean",
    _is_positive_int: "integer > 0",
    _is_whole_number: "integer >= 0",
    _is_feed_size: f"integer >= {MIN_FEED_MAX_BYTES}",
    _is_text_limit: f"integer >= {MIN_TEXT_CHARS}",
    _is_port: "integer 1-65535",
    is_http_url: "http(s) URL",
    _is_image_url: "http(s) URL or site path",
    _is_sitemap_size: f"integer 1-{SITEMAP_MAX_URLS}",
    _is_database_url: "SQLAlchemy URL",
    _is_positive_number: "number > 0",
    _is_url_list: "list of http(s) URLs",
    _is_hub_list: "list of http(s) URLs",
    _is_interval: "interval (`90s`, `15m`, `1h30m`, `1d`)",
    _is_kind: " \\| ".join(f"`{kind}`" for kind in SOURCE_KINDS),
    _is_mode: " \\| ".join(f"`{mode}`" for mode in SCHEDULE_MODES),
}


@dataclass(frozen=True, slots=True)
class Key:
    """One configuration key: ``check`` accepts a TOML value, ``expected`` says what it wants
    (in refusals), ``doc`` what it does; ``env`` is the variable that overrides it, if any."""

    check: Check
    expected: str
    doc: str
    env: str = ""


_BOOL = (_is_bool, "true or false")
_IMAGE = (_is_image_url, "an absolute http(s) URL or a path on the site such as '/static/logo.png'")
_TEXT = (_is_str, "a string")
_COUNT = (_is_positive_int, "a whole number above 0")
_SECONDS = (_is_positive_int, "a whole number of seconds above 0")
_TIME = (_is_positive_number, "a number of seconds above 0")

# Each table's keys. The schema is data so errors can name both the key and the expectation.
SCHEMA: dict[str, dict[str, Key]] = {
    "site": {
        "title": Key(*_TEXT, "The site's name, in every feed and page."),
        "description": Key(*_TEXT, "What the site is, in the `all` feed."),
        "base_url": Key(
            is_http_url,
            "an absolute http(s) URL such as 'https://news.example'",
            "Where readers reach the site: every URL in feeds and pages is absolute from it.",
            "SYNDICATE_BASE_URL",
        ),
        "language": Key(_is_str, "a language tag such as 'en' or 'pt-BR'", "Of feeds and pages."),
        "author": Key(*_TEXT, "Feed-level author (Atom needs one; the title stands in)."),
        "logo": Key(*_IMAGE, "The feeds' image/logo and the pages' social-card image."),
        "icon": Key(*_IMAGE, "The favicon (Atom icon, JSON Feed favicon); empty: syndicate's."),
        "copyright": Key(*_TEXT, "RSS copyright, Atom rights, the pages' footer."),
        "sitemap_max_urls": Key(
            _is_sitemap_size,
            f"a whole number from 1 to {SITEMAP_MAX_URLS:,} (the sitemap protocol's limit)",
            "URLs per sitemap file before an index splits it.",
        ),
    },
    "feeds": {
        "items": Key(_is_positive_int, "a whole number above 0", "Articles per feed page."),
        "max_items": Key(_is_positive_int, "a whole number above 0", "The cap on `?limit=`."),
        "tombstone_days": Key(
            _is_whole_number,
            "a whole number of days, 0 or more",
            "Days a removed article's Atom tombstone (RFC 6721) stays in its feeds.",
        ),
        "max_bytes": Key(
            _is_feed_size,
            f"a whole number of bytes of at least {MIN_FEED_MAX_BYTES}",
            "Largest feed document; a feed holds fewer items rather than grow past it.",
        ),
    },
    "ingest": {
        "max_bytes": Key(
            _is_positive_int, "a whole number of bytes above 0", "Largest input accepted."
        ),
        "max_title_chars": Key(
            _is_text_limit,
            f"a whole number of characters of at least {MIN_TEXT_CHARS}",
            "Titles longer than this are cut.",
        ),
        "max_summary_chars": Key(
            _is_text_limit,
            f"a whole number of characters of at least {MIN_TEXT_CHARS}",
            "Summaries longer than this are cut.",
        ),
        "max_feed_entries": Key(_is_positive_int, "a whole number above 0", "Entries per feed."),
    },
    "server": {
        "host": Key(
            _is_str,
            "a host name or address such as '127.0.0.1'",
            "Where `syndicate serve` listens (`--host`).",
        ),
        "port": Key(_is_port, "a port number from 1 to 65535", "Its port (`--port`)."),
    },
    "database": {
        "url": Key(
            _is_database_url,
            "an SQLAlchemy URL such as 'sqlite:///var/syndicate.db'",
            "The store: SQLite (the embedded default) or `postgresql+psycopg://...`.",
            "SYNDICATE_DATABASE_URL",
        ),
    },
    "categories": {
        "name": Key(*_TEXT, "The category, as articles name it (matched case-insensitively)."),
        "title": Key(*_TEXT, "Its page's heading and its feeds' title instead of the name."),
        "description": Key(*_TEXT, "Shown on its page and in its feeds."),
        "image": Key(*_IMAGE, "Its feeds' and page's image instead of the site's logo."),
        "summary_only": Key(*_BOOL, "Keep its articles' full text out of every feed."),
    },
    "sources": {
        "name": Key(*_TEXT, "Unique; article ids are stable per source name."),
        "kind": Key(
            _is_kind,
            f"one of: {', '.join(SOURCE_KINDS)}",
            "`folder` (`path`), `page` (`url` or `urls`) or `feed` (`url`).",
        ),
        "url": Key(is_http_url, "an absolute http(s) URL", "The page or feed to fetch."),
        "urls": Key(
            _is_url_list, "a non-empty list of absolute http(s) URLs", "Several pages at once."
        ),
        "path": Key(_is_str, "a folder path", "The folder of a `folder` source."),
        "category": Key(*_TEXT, "Default category of its articles."),
        "interval": Key(
            _is_interval,
            "an interval such as '90s', '15m', '1h' or '1h30m'",
            "How often it is refreshed.",
        ),
        "enabled": Key(*_BOOL, "`false` keeps it configured but never scheduled."),
        "allow_private": Key(*_BOOL, "May fetch from loopback, private or link-local addresses."),
        "full_text": Key(*_BOOL, "Feeds: fetch the linked page of a summary-only entry."),
        "language": Key(_is_str, "a language tag such as 'en'", "Of its articles, when unsaid."),
    },
    "fetch": {
        "connect_timeout": Key(
            _is_positive_number, "a number of seconds above 0", "Seconds to connect."
        ),
        "total_timeout": Key(
            _is_positive_number, "a number of seconds above 0", "Seconds for a whole fetch."
        ),
        "max_bytes": Key(
            _is_positive_int,
            "a whole number of bytes above 0",
            "Largest body, on the wire and decompressed.",
        ),
        "max_redirects": Key(_is_positive_int, "a whole number above 0", "Redirects followed."),
        "per_host": Key(_is_positive_int, "a whole number above 0", "Requests at once per host."),
        "allow_private_networks": Key(
            *_BOOL,
            "Every source may fetch from private addresses (`1`/`0` in the variable).",
            "SYNDICATE_ALLOW_PRIVATE_NETWORKS",
        ),
    },
    "schedule": {
        "jitter": Key(
            _is_positive_int, "a whole number of seconds above 0", "Seconds of random spread."
        ),
        "backoff_max": Key(
            _is_positive_int,
            "a whole number of seconds above 0",
            "Longest wait after failures (seconds).",
        ),
        "enabled": Key(*_BOOL, "Run the scheduler inside `syndicate serve`."),
        "mode": Key(
            _is_mode,
            f"one of: {', '.join(SCHEDULE_MODES)}",
            "`inprocess` refreshes in the scheduler; `queue` enqueues for `syndicate worker` "
            "(PostgreSQL).",
            "SYNDICATE_SCHEDULE_MODE",
        ),
        "heartbeat": Key(
            _is_positive_number,
            "a number of seconds above 0",
            "Seconds between the ticks of a scheduler and of a queue worker.",
        ),
        "stalled_after": Key(
            _is_positive_number,
            "a number of seconds above 0",
            "A worker or scheduler silent this long is dead (`/healthz?deep=1` answers 503).",
        ),
    },
    "websub": {
        "hubs": Key(
            _is_hub_list,
            "a list of absolute http(s) hub URLs",
            "Hubs named in every feed and pinged when one changes (commas in the variable).",
            "SYNDICATE_WEBSUB_HUBS",
        ),
        "builtin": Key(*_BOOL, "Be the feeds' own hub, `/websub/hub`.", "SYNDICATE_WEBSUB_BUILTIN"),
        "lease_seconds": Key(*_SECONDS, "The built-in hub's lease when none is asked for."),
        "max_lease_seconds": Key(*_SECONDS, "The longest lease; longer ones are cut to it."),
        "concurrency": Key(*_COUNT, "Verifications and deliveries to callbacks at once."),
        "timeout": Key(*_TIME, "Seconds per call to a callback."),
        "retry_base": Key(*_TIME, "First wait after a failed delivery, doubled per failure."),
        "retry_max": Key(*_TIME, "Longest wait between retries of a delivery."),
        "retry_for": Key(*_TIME, "Seconds of failed deliveries before a subscription is failing."),
        "max_subscriptions": Key(*_COUNT, "Subscriptions kept; past it requests get a denial."),
    },
    "stats": {
        "enabled": Key(*_BOOL, "Count who polls the feeds (`syndicate stats`, `/admin/stats`)."),
        "flush_seconds": Key(*_TIME, "How often each web process writes its poll counts."),
        "salt_file": Key(
            _is_str,
            "a file path such as 'var/stats_salt'",
            f"Where the salt of clients' hashes is made and kept without `{STATS_SALT_VARIABLE}`.",
        ),
        "keep_days": Key(
            _is_positive_int, "a whole number of days above 0", "Days counts are kept."
        ),
    },
    "admin": {
        "secret_key_file": Key(
            _is_str,
            "a file path such as 'var/secret_key'",
            f"Where the admin's session key is made and kept without `{SECRET_KEY_VARIABLE}`.",
        ),
        "session_hours": Key(
            _is_positive_int, "a whole number of hours above 0", "How long an admin login lasts."
        ),
    },
    "cache": {
        "max_bytes": Key(
            _is_positive_int,
            "a whole number of bytes above 0",
            "Bytes of rendered feeds and pages each serving process keeps; least recently "
            "used out first.",
        ),
    },
}

# The dataclass whose defaults each table's keys have.
DEFAULTS: dict[str, type] = {
    "site": SiteSettings,
    "feeds": FeedSettings,
    "server": ServerSettings,
    "categories": CategorySettings,
    "sources": SourceSettings,
    "fetch": FetchSettings,
    "schedule": ScheduleSettings,
    "websub": WebSubSettings,
    "stats": StatsSettings,
    "ingest": IngestSettings,
    "admin": AdminSettings,
    "cache": CacheSettings,
}
ARRAYS = ("categories", "sources")  # [[tables]]


def default_of(table: str, key: str) -> str:
    """The default of ``table.key`` as the documentation shows it."""
    if (table, key) == ("database", "url"):
        return f"`{DEFAULT_DATABASE_URL}`"
    found = next(f for f in fields(DEFAULTS[table]) if f.name == key)
    if found.default is not MISSING:
        value: Any = found.default
    elif found.default_factory is not MISSING:
        value = found.default_factory()
    else:
        return "required"
    if (table, key) == ("sources", "interval"):
        return f'`"{value // 60}m"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[]`" if not value else f"`{list(value)}`"
    if value == "":
        return "empty"
    if isinstance(value, str):
        return f'`"{value}"`'
    if key.endswith("bytes") and value % (1024 * 1024) == 0:
        return f"`{value}` ({value // (1024 * 1024)} MiB)"
    return f"`{value}`"


def reference() -> str:
    """``docs/configuration.md``: every setting with its default, type and variable."""
    lines = [
        "# syndicate: configuration",
        "",
        "<!-- Written by `syndicate config docs` from syndicate/config/keys.py; do not edit. -->",
        "",
        f"Settings come from `config/syndicate.toml`, or the file `{CONFIG_VARIABLE}` names. "
        "Every key has a default, so an empty file is valid; an unknown key or a value of the "
        "wrong type is refused at start with the file, the key and what was expected. A "
        "variable, when a key has one, wins over the file.",
        "",
        "| setting | default | type | environment | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for table, keys in SCHEMA.items():
        for name, key in keys.items():
            where = f"`[[{table}]]` `{name}`" if table in ARRAYS else f"`{table}.{name}`"
            env = f"`{key.env}`" if key.env else ""
            row = [where, default_of(table, name), TYPE_NAMES[key.check], env, key.doc]
            lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Set only in the environment:",
        "",
        "| variable | what it does |",
        "| --- | --- |",
        f"| `{CONFIG_VARIABLE}` | the configuration file (default `config/syndicate.toml` "
        "when it exists) |",
        f"| `{ADMIN_TOKEN_VARIABLE}` | an admin token (the admin pages and API); requests send "
        "`Authorization: Bearer <token>` (secrets stay out of configuration files) |",
        f"| `{SECRET_KEY_VARIABLE}` | signs the admin's session cookies (at least 32 "
        "characters); unset, one is made once in `admin.secret_key_file` |",
        f"| `{STATS_SALT_VARIABLE}` | salts the hashes of the clients that poll the feeds (at "
        "least 16 characters; share it between machines); unset, one is made once in "
        "`stats.salt_file` |",
        "",
    ]
    return "\n".join(lines)
