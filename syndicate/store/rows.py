"""How an :class:`~syndicate.model.Article` maps onto the store's rows, and back.

Blocks, media and the category/tag/author names of an article are JSON text on its row
(:mod:`.schema` has the tables, :mod:`.jsoncolumns` the JSON), so one row reads back into one
article; the link tables get one row per distinct slug.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Table

from syndicate.errors import StoreError
from syndicate.model import Article, Block, Media
from syndicate.store.jsoncolumns import dump_objects, load_media, load_names, load_objects
from syndicate.store.schema import LINK_TABLES
from syndicate.text.slugs import slugify

# -- articles as rows ----------------------------------------------------------------------


def article_values(article: Article) -> dict[str, Any]:
    """The ``articles`` row of an article (``revision`` is left to the column default)."""
    return {
        "id": article.id,
        "source": article.source,
        "slug": article.slug,
        "title": article.title,
        "dek": article.dek,
        "blocks": dump_objects(article.blocks),
        "body_html": article.body_html,
        "summary": article.summary,
        "published": article.published,
        "updated": article.updated,
        "date_estimated": article.date_estimated,
        "content_hash": article.content_hash,
        "categories": json.dumps(list(article.categories), ensure_ascii=False),
        "tags": json.dumps(list(article.tags), ensure_ascii=False),
        "authors": json.dumps(list(article.authors), ensure_ascii=False),
        "language": article.language,
        "link": article.link,
        "media": dump_objects(article.media),
        "word_count": article.word_count,
    }


def link_rows(article_id: str, names: Sequence[str], published: datetime) -> list[dict[str, Any]]:
    """Rows of a link table: one per distinct slug, the first name wins.

    A name that slugifies to nothing (only punctuation) stays on the article but is not
    linked, since no URL could ask for it.
    """
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        slug = _name_slug(name)
        if slug and slug not in rows:
            rows[slug] = {"article_id": article_id, "slug": slug, "name": name}
            rows[slug]["published"] = published
    return list(rows.values())


def article_links(
    article_id: str, article: Article, published: datetime
) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Each link table with the rows of one article (categories, tags, authors, language)."""
    found: list[tuple[Table, list[dict[str, Any]]]] = []
    for attribute, table in LINK_TABLES:
        rows: list[dict[str, Any]]
        if attribute == "languages":  # one row, "" included: no language is the site's
            slug = _name_slug(article.language)
            rows = [
                {
                    "article_id": article_id,
                    "slug": slug,
                    "name": article.language,
                    "published": published,
                }
            ]
        else:
            rows = link_rows(article_id, getattr(article, attribute), published)
        found.append((table, rows))
    return found


@lru_cache(maxsize=8192)
def _name_slug(name: str) -> str:
    """Category, tag and author names repeat across articles: slugify each once (ingest)."""
    return slugify(name)


def article_from_row(row: Row[Any]) -> Article:
    """The article an ``articles`` row holds; StoreError when its JSON is not ours."""
    try:
        return Article(
            id=row.id,
            source=row.source,
            slug=row.slug,
            title=row.title,
            blocks=tuple(Block(**kwargs) for kwargs in load_objects(row.blocks, Block)),
            body_html=row.body_html,
            summary=row.summary,
            published=row.published,
            updated=row.updated,
            content_hash=row.content_hash,
            dek=row.dek,
            categories=load_names(row.categories),
            tags=load_names(row.tags),
            authors=load_names(row.authors),
            date_estimated=bool(row.date_estimated),
            language=row.language,
            link=row.link,
            media=tuple(load_media(kwargs) for kwargs in load_objects(row.media, Media)),
            word_count=row.word_count,
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(
            f"article {row.id} is stored in a form this version cannot read: {exc}"
        ) from exc
