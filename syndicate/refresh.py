"""One pass per source: fetch, parse, normalize, store; and the outcome, always recorded.

:class:`Refresher` runs a configured source once. New articles are inserted, changed ones
updated in place (the store keeps their id, slug and first ``published``), unchanged ones are
not written. A 304 costs no parsing. Whatever happens ends as one :class:`RunResult`, logged
with :meth:`Store.log_run`; a failing source (network, HTTP, unreadable body, a feed that comes
back empty after having items) is recorded with :meth:`Store.record_failure` and keeps every
article it already has. One bad entry is skipped and counted, never failing its source.

Never two refreshes of one source at once: a per-source lock in this process. The second
caller does not wait by default: it gets an ``busy`` result at once, since the refresh already
running brings the source up to date anyway. (Across processes, e.g. ``syndicate refresh``
beside ``syndicate serve``, two refreshes can overlap; their upserts are idempotent, so the
cost is a redundant fetch. The task queue of the at-scale deployment locks per source.)

Folder sources never delete: an article whose file is gone stays stored and published, and is
counted as ``removed`` in every run until the file returns or an operator deletes it. Losing
an article because a volume was not mounted is worse than keeping one too long.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from syndicate.config import Settings, SourceSettings
from syndicate.errors import ParseError, SourceError, StoreError
from syndicate.model import Article, RawEntry
from syndicate.normalize import Defaults, article_id, canonical_url, normalize, one_line
from syndicate.sources import files, parse_bytes
from syndicate.sources import page as page_parser
from syndicate.sources import syndication as feed_parser
from syndicate.sources.fetch import Fetcher, FetchResult, RateLimited, decode_body
from syndicate.store import Store, UpsertResult
from syndicate.text.dates import utc_now

log = logging.getLogger(__name__)

MAX_REASONS = 3  # skipped-entry reasons quoted in a run's message
OnChange = Callable[[str, list[Article]], None]  # (source name, new and updated articles)


class Outcome(StrEnum):
    """How one run ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"  # 304: nothing fetched, nothing parsed
    FAILED = "failed"
    BUSY = "busy"  # another refresh of the source was running; this one did nothing


@dataclass(frozen=True, slots=True)
class RunResult:
    """One refresh of one source: counts, message, and what changed.

    ``changed`` lists the ids of new and updated articles (feed caches and WebSub pings key on
    them); ``retry_after`` is set when the server asked us to come back later.
    """

    source: str
    started: datetime
    duration: float  # seconds
    outcome: Outcome
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    message: str = ""
    changed: tuple[str, ...] = ()
    retry_after: datetime | None = None

    @property
    def failed(self) -> bool:
        """True when the source failed (a busy run is not a failure)."""
        return self.outcome is Outcome.FAILED


