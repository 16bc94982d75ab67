"""Local article files: the one folder walker, and reading one file under the size cap.

``syndicate ingest``, folder sources and ``syndicate normalize`` all find files here, so they
agree on what a folder holds:

- a file counts when its extension names an input kind (:data:`~syndicate.sources.EXTENSIONS`);
- hidden files and folders (a name starting with ``.``: ``.git``, ``.drafts``, editor
  backups) are skipped, and so are draft folders (Jekyll's ``_drafts``): what is not meant to
  be published is not walked into;
- a file named explicitly is read even if the walk would skip it: the caller asked for it;
- files are read whole, and a file over the size cap is refused without being loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from syndicate.errors import SourceError
from syndicate.sources import EXTENSIONS

MAX_FILE_BYTES = 15 * 1024 * 1024  # a scraped page is tens of KB; this is not an article
DRAFT_FOLDERS = frozenset({"_drafts"})


def article_files(root: Path) -> list[Path]:
    """Every article file under ``root``, sorted; hidden files and draft folders skipped."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if _walked(d)]
        base = Path(folder)
        found += [base / name for name in files if _walked(name) and _known(name)]
    return sorted(found)


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as named, and the article files inside folders named.

    A path that does not exist is yielded as is so that its failure is reported, not lost.
    """
    for path in paths:
        if path.is_dir():
            yield from article_files(path)
        else:
            yield path


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one file; :class:`SourceError` naming the file when it cannot be read."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(str(path), f"file is {size} bytes; the limit is {limit}")
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
