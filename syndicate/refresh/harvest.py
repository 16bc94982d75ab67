"""What one source kind hands the refresh seam: the articles it found, and what it noticed.

Each kind of source (:mod:`.folder_source`, :mod:`.page_source`, :mod:`.feed_source`) is a
:class:`SourceKind`: given a configured source and the :class:`Context` (store, fetcher,
clock), it returns one immutable :class:`Harvest`, or raises
:class:`~syndicate.errors.SourceError` when the source as a whole failed. The seam
(:mod:`.seam`) stores the harvest, records the outcome and catches everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from syndicate.config import Settings, SourceSettings
from syndicate.config.settings import DEFAULT_MAX_FEED_ENTRIES
from syndicate.errors import ParseError
from syndicate.model import Article, RawEntry
from syndicate.normalize import DEFAULT_LIMITS, Defaults, Limits, normalize
from syndicate.sources.fetch import Fetcher, FetchResult
from syndicate.store import Store


@dataclass(frozen=True, slots=True)
class Context:
    """What every kind may use: the store (for validators and known ids), the guarded fetcher
    (the only network client), the clock (the time articles are seen) and the ``[ingest]``
    limits on each file and entry."""

    store: Store
    fetcher: Fetcher
    clock: Callable[[], datetime]
    limits: Limits = DEFAULT_LIMITS
    max_feed_entries: int = DEFAULT_MAX_FEED_ENTRIES


@dataclass(frozen=True, slots=True)
class Harvest:
    """One source's yield before storing.

    ``kept`` are ids known to be unchanged without parsing them (an unchanged file, an
    article whose full text is already stored); ``seen`` are the ids the source still backs,
    when the kind can tell (folders: for counting removed files), else ``None``.
    ``on_stored`` is the kind's own bookkeeping, run once the articles are committed.
    """

    articles: tuple[Article, ...] = ()
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    kept: frozenset[str] = frozenset()
    seen: frozenset[str] | None = None
    on_stored: Callable[[], None] | None = None
    over_cap: int = 0  # entries past the feed's cap, skipped unread (counted in ``skipped``)


NOT_MODIFIED = Harvest(not_modified=True)

# Where scheduling starts for upstream entries (feeds and pages): one dated at most this far
# ahead of our clock is taken as published now (the other server's clock runs fast); one
# dated further ahead is scheduled, shown nowhere until its time. Folder files are the
# publisher's own and are scheduled to the second.
CLOCK_SKEW = timedelta(minutes=10)


def limits_of(settings: Settings) -> Limits:
    """The ``[ingest]`` settings as the limits normalize applies to each entry."""
    ingest = settings.ingest
    return Limits(
        max_bytes=ingest.max_bytes,
        max_title_chars=ingest.max_title_chars,
        max_summary_chars=ingest.max_summary_chars,
    )


class SourceKind(Protocol):
    """One kind of source (``kind = "..."`` in the configuration)."""

    def harvest(self, source: SourceSettings, ctx: Context) -> Harvest:
        """Read the source once; :class:`~syndicate.errors.SourceError` when it failed."""


def normalized(
    entries: Iterable[RawEntry],
    source: SourceSettings,
    now: datetime,
    *,
    limits: Limits = DEFAULT_LIMITS,
    notes: list[str] | None = None,
    origin: str = "",
) -> tuple[list[Article], list[str]]:
    """Articles from entries, and "title: reason" for each entry that makes none.

    What was cut to fit the limits is added to ``notes`` (the run log says so).
    """
    defaults = Defaults(
        categories=(source.category,) if source.category else (), language=source.language
    )
    articles: list[Article] = []
    skipped: list[str] = []
    for entry in entries:
        label = _label(entry)
        try:
            article = normalize(
                entry,
                source=source.name,
                now=now,
                defaults=defaults,
                origin=origin or label,
                limits=limits,
                notes=notes,
            )
        except ParseError as exc:
            skipped.append(f"{label}: {exc.reason}")
            continue
        articles.append(article if source.kind == "folder" else within_skew(article, now))
    return articles, skipped


def within_skew(article: Article, now: datetime) -> Article:
    """An upstream article dated a little ahead (:data:`CLOCK_SKEW`) as published ``now``.

    The content hash stays that of the upstream's date, so the next refresh, when that date
    has passed, finds the article unchanged instead of rewriting it.
    """
    if not now < article.published <= now + CLOCK_SKEW:
        return article
    at = now.replace(microsecond=0)
    return replace(article, published=at, updated=at)


def _label(entry: RawEntry) -> str:
    """How an entry is named in messages: its title (shortened), else its link or id."""
    title = " ".join(entry.title.split())
    if len(title) > 80:
        title = title[:79].rstrip() + "…"
    return title or entry.link or entry.guid or "untitled"


def fetch_conditional(source: SourceSettings, url: str, ctx: Context) -> FetchResult:
    """GET ``url`` with the validators stored for the source (a 304 costs no parsing)."""
    state = ctx.store.source_state(source.name)
    return ctx.fetcher.get(
        url,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        allow_private=source.allow_private,
        source=source.name,
    )
