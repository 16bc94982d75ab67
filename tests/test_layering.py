"""The architecture as written in ``docs/architecture.md``, checked against every import.

The document's two tables are the rules: "Who may import whom" (a room and the rooms, or
single modules of rooms, it may import) and "Which room owns which library". Every module's
imports are read with ``ast`` (nested, lazy imports included) and held against them. There
are no other rules here: changing the architecture means changing the document.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "syndicate"
DOCUMENT = ROOT / "docs" / "architecture.md"
MODULES = sorted(PACKAGE.rglob("*.py"))


def table(heading: str) -> dict[str, list[str]]:
    """The rows of the markdown table under ``## heading``: first cell -> names in the second.

    Names are the backquoted words of a cell; a first cell may name several (``flask``,
    ``werkzeug``), each getting the same second cell.
    """
    text = DOCUMENT.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        targets = re.findall(r"`([\w.]+)`", cells[1])
        for name in re.findall(r"`([\w.]+)`", cells[0]):
            rows[name] = targets
    return rows


MAY_IMPORT = table("Who may import whom")
LIBRARIES = table("Which room owns which library")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def room(name: str) -> str:
    return name.split(".")[0]


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names), at any depth of the file."""
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


def allowed(source: str, target: str) -> bool:
    """May module ``source`` import ``target`` (both without the ``syndicate.`` prefix)?"""
    if not target or room(source) == room(target):
        return True
    return any(_covers(entry, target) for entry in MAY_IMPORT[room(source)])


def _covers(entry: str, target: str) -> bool:
    """A room entry covers its whole room; a module entry (``refresh.health``) only itself."""
    if "." in entry:
        return target == entry or target.startswith(entry + ".")
    return room(target) == entry


def test_document_names_every_room_and_only_rooms() -> None:
    rooms = {room(module_name(p)) for p in MODULES if module_name(p)}
    assert rooms == set(MAY_IMPORT), "rooms of the code vs rows of the import table"
    for source, targets in MAY_IMPORT.items():
        for target in targets:
            assert room(target) in rooms, f"{source} may import {target}, which is no room"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_module_imports_follow_the_table(path: Path) -> None:
    source = module_name(path)
    if not source:
        return  # syndicate/__init__.py holds only the version
    for target in imports_of(path):
        if target.startswith("syndicate."):
            inner = target.removeprefix("syndicate.")
            assert allowed(source, inner), f"{source} may not import {inner}"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_each_library_lives_in_its_room(path: Path) -> None:
    source = module_name(path)
    for target in imports_of(path):
        library = target.split(".")[0]
        if library == "syndicate" or library in sys.stdlib_module_names:
            continue
        rooms = LIBRARIES.get(library)
        assert rooms is not None, f"{source} imports {library}, which the document does not list"
        assert any(source == r or source.startswith(r + ".") for r in rooms), (
            f"{source} imports {library}, which belongs to {sorted(rooms) or 'no room'}"
        )


def test_only_config_reads_the_environment() -> None:
    for path in MODULES:
        if room(module_name(path)) != "config":
            assert "os.environ" not in path.read_text(encoding="utf-8"), module_name(path)


def test_at_most_eight_modules_stand_directly_in_the_package() -> None:
    top = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= 8, top


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_no_module_is_over_450_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 450, f"{module_name(path)}: {lines} lines"
