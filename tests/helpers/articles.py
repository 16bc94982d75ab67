"""Articles made to order, one factory per use.

- :func:`article`: the site's articles: three categories, two tags and two authors in turn,
  for feeds, pages and caches;
- :func:`plain_article`: a small valid article for the store, whose ids differ in their first
  characters (slug fallbacks take the id's first six);
- :func:`story`: a story for the feed writers, with a UUID id, two authors, two categories.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from syndicate.model import Article, Block, BlockKind

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
STORE_T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
FEED_T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def article(n: int, **fields: Any) -> Article:
    """Article number ``n``: published ``n`` hours after EPOCH, one category of three."""
    values: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "source": "test",
        "slug": f"article-{n}",
        "title": f"Article {n}",
        "blocks": (),
        "body_html": f"<p>Body of article {n}.</p>",
        "summary": f"Summary of article {n}.",
        "published": EPOCH + timedelta(hours=n),
        "updated": EPOCH + timedelta(hours=n),
        "content_hash": f"hash-{n}",
        "categories": (("News", "Sports", "Arts")[n % 3],),
        "tags": (f"tag-{n % 2}",),
        "authors": (("Ada Byron", "Bo Diddley")[n % 2],),
    }
    values |= fields
    return Article(**values)


def plain_article(n: int, **changes: object) -> Article:
    """A small valid article; ids sort like ``n`` and differ from the 7th character on."""
    article = Article(
        id=f"{n:06d}-aaaa-bbbb",
        source="example",
        slug=f"article-{n}",
        title=f"Article {n}",
        blocks=(Block(BlockKind.PARAGRAPH, text=f"Body {n}."),),
        body_html=f"<p>Body {n}.</p>",
        summary=f"Body {n}.",
        published=STORE_T0 + timedelta(hours=n),
        updated=STORE_T0 + timedelta(hours=n),
        content_hash=f"hash-{n}",
    )
    return replace(article, **changes)  # type: ignore[arg-type]


def story(n: int, *, published: datetime | None = None, **fields: object) -> Article:
    """Story ``n`` for the feed writers: a UUID id, two authors and two categories."""
    when = published or FEED_T0 + timedelta(hours=n)
    values: dict[str, object] = {
        "id": str(uuid.UUID(int=n + 1)),
        "source": "test",
        "slug": f"story-{n}",
        "title": f"Story {n}",
        "blocks": (),
        "body_html": f"<p>Body of story {n}.</p>",
        "summary": f"Summary {n}.",
        "published": when,
        "updated": when + timedelta(minutes=5),
        "content_hash": f"hash-{n}",
        "authors": ("Ada Lovelace", "Grace Hopper"),
        "categories": ("World", "Science"),
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]
