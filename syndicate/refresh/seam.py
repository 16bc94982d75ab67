"""One pass per source: harvest, store, and the outcome, always recorded.

:class:`Refresher` runs a configured source once through its kind (:mod:`.harvest`): new
articles are inserted, changed ones updated in place (the store keeps their id, slug and first
``published``), unchanged ones are not written, all in batches through
:meth:`Store.upsert_each`. A 304 costs no parsing. Whatever happens ends as one
:class:`RunResult` in the run log: the run is logged ``running`` when it starts and finished in
place when it ends (a killed run stays visible, and is marked ``interrupted`` by the source's
next run); a run that ends while the database is away is logged when it is back.

This is the per-source seam: **every** failure of a source, of any exception type, ends here
as that source's failure. A :class:`~syndicate.errors.SourceError` (network, HTTP, unreadable
body, a feed that comes back empty after having items) or a
:class:`~syndicate.errors.StoreError` is recorded with its message; anything else (a bug in a
parser) is recorded with its exception type, and its traceback goes to the log. The source
keeps every article it already has, the other sources are still refreshed, and the scheduler
backs off from it. One bad entry is skipped and counted, never failing its source.

Never two refreshes of one source at once: a per-source lock in this process. The second
caller does not wait by default: it gets a ``busy`` result at once, since the refresh already
running brings the source up to date anyway. (Across processes two refreshes can overlap; their
upserts are idempotent, so the cost is a redundant fetch. The task queue locks per source.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from syndicate.config import Settings, SourceSettings
from syndicate.errors import ParseError, SourceError, StoreError
from syndicate.model import Article
from syndicate.refresh.feed_source import FeedSource
from syndicate.refresh.folder_source import FolderSource
from syndicate.refresh.harvest import Context, Harvest, SourceKind, limits_of
from syndicate.refresh.page_source import PageSource
from syndicate.sources.fetch import Fetcher, RateLimited
from syndicate.store import Store, UpsertResult
from syndicate.text.dates import utc_now

log = logging.getLogger(__name__)

MAX_REASONS = 3  # skipped-entry reasons quoted in a run's message
PENDING_RUNS = 1000  # runs kept to log once the database is back; the oldest are dropped
OnChange = Callable[[str, list[Article]], None]  # (source name, new and updated articles)
WRITTEN = (UpsertResult.INSERTED, UpsertResult.UPDATED)


def default_kinds() -> dict[str, SourceKind]:
    """One handler per ``kind`` a source may declare (see ``config.SOURCE_KINDS``)."""
    return {"folder": FolderSource(), "page": PageSource(), "feed": FeedSource()}


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
    them); ``retry_after`` is set when the server asked us to come back later. ``recorded`` is
    false when the outcome could not be written to the store (the database was unreachable).
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
    recorded: bool = True

    @property
    def failed(self) -> bool:
        """True when the source failed (a busy run is not a failure)."""
        return self.outcome is Outcome.FAILED


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
        kinds: Mapping[str, SourceKind] | None = None,
    ) -> None:
        self.settings, self.store, self.clock, self.on_change = settings, store, clock, on_change
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or Fetcher(settings.fetch)
        self.kinds = dict(kinds) if kinds is not None else default_kinds()
        self._context = Context(
            store, self.fetcher, clock, limits_of(settings), settings.ingest.max_feed_entries
        )
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        # Runs that ended while the database was away (and their run-log rows, when started).
        self._pending: deque[tuple[RunResult, int | None, bool]] = deque(maxlen=PENDING_RUNS)

    def close(self) -> None:
        """Close the fetcher if this refresher made it."""
        if self._own_fetcher:
            self.fetcher.close()

    def refresh(self, source: str | SourceSettings, *, wait: bool = False) -> RunResult:
        """Refresh one source now; ``busy`` if it is already being refreshed and not ``wait``.

        Raises ``KeyError`` for a source name that is not configured.
        """
        if isinstance(source, str):
            source = self._named(source)
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
        self.record_pending()
        try:
            run_id: int | None = self.store.runs.start_run(source.name, started=started)
        except StoreError:
            run_id = None  # the database is away: the run is logged when it is back
        try:
            result = self._store(source, self._harvest(source), started)
        except SourceError as exc:
            result = self._failure(source, started, exc.reason, exc)
        except StoreError as exc:
            result = self._failure(source, started, str(exc), exc)
        except Exception as exc:  # the seam: a bug is this source's failure, not everyone's
            log.exception("refresh of %s raised", source.name)
            result = self._failure(
                source, started, f"internal error ({type(exc).__name__}): {exc}", exc
            )
        result = replace(result, duration=round(time.monotonic() - clock, 6))
        return self._log(result, run_id)

    def _harvest(self, source: SourceSettings) -> Harvest:
        kind = self.kinds.get(source.kind)
        if kind is None:
            raise SourceError(source.name, f"no handler for sources of kind {source.kind!r}")
        return kind.harvest(source, self._context)

    def _failure(
        self, source: SourceSettings, started: datetime, message: str, exc: Exception
    ) -> RunResult:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        recorded = True
        try:
            self.store.record_failure(source.name, message, at=self.clock())
        except StoreError as store_exc:
            message += f" (and recording the failure failed: {store_exc})"
            recorded = False
        return RunResult(
            source.name,
            started,
            0.0,
            Outcome.FAILED,
            message=message,
            retry_after=retry_after,
            recorded=recorded,
        )

    def _log(self, result: RunResult, run_id: int | None = None) -> RunResult:
        failure_unrecorded = result.failed and not result.recorded
        try:
            self._write_run(result, run_id)
        except StoreError as exc:
            log.error("cannot log the run of %s (later, when it can be): %s", result.source, exc)
            result = replace(result, recorded=False)
            with self._locks_lock:
                self._pending.append((result, run_id, failure_unrecorded))
        log.info("refresh %s: %s %s", result.source, result.outcome, result.message)
        return result

    def _write_run(self, result: RunResult, run_id: int | None) -> None:
        counts: dict[str, Any] = {
            "new": result.new,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
            "message": result.message,
        }
        outcome, duration = str(result.outcome), result.duration
        if run_id is None:
            self.store.log_run(
                result.source, started=result.started, duration=duration, outcome=outcome, **counts
            )
        else:
            self.store.runs.finish_run(run_id, outcome=outcome, duration=duration, **counts)

    def record_pending(self) -> None:
        """Log the runs (and failures) that ended while the database was away, oldest first,
        now that it may be back; those that still cannot be written wait for the next try.

        Every run tries first; queue workers also try every heartbeat, since a worker may get
        no other job of any source for a long time (another worker takes them).
        """
        with self._locks_lock:
            pending, self._pending = self._pending, deque(maxlen=PENDING_RUNS)
        while pending:
            result, run_id, failure_unrecorded = pending[0]
            try:
                if failure_unrecorded:
                    self.store.record_failure(result.source, result.message, at=result.started)
                    pending[0] = (result, run_id, False)
                self._write_run(result, run_id)
            except StoreError:
                with self._locks_lock:
                    pending.extend(self._pending)
                    self._pending = pending
                return
            pending.popleft()

    # -- storing -----------------------------------------------------------------------------

    def _store(self, source: SourceSettings, harvest: Harvest, started: datetime) -> RunResult:
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
        self._check_not_empty(source, harvest)
        counts, changed = self._write(harvest.articles)
        if harvest.on_stored is not None:
            harvest.on_stored()
        removed = self._removed(source, harvest)
        self.store.record_success(
            source.name,
            at=self.clock(),
            etag=harvest.etag or "",
            last_modified=harvest.last_modified or "",
        )
        notes = list(harvest.notes)
        if changed:
            notes += self._notify(source.name, changed)
        return RunResult(
            source.name,
            started,
            0.0,
            Outcome.OK,
            new=counts[UpsertResult.INSERTED],
            updated=counts[UpsertResult.UPDATED],
            unchanged=counts[UpsertResult.UNCHANGED] + len(harvest.kept),
            skipped=len(harvest.skipped) + harvest.over_cap,
            removed=removed,
            message=_message(notes, harvest.skipped, removed, counts[UpsertResult.WITHHELD]),
            changed=tuple(a.id for a in changed),
        )

    def _check_not_empty(self, source: SourceSettings, harvest: Harvest) -> None:
        """An empty answer from a source that had articles is a failure, not a deletion."""
        if harvest.articles or harvest.kept:
            return
        if harvest.skipped:
            raise ParseError(
                source.name,
                f"all {len(harvest.skipped)} entries were skipped; first: {harvest.skipped[0]}",
            )
        stored = self.store.count(source.name)
        if stored:
            raise ParseError(
                source.name,
                f"no entries found where there were items; the {stored} stored articles are kept",
            )

    def _write(self, articles: Iterable[Article]) -> tuple[Counter[UpsertResult], list[Article]]:
        """Store in batches (the path ``bench/scale.py`` measures); what changed, in order."""
        counts: Counter[UpsertResult] = Counter()
        changed: list[Article] = []
        for article, outcome in self.store.upsert_each(articles):
            counts[outcome] += 1
            if outcome in WRITTEN:
                changed.append(article)
        return counts, changed

    def _removed(self, source: SourceSettings, harvest: Harvest) -> int:
        if harvest.seen is None:
            return 0
        # Keys, not ids: an article stored by an earlier version is held under its old id.
        return len(self.store.article_keys(source.name) - harvest.seen)

    def _notify(self, name: str, changed: list[Article]) -> list[str]:
        """Run the change hook; its failure is a note, never an undone refresh."""
        if self.on_change is None:
            return []
        try:
            self.on_change(name, changed)
        except Exception as exc:  # a hook's failure must not undo a stored refresh
            log.exception("on_change hook failed for %s", name)
            return [f"change hook failed: {exc}"]
        return []

    def _lock_for(self, name: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(name, threading.Lock())

    def _named(self, name: str) -> SourceSettings:
        found = self.settings.source(name)
        if found is None:
            raise KeyError(f"no source named {name!r} is configured")
        return found


def _message(notes: list[str], skipped: Iterable[str], removed: int, withheld: int = 0) -> str:
    parts = list(notes)
    if withheld:
        parts.append(f"{withheld} removed by an editor; they stay removed")
    skipped = list(skipped)
    if skipped:
        shown = "; ".join(skipped[:MAX_REASONS])
        more = f" (+{len(skipped) - MAX_REASONS} more)" if len(skipped) > MAX_REASONS else ""
        parts.append(f"skipped {len(skipped)}: {shown}{more}")
    if removed:
        parts.append(f"{removed} stored articles have no file any more; they are kept")
    return "; ".join(parts)
