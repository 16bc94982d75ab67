"""Folder sources (``kind = "folder"``): every article file under a folder.

Files are found by the one walker (:mod:`syndicate.sources.files`), so a folder source holds
exactly what ``syndicate ingest`` of the same folder would read. A file whose size and
modification time are unchanged since the last stored run is not read again: its articles
count as unchanged.

An article without an id or link of its own is identified by its file's path under the
folder (``news/weather.md``), so two files of the same title are two articles, and the same
folder mounted elsewhere keeps every id.

Folders never delete: an article whose file is gone stays stored and published, and is counted
as removed in every run until the file returns or an operator deletes it. Losing an article
because a volume was not mounted is worse than keeping one too long. A file that cannot be
read is skipped, and its articles are not counted as removed (a bad edit is not a removal).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.config import SourceSettings
from syndicate.errors import SourceError
from syndicate.model import Article
from syndicate.refresh.harvest import Context, Harvest, normalized
from syndicate.sources import files, read


@dataclass(frozen=True, slots=True)
class FileMemo:
    """A folder file as last read: its stat and the ids it produced."""

    mtime_ns: int
    size: int
    ids: tuple[str, ...]


@dataclass(slots=True)
class _Walk:
    """What one pass over a folder has gathered so far."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    files: dict[Path, FileMemo] = field(default_factory=dict)


class FolderSource:
    """Walks a folder; remembers, per source, each file's stat once its articles are stored."""

    def __init__(self) -> None:
        self._memos: dict[str, dict[Path, FileMemo]] = {}
        self._lock = threading.Lock()

    def harvest(self, source: SourceSettings, ctx: Context) -> Harvest:
        """Every article file of the folder; :class:`SourceError` when the folder is missing."""
        root = Path(source.path)
        if not root.is_dir():
            raise SourceError(source.name, f"{root} is not a folder (missing or not mounted?)")
        with self._lock:
            memo = dict(self._memos.get(source.name, {}))
        walk = _Walk()
        for path in files.article_files(root):
            self._file(source, path, root, memo.get(path), walk, ctx)

        def remember() -> None:
            with self._lock:
                self._memos[source.name] = walk.files

        return Harvest(
            articles=tuple(walk.articles),
            skipped=tuple(walk.skipped),
            notes=tuple(walk.notes),
            kept=frozenset(walk.kept),
            seen=frozenset(walk.seen),
            on_stored=remember,
        )

    def _file(
        self,
        source: SourceSettings,
        path: Path,
        root: Path,
        known: FileMemo | None,
        walk: _Walk,
        ctx: Context,
    ) -> None:
        """Read a new or changed file; an unchanged one (same size and mtime) is not parsed."""
        try:
            stat = path.stat()
        except OSError as exc:  # gone since the walk: read again next run
            walk.skipped.append(f"{path.name}: cannot be read: {exc.strerror or exc}")
            walk.seen.update(known.ids if known else ())
            return
        if known and (known.mtime_ns, known.size) == (stat.st_mtime_ns, stat.st_size):
            walk.kept.update(known.ids)
            walk.seen.update(known.ids)
            walk.files[path] = known
            return
        where = files.relative_name(path, root)
        try:
            parsed = read(files.read_file(path, ctx.limits.max_bytes), str(path))
        except SourceError as exc:
            walk.skipped.append(f"{where}: {exc.reason}")
            walk.seen.update(known.ids if known else ())  # a bad edit is not a removal
            return
        if parsed.note:
            walk.notes.append(f"{where}: {parsed.note}")
        entries = files.located(parsed.entries, where)
        articles, skipped = normalized(
            entries, source, ctx.clock(), limits=ctx.limits, notes=walk.notes, origin=where
        )
        walk.skipped += [f"{where}: {reason}" for reason in skipped]
        ids = tuple(a.id for a in articles)
        walk.files[path] = FileMemo(stat.st_mtime_ns, stat.st_size, ids)
        walk.seen.update(ids)
        walk.articles += articles
