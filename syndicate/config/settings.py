"""The settings themselves: frozen dataclasses, one per table of the configuration file.

Built once by :mod:`.loading` from TOML and ``SYNDICATE_*`` variables, then passed explicitly;
nothing reads settings from a global. Every field has a default, so ``Settings()`` is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("config/syndicate.toml")
DEFAULT_DATABASE_URL = "sqlite:///var/syndicate.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_FEED_ITEMS = 50
DEFAULT_MAX_FEED_ITEMS = 200
DEFAULT_TOMBSTONE_DAYS = 30
DEFAULT_FEED_MAX_BYTES = 1_000_000  # feed readers and hubs refuse or truncate bigger documents
MIN_FEED_MAX_BYTES = 10_000  # room for a channel and one item with its summary
DEFAULT_INGEST_MAX_BYTES = 2 * 1024 * 1024  # per file or feed entry; a long read is ~100 KB
DEFAULT_MAX_TITLE_CHARS = 300
DEFAULT_MAX_SUMMARY_CHARS = 300
# Entries read from one upstream feed document; the rest are skipped and counted. An archive
# feed of a few thousand podcast episodes fits; a feed of 100,000 entries cannot take the memory.
DEFAULT_MAX_FEED_ENTRIES = 5000
DEFAULT_INTERVAL_SECONDS = 30 * 60
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit of URLs in one file
DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024
SOURCE_KINDS = ("folder", "page", "feed")
# inprocess: the scheduler refreshes in its own process (the embedded default); queue: it only
# enqueues due sources on the PostgreSQL task queue and `syndicate worker` processes refresh.
SCHEDULE_MODES = ("inprocess", "queue")
DAY = 24 * 60 * 60
HUB_PATH = "/websub/hub"  # the built-in WebSub hub, on every site that turns it on


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Who publishes: names and URLs written into every feed and page."""

    title: str = "syndicate"
    description: str = "Articles published through syndicate"
    base_url: str = DEFAULT_BASE_URL
    language: str = "en"
    author: str = ""  # feed-level author (Atom, JSON Feed, dc:creator fallback); else the title
    # Images of the site, absolute URLs or paths under base_url ("/static/logo.png"). The logo
    # is the feeds' <image>/<logo> and the pages' OpenGraph image; the icon is the favicon
    # (Atom <icon>, JSON Feed favicon); "" serves syndicate's own icon at /favicon.ico.
    logo: str = ""
    icon: str = ""
    copyright: str = ""  # RSS <copyright>, Atom <rights>, shown in the pages' footer
    sitemap_max_urls: int = SITEMAP_MAX_URLS  # URLs per sitemap file before an index splits it

    # Whether base_url was set (file or SYNDICATE_BASE_URL): when it was not, `syndicate serve
    # --port N` makes links for the address it listens on.
    base_url_configured: bool = False

    def absolute(self, url: str) -> str:
        """``url`` as an absolute URL: a path on the site is put under ``base_url``."""
        return f"{self.base_url}{url}" if url.startswith("/") else url

    @property
    def icon_url(self) -> str:
        """The site's icon: the configured one, else syndicate's own at ``/favicon.ico``."""
        return self.absolute(self.icon or "/favicon.ico")

    @property
    def logo_url(self) -> str:
        """The site's logo, absolute; ``""`` when none is configured."""
        return self.absolute(self.logo)


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """How feeds are cut: items per feed, the cap on ``?limit=``, how many days an Atom feed
    carries the RFC 6721 tombstone of a removed article (0: none), and the most bytes a feed
    document may have (a feed that would pass it carries fewer items, or summaries)."""

    items: int = DEFAULT_FEED_ITEMS
    max_items: int = DEFAULT_MAX_FEED_ITEMS
    tombstone_days: int = DEFAULT_TOMBSTONE_DAYS
    max_bytes: int = DEFAULT_FEED_MAX_BYTES


