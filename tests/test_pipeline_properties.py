"""Property test of the whole path: any input text -> parser -> normalize -> store -> web.

Arbitrary text goes in as a scraped page, a Markdown file, an HTML fragment and a JSON
article. Whatever a parser accepts must come out of the web app as feeds that are well-formed,
read by feedparser without ``bozo``, valid Atom, and as an article page with no active content.
A parser may refuse an input, but only with a ``ParseError`` naming it.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import feedparser
from helpers.hostile import ATOM_SCHEMA, TEXT, TITLE, assert_inert_html
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from syndicate.config import Settings, SiteSettings
from syndicate.errors import ParseError
from syndicate.normalize import normalize
from syndicate.sources import parse_bytes
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.web import create_app

PROSE = (
    "The council met on Monday and agreed the plan after a long debate, officials said. "
    "Residents who attended the meeting asked for more time to study the proposal. "
)
# Hostile fragments inside prose-like paragraphs, so the scraped-text parser finds a body too.
PARAGRAPH = st.lists(st.one_of(TEXT, st.just(PROSE)), min_size=1, max_size=5).map(
    lambda parts: PROSE + " ".join(parts) + " " + PROSE
)


def as_text(title: str, paragraphs: list[str]) -> tuple[str, bytes]:
    lines = [title, *paragraphs]
    return "page.txt", "\n\n".join(lines).encode("utf-8", "surrogatepass")


def as_markdown(title: str, paragraphs: list[str]) -> tuple[str, bytes]:
    front = json.dumps({"title": title, "tags": paragraphs[:2]})  # JSON is valid YAML
    body = "\n\n".join(paragraphs)
    return "post.md", f"---\n{front}\n---\n\n{body}\n".encode("utf-8", "surrogatepass")


def as_html(title: str, paragraphs: list[str]) -> tuple[str, bytes]:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return "page.html", f"<h1>{title}</h1>{body}".encode("utf-8", "surrogatepass")


def as_json(title: str, paragraphs: list[str]) -> tuple[str, bytes]:
    document = {
        "title": title,
        "content_html": "".join(f"<p>{p}</p>" for p in paragraphs),
        "authors": paragraphs[:1],
        "categories": paragraphs[1:2],
    }
    return "article.json", json.dumps(document).encode("utf-8")


SHAPES = st.sampled_from([as_text, as_markdown, as_html, as_json])


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(shape=SHAPES, title=TITLE, paragraphs=st.lists(PARAGRAPH, min_size=1, max_size=4))
@example(
    shape=as_text,
    title="Title ]]> <script>alert(1)</script>",
    paragraphs=["Right-to-left \u202e text, emoji 😀 and a NUL \x00 here. " * 2000],
)
def test_any_input_gives_valid_feeds_and_inert_page(shape, title, paragraphs) -> None:
    name, data = shape(title, paragraphs)
    try:
        entries = parse_bytes(data, name)
        articles = [normalize(e, source="property", now=utc_now(), origin=name) for e in entries]
    except ParseError as exc:
        assert name in str(exc)
        event(f"{name}: refused")
        return
    event(f"{name}: published")
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'p.db'}")
        store.create_schema()
        try:
            for article in articles:
                store.upsert(article)
            check_site(store, len(articles))
        finally:
            store.close()


def check_site(store: Store, count: int) -> None:
    settings_ = replace(Settings(), site=SiteSettings(base_url="https://p.example"))
    client = create_app(settings_, store=store).test_client()
    atom = client.get("/feeds/all.atom").data
    rss = client.get("/feeds/all.rss").data
    assert ATOM_SCHEMA.validate(etree.fromstring(atom)), ATOM_SCHEMA.error_log
    etree.fromstring(rss)
    for body in (atom, rss):
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == count
    for article in store.latest():
        page = client.get(f"/articles/{article.slug}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        body = html.fromstring(text).xpath("//div[@class='body']")[0]
        assert_inert_html(html.tostring(body, encoding="unicode"))
        # one script element: the JSON-LD data, which no text of the article can end early
        assert text.lower().count("<script") == 1
        opening = '<script type="application/ld+json">'
        start = text.index(opening) + len(opening)
        data = text[start : text.index("</script>", start)]
        assert not re.search(r"[<>&]", data)
        assert json.loads(data)["@type"] == "NewsArticle"
