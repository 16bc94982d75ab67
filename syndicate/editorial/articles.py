"""Articles written and removed by publishers: one set of rules for the API, Micropub, the
admin and the CLI.

Identity: an article submitted with an ``id`` keeps the id made from it (``normalize``'s one
rule: source and key); one with only a ``url`` gets the id of that URL, and a later submission
naming the same ``url`` finds it again, whichever way it was made. Submitting the same article
again updates it in place (:meth:`~syndicate.store.Store.put`): never a duplicate.

Every submission becomes a :class:`RawEntry` (``sources.submission``) and an article through
``normalize``, like any file or feed. Updates start from the stored article: the fields given
replace the stored ones; a new body without a new summary gets its summary from the new body.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from syndicate.errors import ArticleGone, InvalidField, ParseError, UnknownArticle
from syndicate.model import Article, RawEntry
from syndicate.normalize import article_id, article_key, canonical_url, normalize
from syndicate.sources.files import MAX_FILE_BYTES
from syndicate.sources.submission import Submission, read_submission
from syndicate.store import (
    DELETED,
    PUBLISHED,
    UNPUBLISHED,
    Listed,
    Store,
    Tombstone,
    UpsertResult,
)
from syndicate.text.dates import utc_now

API_SOURCE = "api"  # the source of articles made by publishers over HTTP: ids are stable per source
MAX_BODY_BYTES = MAX_FILE_BYTES  # a submission may be as large as an ingested file, no larger
ORIGIN = "request body"
PAGE_LIMIT = 200  # articles per listing page at most


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: the stored article, whether it was new, and whether anything changed."""

    article: Article
    created: bool
    changed: bool
    status: str = PUBLISHED


