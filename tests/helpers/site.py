"""A small site to look at: articles in three categories, two languages, a lead image, a
hostile title; and the HTML5 check every page must pass.

``site_articles()`` gives eight articles, published an hour apart (``article(1)`` the oldest):
categories News, Sports, Arts in turn, tags ``tag-0``/``tag-1`` and authors Ada Byron / Bo
Diddley in turn (see :func:`helpers.articles.article`). Article 4 has a lead image; article 6
is in German; article 7's title tries to end the JSON-LD script element.
"""

from __future__ import annotations

from dataclasses import replace

import html5lib

from helpers.articles import article
from syndicate.model import IMAGE, Article, Media

HOSTILE_TITLE = "</script><script>alert(1)</script> <!-- & \"q\" 'a'"
LEAD_IMAGE = Media(
    url="/static/favicon.ico", type="image/vnd.microsoft.icon", title="A crane", role=IMAGE
)


def site_articles() -> list[Article]:
    made = [article(n, word_count=460) for n in range(1, 9)]
    made[3] = replace(made[3], media=(LEAD_IMAGE,))
    made[5] = replace(made[5], language="de", title="Artikel 6")
    made[6] = replace(made[6], title=HOSTILE_TITLE)
    return made


def html5_errors(text: str) -> list[str]:
    """The parse errors of the WHATWG HTML parsing algorithm (html5lib) in a document."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(text)
    return [f"line {line}, col {col}: {code} {data}" for (line, col), code, data in parser.errors]
