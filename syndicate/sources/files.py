"""Local article files: the one folder walker, and reading one file under the size cap.

``syndicate ingest``, folder sources and ``syndicate normalize`` all find files here, so they
agree on what a folder holds:

- a file counts when its extension names an input kind (:data:`~syndicate.sources.EXTENSIONS`);
- hidden files and folders (a name starting with ``.``: ``.git``, ``.drafts``, editor
  backups) are skipped, and so are draft folders (Jekyll's ``_drafts``): what is not meant to
  be published is not walked into;
- a file named explicitly is read even if the walk would skip it: the caller asked for it;
- files are read whole, and a file over the size cap (``[ingest] max_bytes``) is refused
  without being loaded;
- each file has a name relative to its root (the folder source's or the folder given to
  ``ingest``; a file given on its own is named by its file name): an article without an id or
  link of its own is identified by it, so moving nothing changes nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from syndicate.config.settings import DEFAULT_INGEST_MAX_BYTES
from syndicate.errors import SourceError
from syndicate.model import RawEntry
from syndicate.sources import EXTENSIONS
from syndicate.text.slugs import slugify

DRAFT_FOLDERS = frozenset({"_drafts"})
MAX_FILE_BYTES = DEFAULT_INGEST_MAX_BYTES  # [ingest] max_bytes when the settings say nothing


def article_files(root: Path) -> list[Path]:
    """Every article file under ``root``, sorted; hidden files and draft folders skipped."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if _walked(d)]
        base = Path(folder)
        found += [base / name for name in files if _walked(name) and _known(name)]
    return sorted(found)


def expand(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """Files as named, and the article files inside folders named, each with its name
    relative to its root (see the module docstring).

    A path that does not exist is yielded as is so that its failure is reported, not lost.
    """
    for path in paths:
        if path.is_dir():
            for found in article_files(path):
                yield found, relative_name(found, path)
        else:
            yield path, path.name


def relative_name(path: Path, root: Path) -> str:
    """``path`` under ``root``, with ``/`` separators on every system."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def located(entries: Sequence[RawEntry], where: str) -> list[RawEntry]:
    """The entries of one file, each with the path that identifies it when nothing else does.

    One entry: the file's relative name. Several (a JSON list): the name plus ``#`` and the
    entry's title as a slug, so an entry added or removed keeps the others' ids (a second
    entry of the same title in the file gets ``-2``, and so on).
    """
    if len(entries) == 1:
        return [replace(entries[0], path=where)]
    seen: Counter[str] = Counter()
    result = []
    for index, entry in enumerate(entries, 1):
        name = slugify(entry.title) or str(index)
        seen[name] += 1
        suffix = f"-{seen[name]}" if seen[name] > 1 else ""
        result.append(replace(entry, path=f"{where}#{name}{suffix}"))
    return result


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one file; :class:`SourceError` naming the file when it cannot be read or
    is over ``limit`` bytes (``[ingest] max_bytes``)."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(
                str(path),
                f"file is {size} bytes; the limit is {limit} bytes ([ingest] max_bytes); "
                "it was not read",
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(str(path), "no such file or folder") from exc
    except IsADirectoryError as exc:
        raise SourceError(str(path), "is a folder") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot be read: {exc.strerror or exc}") from exc


def _walked(name: str) -> bool:
    return not name.startswith(".") and name not in DRAFT_FOLDERS


def _known(name: str) -> bool:
    return Path(name).suffix.lower() in EXTENSIONS
