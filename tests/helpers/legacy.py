"""Databases as the previous version left them: schema revision 0004, ids by link or title.

The previous version made an article's id from its source and its canonical link, or its
normalized title without one, and kept no key rows. :func:`previous_id` is that rule;
:func:`store_as_before` writes article rows the way that version's write path did (the
``articles`` row, its place in ``article_order``, a change-log row and the link tables), so an
upgrade can be tested against data no current code path would write.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from sqlalchemy import insert

from syndicate.model import Article
from syndicate.normalize import ARTICLE_NAMESPACE, canonical_url, normalized_title
from syndicate.store import Store, schema
from syndicate.store.rows import article_links, article_values

PREVIOUS_REVISION = "0004"


def previous_id(source: str, link: str, title: str) -> str:
    """The id the previous version gave an input: its link, else its normalized title."""
    link = canonical_url(link)
    key = f"url:{link}" if link else f"title:{normalized_title(title)}"
    return str(uuid.uuid5(ARTICLE_NAMESPACE, f"{source}\n{key}"))


def store_as_before(store: Store, articles: Iterable[Article]) -> None:
    """Write ``articles`` (ids as given) as the previous version's write path did."""
    with store.engine.begin() as conn:
        for article in articles:
            values = article_values(article) | {"media": _media_as_before(article)}
            conn.execute(insert(schema.articles).values(values))
            conn.execute(insert(schema.article_order).values(article_id=article.id))
            conn.execute(insert(schema.article_changes).values(article_id=article.id))
            for table, rows in article_links(article.id, article, article.published):
                if rows:
                    conn.execute(insert(table), rows)


def _media_as_before(article: Article) -> str:
    """Media JSON as the previous version wrote it: no roles, default fields left out."""
    written = []
    for media in article.media:
        fields = {"url": media.url, "type": media.type, "length": media.length}
        fields["title"] = media.title
        written.append({k: v for k, v in fields.items() if v or k == "url"})
    return json.dumps(written, ensure_ascii=False)
