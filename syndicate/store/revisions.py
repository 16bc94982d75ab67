"""The schema revision a database is at and the one this code needs, read without Alembic.

A serving process asks this once, at start, to refuse an older schema; loading Alembic for
that would cost each web worker about 11 MiB it never uses again. The migrations
(:mod:`.migrations`, Alembic) stay the only writer of ``alembic_version``; a test holds these
answers to Alembic's own.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, inspect, text

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r'^revision\s*=\s*"([^"]+)"', re.M)
_DOWN = re.compile(r'^down_revision\s*=\s*"([^"]+)"', re.M)


@cache
def head() -> str:
    """The newest revision of ``migrations/versions``: the one no other revision revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found[1])
        down = _DOWN.search(source)
        if down is not None:
            revised.add(down[1])
    heads = sorted(revisions - revised)
    if len(heads) != 1:
        raise RuntimeError(f"syndicate/store/migrations/versions has heads {heads}, not one")
    return heads[0]


def current(conn: Connection) -> str | None:
    """The revision the database is at; ``None`` for a database that has none yet."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)
