"""The whole site written out as files, for nginx or a CDN to serve with syndicate only writing.

``export(store, settings, folder)`` writes every feed in every format (subscription documents
and archive pages), the OPML list, every page (:mod:`.pages`) and the static files, each with
its gzip (``.gz``) and brotli (``.br``) copy beside it, and an nginx site file
(:mod:`.nginx`). The bytes are the ones the web serves: the same builders and the same
compression.

A file is rewritten only when its bytes changed (atomically: a temporary file renamed over
it), so a second export of an unchanged store writes nothing and every file keeps its
modification time, which is what nginx makes its ``ETag`` and ``Last-Modified`` of. What an
earlier export wrote and this one did not (a category no article has any more) is removed;
the list of what was written is kept in ``.syndicate-export`` inside the folder. Nothing else
in the folder is touched.

Layout: ``/feeds/<name>.<format>`` and ``/feeds/<name>/archive/<n>.<format>`` as they are,
``/feeds.opml``, ``/`` as ``index.html``, every other page ``<path>.html``, ``/static/...``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from syndicate.config import Settings
from syndicate.errors import ExportError
from syndicate.publish import catalog, nginx, pages
from syndicate.publish.cache import compress
from syndicate.store import Store

MANIFEST = ".syndicate-export"
NGINX_FILE = "syndicate-nginx.conf"
CODINGS = {"gzip": ".gz", "br": ".br"}


@dataclass(slots=True)
class ExportReport:
    """What an export did: files (each with its copies) written, left alone and removed."""

    folder: Path
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return len(self.written) + self.unchanged


def export(store: Store, settings: Settings, folder: Path, *, listen: str = "80") -> ExportReport:
    """Write the site into ``folder`` (created if missing); see the module's description.

    :class:`ExportError` names the file when the folder cannot be written.
    """
    try:
        return _export(store, settings, folder, listen)
    except OSError as exc:
        raise ExportError(f"{exc.filename or folder}: cannot write: {exc.strerror}") from exc


def _export(store: Store, settings: Settings, folder: Path, listen: str) -> ExportReport:
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport(folder)
    done: list[str] = []
    for relative, body in documents(store, settings):
        done.append(relative)
        if _write(folder, relative, body):
            report.written.append(relative)
        else:
            report.unchanged += 1
    previous = _manifest(folder)
    for stale in sorted(set(previous) - set(done)):
        for suffix in ("", *CODINGS.values()):
            target = folder / (stale + suffix)
            if target.is_file():
                target.unlink()
        report.removed.append(stale)
    site = nginx.site_file(store, settings, folder.resolve(), listen=listen)
    _replace_if_changed(folder / NGINX_FILE, site.encode("utf-8"))
    _replace_if_changed(folder / MANIFEST, json.dumps(sorted(done), indent=0).encode("utf-8"))
    return report


def documents(store: Store, settings: Settings) -> Iterator[tuple[str, bytes]]:
    """``(relative file path, bytes)`` of every document of the site, feeds first."""
    for spec in every_spec(store, settings):
        for fmt in catalog.FORMATS:
            document = catalog.build(spec, fmt, store, settings)
            yield f"feeds/{spec.name}.{fmt}", document.rendered.body
        total = store.count_matching(**spec.filters())
        for page in range(1, catalog.archived_pages(total, settings.feeds.items) + 1):
            for fmt in catalog.FORMATS:
                document = catalog.build(spec, fmt, store, settings, page=page)
                yield f"feeds/{spec.name}/archive/{page}.{fmt}", document.rendered.body
    yield "feeds.opml", catalog.opml(store, settings).body
    for path in pages.every_page(store):
        yield file_of(path), pages.build_page(path, "", store, settings).rendered.body
    static = resources.files("syndicate") / "static"
    for item in sorted(static.iterdir(), key=lambda entry: entry.name):
        if item.is_file():
            yield f"static/{item.name}", item.read_bytes()


def every_spec(store: Store, settings: Settings) -> Iterator[catalog.FeedSpec]:
    """Every feed that exists: everything, each category, tag and author, each language."""
    yield from catalog.all_specs(store, settings)
    for prefix, terms in ((catalog.TAGS, store.tags()), (catalog.AUTHORS, store.authors())):
        yield from (catalog.resolve(prefix + t.slug, store, settings) for t in terms if t.slug)
    languages = catalog.site_languages(store, settings)
    if len(languages) > 1:
        yield from (catalog.resolve(catalog.LANG + code, store, settings) for code in languages)


def file_of(page_path: str) -> str:
    """The file a page is written to: ``/`` is ``index.html``, ``/a/b`` is ``a/b.html``."""
    return "index.html" if page_path == "/" else page_path.lstrip("/") + ".html"


def _write(folder: Path, relative: str, body: bytes) -> bool:
    """Write a document and its compressed copies where they changed; True if any did."""
    target = folder / relative
    same = _same_bytes(target, body) and all(
        (folder / (relative + suffix)).is_file() for suffix in CODINGS.values()
    )
    if same:
        return False
    for coding, suffix in CODINGS.items():
        _replace_if_changed(folder / (relative + suffix), compress(body, coding))
    _replace_if_changed(target, body)
    return True


def _same_bytes(path: Path, body: bytes) -> bool:
    try:
        return path.stat().st_size == len(body) and path.read_bytes() == body
    except OSError:
        return False


def _replace_if_changed(path: Path, body: bytes) -> None:
    """Write ``body`` to ``path`` unless it holds it already: a temporary file beside it,
    renamed over it, so a reader sees the old bytes or the new, never half."""
    if _same_bytes(path, body):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.chmod(temporary, 0o644)  # readable by the web server's user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _manifest(folder: Path) -> list[str]:
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise ExportError(f"{folder / MANIFEST}: not a list of exported files: {exc}") from exc
    if not isinstance(found, list) or not all(isinstance(item, str) for item in found):
        raise ExportError(f"{folder / MANIFEST}: not a list of exported files")
    return [item for item in found if ".." not in Path(item).parts]
