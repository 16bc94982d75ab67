"""Settings: what syndicate can be told (:mod:`.settings`), each key declared once with its
check, its documentation and its variable (:mod:`.keys`), and how they are read
(:mod:`.loading`).

This package is the only reader of ``os.environ``. Every setting has a default, so an empty
file (or none) is valid; a wrong file is refused with :class:`~syndicate.errors.ConfigError`
naming the file, the key and what was expected.
"""

from syndicate.config.keys import parse_interval, reference
from syndicate.config.loading import check_schedule, is_postgresql_url, load_settings, parse_source
from syndicate.config.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_DATABASE_URL,
    DEFAULT_INTERVAL_SECONDS,
    HUB_PATH,
    SCHEDULE_MODES,
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

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_INTERVAL_SECONDS",
    "HUB_PATH",
    "SCHEDULE_MODES",
    "SOURCE_KINDS",
    "AdminSettings",
    "CacheSettings",
    "CategorySettings",
    "FeedSettings",
    "FetchSettings",
    "IngestSettings",
    "ScheduleSettings",
    "ServerSettings",
    "Settings",
    "SiteSettings",
    "SourceSettings",
    "StatsSettings",
    "WebSubSettings",
    "check_schedule",
    "is_postgresql_url",
    "load_settings",
    "parse_interval",
    "parse_source",
    "reference",
]
