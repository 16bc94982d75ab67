"""Settings: what syndicate can be told (:mod:`.settings`) and how it is read (:mod:`.loading`).

This package is the only reader of ``os.environ``. Every setting has a default, so an empty
file (or none) is valid; a wrong file is refused with :class:`~syndicate.errors.ConfigError`
naming the file, the key and what was expected.
"""

from syndicate.config.loading import (
    check_schedule,
    is_postgresql_url,
    load_settings,
    parse_interval,
    parse_source,
)
from syndicate.config.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_DATABASE_URL,
    DEFAULT_INTERVAL_SECONDS,
    SCHEDULE_MODES,
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

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_INTERVAL_SECONDS",
    "SCHEDULE_MODES",
    "SOURCE_KINDS",
    "AdminSettings",
    "CategorySettings",
    "FeedSettings",
    "FetchSettings",
    "IngestSettings",
    "ScheduleSettings",
    "ServerSettings",
    "Settings",
    "SiteSettings",
    "SourceSettings",
    "WebSubSettings",
    "check_schedule",
    "is_postgresql_url",
    "load_settings",
    "parse_interval",
    "parse_source",
]
