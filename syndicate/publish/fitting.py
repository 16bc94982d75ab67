"""Keeping a feed document under ``feeds.max_bytes``: fewer items first, then summaries.

Feed readers, hubs and proxies refuse or cut documents past a size (a megabyte is a common
ceiling), and a reader polling a feed pays for every byte. A document that would pass the
limit is written again with fewer items, the oldest first, but never one the caller
``needs`` (an article only the subscription document carries, or an archive page's members:
the archive chain must reach every article); if it is still too big, its largest items lose
their full text, and their summaries stand in. Each step estimates how much to take from the
sizes of the bodies, writes once and measures, so a document is written a few times at most.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import TypeVar

from syndicate.model import Article
from syndicate.render.items import RenderedFeed

Extra = TypeVar("Extra")
Write = Callable[[list[Article]], tuple[RenderedFeed, Extra]]
ITEM_OVERHEAD = 600  # bytes an item costs besides its text: ids, links, dates, names
MAX_WRITES = 12  # a bound on re-writes; each step takes at least one item or one body


def fit(
    write: Write[Extra], articles: list[Article], needs: Collection[str], max_bytes: int
) -> tuple[tuple[RenderedFeed, Extra], list[Article]]:
    """The document of ``articles`` (newest first) written by ``write``, made to fit."""
    shown = list(articles)
    written = write(shown)
    for _ in range(MAX_WRITES):
        over = len(written[0].body) - max_bytes
        if over <= 0:
            break
        trimmed = _fewer(shown, needs, over) or _lighter(shown, over)
        if trimmed is None:
            break  # nothing left to take: the smallest document there can be
        shown = trimmed
        written = write(shown)
    return written, shown


def _fewer(shown: list[Article], needs: Collection[str], over: int) -> list[Article] | None:
    """Without the oldest items that may go, as many as ``over`` bytes' worth (at least one;
    the newest item always stays)."""
    droppable = [i for i, a in enumerate(shown) if a.id not in needs and i > 0]
    if not droppable:
        return None
    dropped: set[int] = set()
    freed = 0
    for index in reversed(droppable):  # oldest first
        dropped.add(index)
        freed += _weight(shown[index])
        if freed >= over:
            break
    return [a for i, a in enumerate(shown) if i not in dropped]


def _lighter(shown: list[Article], over: int) -> list[Article] | None:
    """The largest items without their body, as many as ``over`` bytes' worth (at least one)."""
    heavy = sorted(
        (i for i, a in enumerate(shown) if a.body_html),
        key=lambda i: len(shown[i].body_html),
        reverse=True,
    )
    if not heavy:
        return None
    stripped: set[int] = set()
    freed = 0
    for index in heavy:
        stripped.add(index)
        freed += len(shown[index].body_html.encode("utf-8")) * 5 // 4
        if freed >= over:
            break
    return [replace(a, body_html="") if i in stripped else a for i, a in enumerate(shown)]


def _weight(article: Article) -> int:
    """About what an item costs in a document: its text, escaped once more, and the rest."""
    text = len(article.body_html.encode("utf-8")) + 2 * len(article.summary.encode("utf-8"))
    return text * 5 // 4 + len(article.title.encode("utf-8")) + ITEM_OVERHEAD
