"""Ingest local files: read, parse, normalize, store; one failure never stops the rest.

This is the local-file counterpart of a refresh: the caller hands over paths (files or
folders, walked by :mod:`syndicate.sources.files`), each file becomes zero or more articles,
and every file ends as one :class:`FileOutcome` that says what happened or, on failure, why.
Like the refresh seam, a file is a seam of its own: whatever it raises, of any type, is that
file's error (named with its type when it is not one of ours), and the next file is read.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from syndicate.errors import NotPublished, SourceError, StoreError
from syndicate.model import Article
from syndicate.normalize import NO_DEFAULTS, Defaults, normalize
from syndicate.sources import files, read
from syndicate.store import Store, UpsertResult

log = logging.getLogger(__name__)

LOCAL_SOURCE = "local"


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What ingesting one file did: counts per result, or the reason it failed."""

    path: Path
    results: Counter[UpsertResult] = field(default_factory=Counter)
    error: str = ""
    skipped: str = ""  # why a file was deliberately not published (a draft)
    note: str = ""  # the charset chain's note when the bytes were not what they claimed
    changed: tuple[Article, ...] = ()  # inserted or updated: their feeds changed (WebSub)

    @property
    def failed(self) -> bool:
        """True when the file produced an error instead of articles."""
        return bool(self.error)


def ingest_file(
    path: Path,
    store: Store,
    *,
    now: datetime,
    source: str = LOCAL_SOURCE,
    defaults: Defaults = NO_DEFAULTS,
    kind: str | None = None,
) -> FileOutcome:
    """Parse one file into articles and upsert them; errors are returned, not raised."""
    try:
        parsed = read(files.read_file(path), str(path), kind)
        articles = [
            normalize(e, source=source, now=now, defaults=defaults, origin=str(path))
            for e in parsed.entries
        ]
        stored = list(store.upsert_each(articles))
    except NotPublished as exc:
        return FileOutcome(path, skipped=str(exc))
    except (SourceError, StoreError) as exc:
        return FileOutcome(path, error=str(exc))
    except Exception as exc:  # the file's seam: a bug fails this file, not the whole run
        log.exception("ingest of %s raised", path)
        return FileOutcome(path, error=f"{path}: internal error ({type(exc).__name__}): {exc}")
    results: Counter[UpsertResult] = Counter(result for _, result in stored)
    written = (UpsertResult.INSERTED, UpsertResult.UPDATED)
    changed = tuple(a for a, result in stored if result in written)
    return FileOutcome(path, results=results, changed=changed, note=parsed.note)
