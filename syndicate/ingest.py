"""Ingest local files: read, parse, normalize, store; one failure never stops the rest.

This is the local-file counterpart of a refresh: the caller hands over paths (files or
folders), each file becomes zero or more articles, and every file ends as one
:class:`FileOutcome` that says what happened or, on failure, why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from syndicate.errors import NotPublished, SourceError, StoreError
from syndicate.model import Article
from syndicate.normalize import NO_DEFAULTS, Defaults, normalize
from syndicate.sources import EXTENSIONS, parse_bytes
from syndicate.store import Store, UpsertResult

# Files larger than this are not articles (a scraped page is tens of KB): refuse, don't load.
MAX_FILE_BYTES = 15 * 1024 * 1024
LOCAL_SOURCE = "local"


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What ingesting one file did: counts per result, or the reason it failed."""

    path: Path
    results: Counter[UpsertResult] = field(default_factory=Counter)
    error: str = ""
    skipped: str = ""  # why a file was deliberately not published (a draft)
    changed: tuple[Article, ...] = ()  # inserted or updated: their feeds changed (WebSub)

    @property
    def failed(self) -> bool:
        """True when the file produced an error instead of articles."""
        return bool(self.error)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and the article files inside folders named (sorted, hidden ones skipped).

    A path that does not exist is yielded as is so that its failure is reported, not lost.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if (
                    child.is_file()
                    and not any(p.startswith(".") for p in relative)
                    and child.suffix.lower() in EXTENSIONS
                ):
                    yield child
        else:
            yield path


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
        data = _read(path)
        entries = parse_bytes(data, str(path), kind)
        articles = [
            normalize(e, source=source, now=now, defaults=defaults, origin=str(path))
            for e in entries
        ]
        stored = [(article, store.upsert(article)) for article in articles]
    except NotPublished as exc:
        return FileOutcome(path, skipped=str(exc))
    except (SourceError, StoreError) as exc:
        return FileOutcome(path, error=str(exc))
    results: Counter[UpsertResult] = Counter(result for _, result in stored)
    changed = tuple(a for a, result in stored if result is not UpsertResult.UNCHANGED)
    return FileOutcome(path, results=results, changed=changed)


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(str(path), f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(str(path), "no such file or folder") from exc
    except IsADirectoryError as exc:
        raise SourceError(str(path), "is a folder") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot be read: {exc.strerror}") from exc
