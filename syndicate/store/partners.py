"""Partners (``store.partners``): sites that pull the feeds on their own terms.

A partner is a name, its terms (the categories it may read, all when none are given; whether
it gets full text where the public gets summaries) and a read key. The key is a token of
scope ``partner`` in the ``tokens`` table under the partner's name, so it is made, hashed,
compared in constant time, listed and revoked by the same code as every API token
(:mod:`.tokens`); it allows nothing but reading feeds. Checking a key is one indexed read,
done on every partner request, so a revoked key fails on the very next one.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, insert, select

from syndicate.errors import StoreError
from syndicate.store import schema
from syndicate.store.engine import Database
from syndicate.store.tokens import PARTNER, Tokens, create_token, digest, record_use

FINGERPRINT = 12  # hex digits of the key's digest that name a partner's cached documents


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner and its terms; ``fingerprint`` tells one key from the next (never the key)."""

    name: str
    categories: tuple[str, ...]  # category names as given; () for every category
    full_text: bool
    created: datetime
    fingerprint: str
    last_used: datetime | None = None
    revoked: datetime | None = None


class Partners:
    """The part of the store about partners and their keys."""

    def __init__(self, db: Database, tokens: Tokens) -> None:
        self._db, self._tokens = db, tokens

    def create(
        self, name: str, categories: Sequence[str], *, full_text: bool, now: datetime
    ) -> tuple[Partner, str]:
        """A new partner and its key, which is shown once and never stored.

        :class:`StoreError` when a live token of that name exists (a partner's, or an API
        token's: they share names); a revoked partner's name may be used again, with new terms.
        """
        names = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
        table = schema.partners
        with self._db.transaction(f"create partner {name}", write=True) as conn:
            token, secret = create_token(conn, name, PARTNER, now=now)
            conn.execute(delete(table).where(table.c.name == name))
            conn.execute(
                insert(table).values(
                    name=name,
                    categories=json.dumps(list(names), ensure_ascii=False),
                    full_text=full_text,
                    created=now,
                )
            )
        return Partner(name, names, full_text, now, digest(secret)[:FINGERPRINT]), secret

    def list(self) -> list[Partner]:
        """Every partner, by name, revoked ones too (with when)."""
        with self._db.transaction("list partners") as conn:
            return [
                _partner(row) for row in conn.execute(_joined().order_by(schema.partners.c.name))
            ]

    def get(self, name: str) -> Partner | None:
        """The partner of that name, revoked or not."""
        query = _joined().where(schema.partners.c.name == name)
        with self._db.transaction(f"read partner {name}") as conn:
            row = conn.execute(query).first()
        return None if row is None else _partner(row)

    def revoke(self, name: str, *, now: datetime) -> bool:
        """Revoke a partner's key at once; False when it has no live key."""
        found = self.get(name)
        if found is None or found.revoked is not None:
            return False
        return self._tokens.revoke(name, now=now)

    def verify(self, secret: str, *, now: datetime) -> Partner | None:
        """The partner whose live key this is, or ``None``."""
        if not secret:
            return None
        wanted = digest(secret)
        query = _joined().where(schema.tokens.c.digest == wanted)
        with self._db.transaction("check a partner key") as conn:
            row = conn.execute(query).first()
        if row is None or not hmac.compare_digest(row.digest, wanted) or row.revoked is not None:
            return None
        record_use(self._db, row.name, row.last_used, now)
        return _partner(row)


def _joined() -> Select[Any]:
    partners, tokens = schema.partners, schema.tokens
    return select(
        partners.c.name,
        partners.c.categories,
        partners.c.full_text,
        partners.c.created,
        tokens.c.digest,
        tokens.c.last_used,
        tokens.c.revoked,
    ).join(tokens, (tokens.c.name == partners.c.name) & (tokens.c.scope == PARTNER))


def _partner(row: Row[Any]) -> Partner:
    values = row._asdict()
    try:
        names = json.loads(values["categories"])
    except ValueError as exc:
        raise StoreError(f"partner {values['name']}: unreadable categories: {exc}") from exc
    return Partner(
        name=values["name"],
        categories=tuple(str(n) for n in names),
        full_text=bool(values["full_text"]),
        created=values["created"],
        fingerprint=str(values["digest"])[:FINGERPRINT],
        last_used=values["last_used"],
        revoked=values["revoked"],
    )