class Desk:
    """Publishers' operations on one store, for articles of ``source`` (``api`` by default).

    ``clock`` is the time articles are seen (an undated submission is published then).
    """

    def __init__(
        self, store: Store, *, source: str = API_SOURCE, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.store, self.source, self.clock = store, source, clock

    # -- writing ---------------------------------------------------------------------------

    def submit(self, payload: object, *, origin: str = ORIGIN) -> Written:
        """Create an article, or update the one with the same ``id`` (or ``url``) in place."""
        submission = read_submission(payload, origin)
        existing = self._existing(submission)
        if existing is not None:
            return self._update(existing, submission, origin)
        entry = RawEntry(**submission.changes)
        article = self._normalize(entry, submission, origin)
        result = self.store.put(article, set_published=submission.dated)
        return self._written(article.id, result, created=result is UpsertResult.INSERTED)

    def update(self, article_id: str, payload: object, *, origin: str = ORIGIN) -> Written:
        """Change the given fields of a stored article (``status`` too: ``published`` or
        ``unpublished``); :class:`UnknownArticle` or :class:`ArticleGone` when there is none."""
        submission = read_submission(payload, origin, partial=True)
        stored = self.find(article_id)
        if submission.key and submission.key != article_id:
            raise InvalidField(origin, "id", "an article's id cannot be changed")
        written = self._update(stored.article, submission, origin) if submission.changes else None
        if submission.status == UNPUBLISHED:
            self.store.states.unpublish(stored.article.id, now=self.clock())
        elif submission.status == PUBLISHED:
            self.store.states.publish(stored.article.id, now=self.clock())
        after = self.find(stored.article.id)
        changed = bool(written and written.changed) or after.status != stored.status
        return Written(after.article, False, changed, after.status)

    def unpublish(self, article_id: str) -> Listed:
        """Hide an article (kept, restorable with :meth:`publish`)."""
        found = self.find(article_id)
        self.store.states.unpublish(found.article.id, now=self.clock())
        return self.find(found.article.id)

    def publish(self, article_id: str) -> str:
        """Undo a removal: ``published``, ``lifted`` (a deleted article may come back from its
        source), or ``unchanged``; :class:`UnknownArticle` for an unknown id."""
        resolved = self.resolve(article_id)
        outcome = self.store.states.publish(resolved, now=self.clock())
        if outcome is None:
            raise UnknownArticle(f"no article {article_id!r}")
        return outcome

    def delete(self, article_id: str) -> Tombstone:
        """Remove an article's content for good (its tombstone stays)."""
        resolved = self.resolve(article_id)
        stone = self.store.states.delete(resolved, now=self.clock())
        if stone is None:
            raise UnknownArticle(f"no article {article_id!r}")
        return stone

    # -- reading ---------------------------------------------------------------------------

    def resolve(self, article_id: str) -> str:
        """The stored id an API path names: ours, or the one made from the client's ``id``."""
        if self.store.get(article_id) is not None or self.store.states.removal(article_id):
            return article_id
        return article_id_for(self.source, key=article_id)

    def find(self, article_id: str) -> Listed:
        """The stored article (by our id or the client's); :class:`ArticleGone` for a deleted
        one, :class:`UnknownArticle` when there is none."""
        resolved = self.resolve(article_id)
        found = self.store.states.listed(resolved, now=self.clock())
        if found is not None:
            return found
        stone = self.store.states.removal(resolved)
        if stone is not None and stone.status == DELETED:
            raise ArticleGone(f"article {article_id!r} was deleted on {stone.removed.isoformat()}")
        raise UnknownArticle(f"no article {article_id!r}")

    def listing(
        self,
        *,
        category: str | None = None,
        title: str | None = None,
        source: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[Listed], str | None]:
        """One page of the editors' listing, newest first, and the cursor of the next page."""
        limit = max(1, min(limit, PAGE_LIMIT))
        before = decode_cursor(cursor) if cursor else None
        found = self.store.states.listing(
            source=source,
            category=category,
            title=title,
            status=status,
            before=before,
            limit=limit + 1,
            now=self.clock(),
        )
        more = len(found) > limit
        found = found[:limit]
        last = found[-1].article if found else None
        return found, encode_cursor(last.published, last.id) if more and last else None

    # -- inside ----------------------------------------------------------------------------

    def _existing(self, submission: Submission) -> Article | None:
        if submission.key:
            return self.store.get(article_id_for(self.source, key=submission.key))
        link = canonical_url(submission.changes.get("link", ""))
        if not link:
            return None
        found = self.store.get(article_id_for(self.source, link=link))
        return found or self.store.states.find_by_link(self.source, link)

    def _update(self, stored: Article, submission: Submission, origin: str) -> Written:
        changes = dict(submission.changes)
        if "blocks" in changes and "summary" not in changes:
            changes["summary"] = ""  # a new body: its summary follows it
        entry = replace(entry_of(stored), **changes)
        article = replace(self._normalize(entry, submission, origin), id=stored.id)
        if not submission.dated:  # keep the date the article has (estimated or not)
            article = replace(
                article, published=stored.published, date_estimated=stored.date_estimated
            )
        result = self.store.put(article, set_published=submission.dated)
        return self._written(stored.id, result, created=False)

    def _normalize(self, entry: RawEntry, submission: Submission, origin: str) -> Article:
        try:
            return normalize(
                entry, source=self.source, now=self.clock(), origin=origin, key=submission.key
            )
        except InvalidField:
            raise
        except ParseError as exc:  # no title and no body after cleaning: the body is at fault
            raise InvalidField(origin, "content_html", exc.reason) from exc

    def _written(self, article_id: str, result: UpsertResult, *, created: bool) -> Written:
        listed = self.store.states.listed(article_id, now=self.clock())
        assert listed is not None, "an article just written is stored"
        changed = result in (UpsertResult.INSERTED, UpsertResult.UPDATED)
        return Written(listed.article, created, changed, listed.status)


def article_id_for(source: str, *, key: str = "", link: str = "") -> str:
    """The id an article of ``source`` with this client id (or canonical URL) has: the one
    id rule, applied to an entry that has only these."""
    return article_id(source, article_key(RawEntry(guid=key, link=link), ""))


def entry_of(article: Article) -> RawEntry:
    """A stored article as the entry it could have come from: the base of an update."""
    return RawEntry(
        title=article.title,
        dek=article.dek,
        blocks=article.blocks,
        body_html="" if article.blocks else article.body_html,
        summary=article.summary,
        categories=article.categories,
        tags=article.tags,
        authors=article.authors,
        published=None if article.date_estimated else article.published,
        updated=article.updated,
        language=article.language,
        link=article.link,
        slug=article.slug,
        media=article.media,
    )


def encode_cursor(published: datetime, last_id: str) -> str:
    """An opaque cursor: the position after which the next page starts."""
    raw = json.dumps([published.isoformat(), last_id]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor names; :class:`InvalidField` (``cursor``) when it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, last_id = json.loads(raw)
        return datetime.fromisoformat(at), str(last_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidField("query", "cursor", "not a cursor this server gave") from exc


def article_json(listed: Listed, page_url: str) -> dict[str, Any]:
    """An article as the API shows it (and ``syndicate articles --json`` prints it)."""
    article = listed.article
    image = next((m.url for m in article.media if m.type.startswith("image/") or not m.type), "")
    return {
        "id": article.id,
        "status": listed.status,
        "source": article.source,
        "title": article.title,
        "dek": article.dek,
        "summary": article.summary,
        "content_html": article.body_html,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "authors": list(article.authors),
        "published": article.published.isoformat(),
        "updated": article.updated.isoformat(),
        "date_estimated": article.date_estimated,
        "url": article.link,
        "page": page_url,
        "slug": article.slug,
        "language": article.language,
        "image": image,
        "attachments": [
            {"url": m.url, "mime_type": m.type, "title": m.title, "size_in_bytes": m.length}
            for m in article.media
        ],
        "word_count": article.word_count,
    }


def tombstone_json(stone: Tombstone) -> dict[str, Any]:
    """A removed article as the API shows it."""
    return {
        "id": stone.id,
        "status": stone.status,
        "source": stone.source,
        "title": stone.title,
        "slug": stone.slug,
        "url": stone.link,
        "removed": stone.removed.isoformat(),
    }
