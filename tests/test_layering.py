"""The import rules of the architecture, checked by reading every module's imports.

Data flows one way (sources -> normalize -> store -> render -> web); each third-party library
lives in one room. A module may import a room of a lower layer, or its own room.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "syndicate"

# room -> layer; a room is a module or a subpackage of syndicate.
LAYERS: dict[str, int] = {
    "errors": 0,
    "model": 0,
    "config": 1,
    "text": 1,
    "sources": 2,
    "normalize": 3,
    "store": 4,
    "storewrite": 4,
    "runlog": 4,
    "schema": 4,
    "migrations": 4,
    "render": 4,
    "ingest": 5,
    "refresh": 5,
    "channels": 5,
    "websub": 5,
    "schedule": 6,
    "tasks": 6,
    "feedcache": 6,
    "web": 7,
    "cli": 8,
    "inspect": 8,
    "dbcli": 8,
}
ROOMS_SHARING_A_LAYER = {
    frozenset({"store", "schema"}),
    frozenset({"store", "storewrite"}),  # the store's article write path
    frozenset({"store", "runlog"}),  # the store's source state and run log
    frozenset({"storewrite", "schema"}),
    frozenset({"runlog", "schema"}),
    frozenset({"store", "migrations"}),  # the store runs the migrations
    frozenset({"migrations", "schema"}),  # which compare themselves with the tables
    frozenset({"cli", "dbcli"}),  # the `syndicate db` commands join the CLI
    frozenset({"cli", "inspect"}),  # so does `syndicate normalize`
}
# Third-party library -> the rooms allowed to import it.
LIBRARY_ROOMS: dict[str, set[str]] = {
    "flask": {"web"},
    "werkzeug": {"web"},
    "apscheduler": {"schedule"},
    "procrastinate": {"tasks"},
    "feedgen": {"render.feeds"},
    "sqlalchemy": {"store", "storewrite", "runlog", "schema", "migrations"},
    "alembic": {"migrations"},
    "psycopg": set(),  # the PostgreSQL driver, loaded by SQLAlchemy from the URL
    "feedparser": {"sources.syndication"},
    "trafilatura": {"sources.page"},
    "nh3": {"text.sanitize"},
    "httpx": {"sources.fetch"},
    "requests": {"sources.fetch"},
    "urllib3": {"sources.fetch"},
    "brotli": {"sources.fetch", "feedcache"},  # feedcache: pre-compressed feeds
    "jinja2": {"render.html"},
    "waitress": {"cli"},
    "click": {"cli", "inspect", "dbcli"},
    # Benchmark peers and servers (bench/ only): syndicate never imports them.
    "django": set(),
    "gunicorn": set(),
}
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "syndicate":  # "from syndicate import x": x may be a room
                found.update(
                    f"syndicate.{alias.name}" for alias in node.names if alias.name != "__version__"
                )
    return found


def room(name: str) -> str:
    return name.split(".")[0]


def allowed(source: str, target: str) -> bool:
    if room(source) == room(target) or not target:
        return True
    if frozenset({room(source), room(target)}) in ROOMS_SHARING_A_LAYER:
        return True
    return LAYERS[room(target)] < LAYERS[room(source)]


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_module_imports_follow_the_flow(path: Path) -> None:
    source = module_name(path)
    if not source:
        return  # syndicate/__init__.py holds only the version
    assert room(source) in LAYERS, f"{source}: room missing from LAYERS"
    for target in imports_of(path):
        if target.startswith("syndicate."):
            inner = target.removeprefix("syndicate.")
            assert room(inner) in LAYERS, f"{source} imports unknown room {inner}"
            assert allowed(source, inner), f"{source} may not import {inner}"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_each_library_lives_in_its_room(path: Path) -> None:
    source = module_name(path)
    for target in imports_of(path):
        library = target.split(".")[0]
        rooms = LIBRARY_ROOMS.get(library)
        if rooms is not None:
            assert any(source == r or source.startswith(r + ".") for r in rooms), (
                f"{source} imports {library}, which belongs to {sorted(rooms)}"
            )


def test_model_and_errors_import_nothing_of_ours() -> None:
    for name in ("model.py", "errors.py"):
        assert not {i for i in imports_of(PACKAGE / name) if i.startswith("syndicate")}


def test_only_config_reads_the_environment() -> None:
    for path in MODULES:
        if module_name(path) != "config":
            assert "os.environ" not in path.read_text(encoding="utf-8"), module_name(path)