@dataclass(frozen=True, slots=True)
class IngestSettings:
    """Caps on what goes into the store: bytes per file or feed entry (bigger ones are refused
    with their name and the limit), characters per title (longer ones cut, with a note) and per
    summary (summaries are excerpts, cut where a sentence ends)."""

    max_bytes: int = DEFAULT_INGEST_MAX_BYTES
    max_title_chars: int = DEFAULT_MAX_TITLE_CHARS
    max_summary_chars: int = DEFAULT_MAX_SUMMARY_CHARS
    max_feed_entries: int = DEFAULT_MAX_FEED_ENTRIES


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where ``syndicate serve`` listens by default."""

    host: str = "127.0.0.1"
    port: int = 8000


@dataclass(frozen=True, slots=True)
class CategorySettings:
    """A declared category: its title, description and image on the site and in its feeds.

    ``title`` replaces the name as the heading of its page and the title of its feeds (the
    name stays what articles are matched by); ``image`` (a URL, like ``site.logo``) replaces
    the site's logo for it.
    """

    name: str
    description: str = ""
    summary_only: bool = False
    title: str = ""
    image: str = ""


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """One configured source: where articles come from and how often to look.

    ``kind`` is ``folder`` (``path``), ``page`` (``url`` or ``urls``) or ``feed`` (``url``).
    ``interval`` is in seconds (written ``"15m"``, ``"1h"``, ``"1h30m"`` in the file).
    """

    name: str
    kind: str
    url: str = ""
    urls: tuple[str, ...] = ()
    path: str = ""
    category: str = ""
    interval: int = DEFAULT_INTERVAL_SECONDS
    enabled: bool = True
    allow_private: bool = False  # may fetch from loopback/private addresses
    full_text: bool = False  # feed: fetch the linked page when an entry has only a summary
    language: str = ""

    @property
    def locations(self) -> tuple[str, ...]:
        """The URLs (or the folder) this source reads."""
        if self.kind == "folder":
            return (self.path,)
        return self.urls or (self.url,)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits on every network fetch (seconds and bytes)."""

    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2  # requests at once to one host
    allow_private_networks: bool = False  # SYNDICATE_ALLOW_PRIVATE_NETWORKS=1


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """How the scheduler spreads and backs off refreshes (seconds)."""

    jitter: int = 30
    backoff_max: int = 6 * 60 * 60
    enabled: bool = True  # run the scheduler inside ``syndicate serve``
    mode: str = "inprocess"  # one of SCHEDULE_MODES; "queue" needs PostgreSQL
    heartbeat: float = 10.0  # queue: seconds between a worker's "still alive" writes
    stalled_after: float = 30.0  # queue: a worker silent this long is dead; its job is retried


@dataclass(frozen=True, slots=True)
class WebSubSettings:
    """WebSub: the hubs advertised in every feed and pinged when a feed changes, and the
    built-in hub (``builtin``), which pushes each changed feed to its subscribers itself.

    Leases and times are in seconds: a subscription lasts ``lease_seconds`` unless it asks
    for another lease, never more than ``max_lease_seconds``; a failed delivery is retried
    after ``retry_base`` seconds, doubled per failure up to ``retry_max``, for ``retry_for``
    seconds before the subscription is marked failing. ``concurrency`` deliveries (and
    verifications) run at once, each within ``timeout`` seconds.
    """

    hubs: tuple[str, ...] = ()
    builtin: bool = False
    lease_seconds: int = 10 * DAY
    max_lease_seconds: int = 30 * DAY
    concurrency: int = 16
    timeout: float = 10.0
    retry_base: float = 60.0
    retry_max: float = 60.0 * 60
    retry_for: float = float(DAY)
    max_subscriptions: int = 100_000

    def hub_url(self, base_url: str) -> str:
        """The built-in hub's URL on a site."""
        return f"{base_url}{HUB_PATH}"

    def advertised(self, base_url: str) -> tuple[str, ...]:
        """Every hub a feed names: the configured ones, then the built-in one when it is on."""
        return self.hubs + ((self.hub_url(base_url),) if self.builtin else ())


@dataclass(frozen=True, slots=True)
class StatsSettings:
    """Counting who polls the feeds: on or off, how often the web processes write their
    counts (seconds), where the salt of the clients' hashes is made when
    ``SYNDICATE_STATS_SALT`` does not give one, and how many days are kept."""

    enabled: bool = True
    flush_seconds: float = 10.0
    salt_file: str = "var/stats_salt"
    keep_days: int = 400


@dataclass(frozen=True, slots=True)
class AdminSettings:
    """The admin pages' sessions: where the signing key is kept when none is given
    (``SYNDICATE_SECRET_KEY``), and how long a login lasts."""

    secret_key_file: str = "var/secret_key"
    session_hours: int = 12


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """The byte cache of rendered feeds and pages, per serving process."""

    max_bytes: int = DEFAULT_CACHE_MAX_BYTES  # least recently used documents go first


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything syndicate can be told; frozen, passed explicitly, never global."""

    site: SiteSettings = field(default_factory=SiteSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    categories: tuple[CategorySettings, ...] = ()
    sources: tuple[SourceSettings, ...] = ()
    fetch: FetchSettings = field(default_factory=FetchSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    websub: WebSubSettings = field(default_factory=WebSubSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    stats: StatsSettings = field(default_factory=StatsSettings)
    database_url: str = DEFAULT_DATABASE_URL
    admin_token: str = ""  # SYNDICATE_ADMIN_TOKEN only: secrets stay out of config files
    secret_key: str = ""  # SYNDICATE_SECRET_KEY only: signs the admin's session cookies
    stats_salt: str = ""  # SYNDICATE_STATS_SALT only: salts the hashes of polling clients
    config_path: str = ""  # the file these settings came from, "" for defaults only

    def source(self, name: str) -> SourceSettings | None:
        """The configured source of that name."""
        return next((s for s in self.sources if s.name == name), None)

    def category(self, name: str) -> CategorySettings | None:
        """The declared settings of a category, matched case-insensitively."""
        wanted = name.casefold()
        return next((c for c in self.categories if c.name.casefold() == wanted), None)