@dataclass
class _Harvest:
    """What one source yielded before normalizing: entries, skips, validators, notes."""

    entries: list[RawEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    articles: list[Article] = field(default_factory=list)  # already normalized (folders)
    kept: set[str] = field(default_factory=set)  # ids known unchanged without parsing
    seen: set[str] | None = None  # folder: every id still backed by a file
    files: dict[Path, _FileMemo] | None = None  # folder: what to remember once stored


@dataclass
class _FileMemo:
    """A folder file as last read: its stat and the ids it produced."""

    mtime_ns: int
    size: int
    ids: tuple[str, ...]


class Refresher:
    """Runs sources once, safely from many threads; owns its fetcher unless given one."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] = utc_now,
        on_change: OnChange | None = None,
    ) -> None:
        self.settings, self.store, self.clock, self.on_change = settings, store, clock, on_change
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or Fetcher(settings.fetch)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._folders: dict[str, dict[Path, _FileMemo]] = {}

    def close(self) -> None:
        """Close the fetcher if this refresher made it."""
        if self._own_fetcher:
            self.fetcher.close()

    def refresh(self, source: str | SourceSettings, *, wait: bool = False) -> RunResult:
        """Refresh one source now; ``busy`` if it is already being refreshed and not ``wait``.

        Raises ``KeyError`` for a source name that is not configured.
        """
        if isinstance(source, str):
            found = self.settings.source(source)
            if found is None:
                raise KeyError(f"no source named {source!r} is configured")
            source = found
        lock = self._lock_for(source.name)
        if not lock.acquire(blocking=wait):
            return RunResult(
                source.name, self.clock(), 0.0, Outcome.BUSY, message="already being refreshed"
            )
        try:
            return self._run(source)
        finally:
            lock.release()

    def refresh_many(
        self, names: Iterable[str] | None = None, *, workers: int = 4
    ) -> Iterator[RunResult]:
        """Refresh several sources (default: every enabled one), yielding results as they end."""
        sources = (
            [self._named(n) for n in names]
            if names is not None
            else [s for s in self.settings.sources if s.enabled]
        )
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(self.refresh, s) for s in sources]
            for future in as_completed(futures):
                yield future.result()

    # -- one run -----------------------------------------------------------------------------

    def _run(self, source: SourceSettings) -> RunResult:
        started, clock = self.clock(), time.monotonic()
        try:
            harvest = self._harvest(source)
            result = self._store(source, harvest, started)
            if harvest.files is not None:
                self._folders[source.name] = harvest.files
        except SourceError as exc:
            result = self._failure(source, started, exc.reason, exc)
        except StoreError as exc:
            result = self._failure(source, started, str(exc), exc)
        result = replace(result, duration=round(time.monotonic() - clock, 6))
        self._log(result)
        return result

    def _failure(
        self, source: SourceSettings, started: datetime, message: str, exc: Exception
    ) -> RunResult:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        try:
            self.store.record_failure(source.name, message, at=self.clock())
        except StoreError as store_exc:
            message += f" (and recording the failure failed: {store_exc})"
        return RunResult(
            source.name, started, 0.0, Outcome.FAILED, message=message, retry_after=retry_after
        )

    def _log(self, result: RunResult) -> None:
        try:
            self.store.log_run(
                result.source,
                started=result.started,
                duration=result.duration,
                outcome=str(result.outcome),
                new=result.new,
                updated=result.updated,
                unchanged=result.unchanged,
                skipped=result.skipped,
                message=result.message,
            )
        except StoreError as exc:
            log.error("cannot log the run of %s: %s", result.source, exc)
        log.info("refresh %s: %s %s", result.source, result.outcome, result.message)

    def _harvest(self, source: SourceSettings) -> _Harvest:
        if source.kind == "folder":
            return self._folder(source)
        if source.kind == "page":
            return self._pages(source)
        return self._feed(source)

    # -- storing -----------------------------------------------------------------------------

    def _store(self, source: SourceSettings, harvest: _Harvest, started: datetime) -> RunResult:
        if harvest.not_modified:
            self.store.record_success(source.name, at=self.clock())
            return RunResult(
                source.name,
                started,
                0.0,
                Outcome.NOT_MODIFIED,
                unchanged=self.store.count(source.name),
                message="not modified",
            )
        articles, skipped = self._normalize(source, harvest)
        self._check_not_empty(source, harvest, articles, skipped)
        results, changed = self._upsert(articles)
        removed = self._removed(source, harvest)
        self.store.record_success(
            source.name,
            at=self.clock(),
            etag=harvest.etag or "",
            last_modified=harvest.last_modified or "",
        )
        if changed:
            self._notify(source.name, changed, harvest)
        return RunResult(
            source.name,
            started,
            0.0,
            Outcome.OK,
            new=results[UpsertResult.INSERTED],
            updated=results[UpsertResult.UPDATED],
            unchanged=results[UpsertResult.UNCHANGED] + len(harvest.kept),
            skipped=len(skipped),
            removed=removed,
            message=_message(harvest.notes, skipped, removed),
            changed=tuple(a.id for a in changed),
        )

    def _normalize(
        self, source: SourceSettings, harvest: _Harvest
    ) -> tuple[list[Article], list[str]]:
        articles, skipped = _normalized(harvest.entries, source, self.clock())
        return harvest.articles + articles, harvest.skipped + skipped

    def _check_not_empty(
        self,
        source: SourceSettings,
        harvest: _Harvest,
        articles: list[Article],
        skipped: list[str],
    ) -> None:
        """An empty answer from a source that had articles is a failure, not a deletion."""
        if articles or harvest.kept:
            return
        if skipped:
            raise ParseError(
                source.name, f"all {len(skipped)} entries were skipped; first: {skipped[0]}"
            )
        stored = self.store.count(source.name)
        if stored:
            raise ParseError(
                source.name,
                f"no entries found where there were items; the {stored} stored articles are kept",
            )

    def _upsert(self, articles: list[Article]) -> tuple[dict[UpsertResult, int], list[Article]]:
        counts = dict.fromkeys(UpsertResult, 0)
        changed: list[Article] = []
        for article in articles:
            outcome = self.store.upsert(article)
            counts[outcome] += 1
            if outcome is not UpsertResult.UNCHANGED:
                changed.append(article)
        return counts, changed

    def _removed(self, source: SourceSettings, harvest: _Harvest) -> int:
        if harvest.seen is None:
            return 0
        return len(self.store.article_ids(source.name) - harvest.seen)

    def _notify(self, name: str, changed: list[Article], harvest: _Harvest) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(name, changed)
        except Exception as exc:  # a hook's failure must not undo a stored refresh
            log.exception("on_change hook failed for %s", name)
            harvest.notes.append(f"change hook failed: {exc}")

    # -- feeds -------------------------------------------------------------------------------

    def _feed(self, source: SourceSettings) -> _Harvest:
        harvest, result = self._fetch_conditional(source, source.url)
        if result.not_modified:
            return harvest
        decoded = decode_body(result, name=source.name)
        parsed = feed_parser.read_feed(decoded.text, result.url)
        harvest.notes += [n for n in (decoded.note, parsed.note) if n]
        harvest.skipped += parsed.skipped
        for item in parsed.items:
            if item.summary_only and source.full_text:
                self._with_full_text(source, item.entry, harvest)
            else:
                harvest.entries.append(item.entry)
        return harvest

    def _with_full_text(self, source: SourceSettings, entry: RawEntry, harvest: _Harvest) -> None:
        """Replace a summary-only body with the linked page's, once per article.

        An article already stored keeps its stored text (the page is not fetched again every
        run); a page that cannot be read leaves the summary as the body, with a note.
        """
        link = canonical_url(entry.link)
        known = article_id(source.name, link, one_line(entry.title))
        if link and self.store.get(known) is not None:
            harvest.kept.add(known)
            return
        try:
            result = self.fetcher.get(
                entry.link, allow_private=source.allow_private, source=entry.link
            )
            (found, *_rest) = _page_entries(result)
        except SourceError as exc:
            harvest.notes.append(f"full text of {entry.link}: {exc.reason}")
            harvest.entries.append(entry)
            return
        harvest.entries.append(
            replace(entry, blocks=found.blocks or entry.blocks, media=entry.media or found.media)
        )

    def _fetch_conditional(self, source: SourceSettings, url: str) -> tuple[_Harvest, FetchResult]:
        state = self.store.source_state(source.name)
        result = self.fetcher.get(
            url,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            allow_private=source.allow_private,
            source=source.name,
        )
        harvest = _Harvest(
            etag=result.etag, last_modified=result.last_modified, not_modified=result.not_modified
        )
        return harvest, result

    # -- pages -------------------------------------------------------------------------------

    def _pages(self, source: SourceSettings) -> _Harvest:
        """One article per page URL; with several URLs a failing page is only skipped.

        Only a single-page source uses conditional GET: the store keeps one pair of
        validators per source.
        """
        urls = source.locations
        if len(urls) == 1:
            harvest, result = self._fetch_conditional(source, urls[0])
            if not result.not_modified:
                harvest.entries += _page_entries(result)
            return harvest
        harvest = _Harvest()
        for url in urls:
            try:
                result = self.fetcher.get(url, allow_private=source.allow_private, source=url)
                harvest.entries += _page_entries(result)
            except SourceError as exc:
                harvest.skipped.append(f"{url}: {exc.reason}")
        return harvest

    # -- folders -----------------------------------------------------------------------------

    def _folder(self, source: SourceSettings) -> _Harvest:
        root = Path(source.path)
        if not root.is_dir():
            raise SourceError(source.name, f"{root} is not a folder (missing or not mounted?)")
        memo = self._folders.get(source.name, {})
        harvest = _Harvest(seen=set(), files={})
        for path in files.article_files(root):
            self._folder_file(source, path, memo, harvest)
        return harvest

    def _folder_file(
        self, source: SourceSettings, path: Path, memo: dict[Path, _FileMemo], harvest: _Harvest
    ) -> None:
        """Read a new or changed file; an unchanged one (same size and mtime) is not parsed."""
        assert harvest.seen is not None and harvest.files is not None
        stat = path.stat()
        known = memo.get(path)
        if known and (known.mtime_ns, known.size) == (stat.st_mtime_ns, stat.st_size):
            harvest.kept.update(known.ids)
            harvest.seen.update(known.ids)
            harvest.files[path] = known
            return
        try:
            entries = parse_bytes(files.read_file(path), str(path))
        except SourceError as exc:
            harvest.skipped.append(f"{path.name}: {getattr(exc, 'reason', exc)}")
            harvest.seen.update(known.ids if known else ())  # a bad edit is not a removal
            return
        articles, skipped = _normalized(entries, source, self.clock())
        harvest.skipped += [f"{path.name}: {reason}" for reason in skipped]
        ids = tuple(a.id for a in articles)
        harvest.files[path] = _FileMemo(stat.st_mtime_ns, stat.st_size, ids)
        harvest.seen.update(ids)
        harvest.articles += articles

    def _lock_for(self, name: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(name, threading.Lock())

    def _named(self, name: str) -> SourceSettings:
        found = self.settings.source(name)
        if found is None:
            raise KeyError(f"no source named {name!r} is configured")
        return found


def _page_entries(result: FetchResult) -> list[RawEntry]:
    """The page's article, linked to the page's URL when it names no canonical one."""
    decoded = decode_body(result, policy=page_parser.DECODING)
    entries = page_parser.read_text(decoded.text, result.url)
    return [e if e.link else replace(e, link=result.url) for e in entries]


def _normalized(
    entries: Iterable[RawEntry], source: SourceSettings, now: datetime
) -> tuple[list[Article], list[str]]:
    """Articles from entries, and "title: reason" for each entry that makes none."""
    defaults = Defaults(
        categories=(source.category,) if source.category else (), language=source.language
    )
    articles: list[Article] = []
    skipped: list[str] = []
    for entry in entries:
        try:
            articles.append(normalize(entry, source=source.name, now=now, defaults=defaults))
        except ParseError as exc:
            skipped.append(f"{entry.title or entry.link or 'untitled'}: {exc.reason}")
    return articles, skipped


def _message(notes: list[str], skipped: list[str], removed: int) -> str:
    parts = list(notes)
    if skipped:
        shown = "; ".join(skipped[:MAX_REASONS])
        more = f" (+{len(skipped) - MAX_REASONS} more)" if len(skipped) > MAX_REASONS else ""
        parts.append(f"skipped {len(skipped)}: {shown}{more}")
    if removed:
        parts.append(f"{removed} stored articles have no file any more; they are kept")
    return "; ".join(parts)
