"""Ingest local files: read, parse, normalize, store; one failure never stops the rest.

This is the local-file counterpart of a refresh: the caller hands over files (found by
:mod:`syndicate.sources.files`, each with its name under the folder it was found in), each
file becomes zero or more articles, and every file ends as one :class:`FileOutcome` that says
what happened or, on failure, why. Like the refresh seam, a file is a seam of its own: whatever
it raises while it is read, of any type, is that file's error (named with its type when it is
not one of ours), and the next file is read.

The articles of many files are stored together, a batch at a time, as a refresh stores a
folder: the store then sees the files of a batch at once (an article an earlier version stored
under a title several files share goes to the file whose text it holds), and new articles
cost a few multi-row inserts. A batch the database refuses fails the files it holds.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from syndicate.errors import NotPublished, SourceError, StoreError
from syndicate.model import Article
from syndicate.normalize import DEFAULT_LIMITS, NO_DEFAULTS, Defaults, Limits, normalize
from syndicate.sources import files, read
from syndicate.store import Store, UpsertResult

log = logging.getLogger(__name__)

LOCAL_SOURCE = "local"
BATCH_ARTICLES = 200  # articles stored together (files are never split between batches)


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What ingesting one file did: counts per result, or the reason it failed."""

    path: Path
    results: Counter[UpsertResult] = field(default_factory=Counter)
    error: str = ""
    skipped: str = ""  # why a file was deliberately not published (a draft)
    # What the reader should know: a repaired encoding ("decoded as windows-1252 by
    # detection"), a title cut to fit [ingest] max_title_chars.
    note: str = ""
    changed: tuple[Article, ...] = ()  # inserted or updated: their feeds changed (WebSub)

    @property
    def failed(self) -> bool:
        """True when the file produced an error instead of articles."""
        return bool(self.error)


@dataclass(frozen=True, slots=True)
class _Read:
    """A file read and normalized, its articles not stored yet."""

    path: Path
    articles: list[Article]
    note: str


def ingest_files(
    found: Iterable[tuple[Path, str]],
    store: Store,
    *,
    now: datetime,
    source: str = LOCAL_SOURCE,
    defaults: Defaults = NO_DEFAULTS,
    kind: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[FileOutcome]:
    """Ingest ``(path, name under its folder)`` pairs; one outcome per file, in order.

    The name identifies an article that has no id or link of its own (see
    :func:`syndicate.sources.files.expand`). Errors are outcomes, never raised.
    """
    pending: list[_Read | FileOutcome] = []
    size = 0
    for path, where in found:
        done = _read(
            path, where, now=now, source=source, defaults=defaults, kind=kind, limits=limits
        )
        pending.append(done)
        size += len(done.articles) if isinstance(done, _Read) else 0
        if size >= BATCH_ARTICLES:
            yield from _store(pending, store)
            pending, size = [], 0
    yield from _store(pending, store)


def ingest_file(
    path: Path,
    store: Store,
    *,
    now: datetime,
    source: str = LOCAL_SOURCE,
    defaults: Defaults = NO_DEFAULTS,
    kind: str | None = None,
    where: str = "",
    limits: Limits = DEFAULT_LIMITS,
) -> FileOutcome:
    """Ingest one file (``where``: its name under its folder; its file name by default)."""
    (outcome,) = ingest_files(
        [(path, where or path.name)],
        store,
        now=now,
        source=source,
        defaults=defaults,
        kind=kind,
        limits=limits,
    )
    return outcome


def _read(
    path: Path,
    where: str,
    *,
    now: datetime,
    source: str,
    defaults: Defaults,
    kind: str | None,
    limits: Limits,
) -> _Read | FileOutcome:
    """Parse and normalize one file; what went wrong becomes its outcome."""
    notes: list[str] = []
    try:
        parsed = read(files.read_file(path, limits.max_bytes), str(path), kind)
        if parsed.note:
            notes.append(f"{path}: {parsed.note}")
        articles = [
            normalize(
                entry,
                source=source,
                now=now,
                defaults=defaults,
                origin=str(path),
                limits=limits,
                notes=notes,
            )
            for entry in files.located(parsed.entries, where)
        ]
    except NotPublished as exc:
        return FileOutcome(path, skipped=str(exc))
    except SourceError as exc:
        return FileOutcome(path, error=str(exc))
    except Exception as exc:  # the file's seam: a bug fails this file, not the whole run
        log.exception("ingest of %s raised", path)
        return FileOutcome(path, error=f"{path}: internal error ({type(exc).__name__}): {exc}")
    return _Read(path, articles, "; ".join(notes))


def _store(pending: list[_Read | FileOutcome], store: Store) -> Iterator[FileOutcome]:
    """Store the articles of the files read, and say what became of each file."""
    ready = [item for item in pending if isinstance(item, _Read)]
    articles = [article for item in ready for article in item.articles]
    try:
        stored = list(store.upsert_each(articles))
    except StoreError as exc:
        failed = {item.path: FileOutcome(item.path, error=str(exc)) for item in ready}
        yield from (failed[item.path] if isinstance(item, _Read) else item for item in pending)
        return
    results = iter(stored)
    for item in pending:
        if isinstance(item, FileOutcome):
            yield item
            continue
        mine = [next(results) for _ in item.articles]
        counts: Counter[UpsertResult] = Counter(result for _, result in mine)
        written = (UpsertResult.INSERTED, UpsertResult.UPDATED)
        changed = tuple(a for a, result in mine if result in written)
        yield FileOutcome(item.path, results=counts, changed=changed, note=item.note)
