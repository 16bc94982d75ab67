"""API tokens: made here once, kept only as a hash, checked on every authenticated request.

A token is ``synd_`` and 32 random bytes from :func:`secrets.token_urlsafe` (256 bits). Only
its SHA-256 is stored. A slow password hash (bcrypt, scrypt, argon2) exists to make guessing
a *human-chosen* secret from its hash expensive; a 256-bit random token cannot be guessed
whatever the hash costs, so a fast hash loses nothing and keeps every request cheap. A leaked
table of digests gives nobody a usable token.

Checking: the presented token is hashed, the row found by its digest (an index), and the
digests compared again with :func:`hmac.compare_digest`, so no comparison of secret material
takes a time that depends on where the first differing byte is. ``last_used`` is written at
most once a minute per token, not on every request.

Tokens have a scope: ``publish`` (write articles: the articles API, Micropub), ``admin``
(everything, the admin pages included) or ``partner``: a partner's read key for the feeds,
made with its terms by ``store.partners``, which allows nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from syndicate.errors import StoreError
from syndicate.store import schema
from syndicate.store.engine import Database

PUBLISH, ADMIN, PARTNER = "publish", "admin", "partner"
SCOPES = (PUBLISH, ADMIN)  # what `syndicate token create` makes; partner keys come with terms
PREFIX = "synd_"  # recognisable in logs and by secret scanners
TOKEN_BYTES = 32
USE_RECORDED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Token:
    """A token as listed: never the secret itself."""

    name: str
    scope: str
    created: datetime
    last_used: datetime | None = None
    revoked: datetime | None = None

    def allows(self, scope: str) -> bool:
        """Whether this token may do what ``scope`` needs (admin may do everything)."""
        return self.revoked is None and (self.scope == ADMIN or self.scope == scope)


def digest(secret: str) -> str:
    """The stored form of a token: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    """A fresh random token."""
    return PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


class Tokens:
    """The part of the store about API tokens (``store.tokens``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str, scope: str, *, now: datetime) -> tuple[Token, str]:
        """A new token and its secret, which is shown once and never stored.

        :class:`StoreError` when a token of that name is in use (revoke it first) or the
        scope is not one of :data:`SCOPES`. A revoked token's name may be used again.
        """
        if scope not in (*SCOPES, PARTNER):
            raise StoreError(f"token scope {scope!r}: expected one of {', '.join(SCOPES)}")
        with self._db.transaction(f"create token {name}", write=True) as conn:
            return create_token(conn, name, scope, now=now)

    def list(self) -> list[Token]:
        """Every token, by name (revoked ones too, with when)."""
        table = schema.tokens
        query = select(
            table.c.name, table.c.scope, table.c.created, table.c.last_used, table.c.revoked
        ).order_by(table.c.name)
        with self._db.transaction("list tokens") as conn:
            return [Token(**row._asdict()) for row in conn.execute(query)]

    def get(self, name: str) -> Token | None:
        """The token of that name, revoked or not."""
        return next((t for t in self.list() if t.name == name), None)

    def revoke(self, name: str, *, now: datetime) -> bool:
        """Revoke a token at once; False when no live token has that name."""
        table = schema.tokens
        query = (
            update(table).where(table.c.name == name, table.c.revoked.is_(None)).values(revoked=now)
        )
        with self._db.transaction(f"revoke token {name}", write=True) as conn:
            return bool(conn.execute(query).rowcount)

    def verify(self, secret: str, *, now: datetime) -> Token | None:
        """The live token whose secret this is, or ``None``."""
        wanted = digest(secret)
        table = schema.tokens
        with self._db.transaction("check a token") as conn:
            row = conn.execute(select(table).where(table.c.digest == wanted)).first()
        if row is None or not hmac.compare_digest(row.digest, wanted) or row.revoked is not None:
            return None
        token = Token(row.name, row.scope, row.created, row.last_used, row.revoked)
        record_use(self._db, row.name, row.last_used, now)
        return token

    def any_admin(self) -> bool:
        """Whether any live admin token exists (the admin is off without one)."""
        table = schema.tokens
        query = (
            select(table.c.name).where(table.c.scope == ADMIN, table.c.revoked.is_(None)).limit(1)
        )
        with self._db.transaction("look for admin tokens") as conn:
            return conn.execute(query).first() is not None


def create_token(conn: Connection, name: str, scope: str, *, now: datetime) -> tuple[Token, str]:
    """Make a token on ``conn`` (inside the caller's transaction): :meth:`Tokens.create`."""
    if not name.strip():
        raise StoreError("a token needs a name")
    secret = new_secret()
    table = schema.tokens
    found = conn.execute(select(table.c.revoked).where(table.c.name == name)).first()
    if found is not None and found.revoked is None:
        raise StoreError(f"a token named {name!r} exists: revoke it first")
    conn.execute(delete(table).where(table.c.name == name))
    conn.execute(insert(table).values(name=name, scope=scope, digest=digest(secret), created=now))
    return Token(name, scope, now), secret


def record_use(db: Database, name: str, last_used: datetime | None, now: datetime) -> None:
    """Note that a token was used, at most once per :data:`USE_RECORDED_EVERY`."""
    if last_used is not None and now - last_used < USE_RECORDED_EVERY:
        return
    table = schema.tokens
    with db.transaction(f"record use of token {name}", write=True) as conn:
        conn.execute(update(table).where(table.c.name == name).values(last_used=now))
