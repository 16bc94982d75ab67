"""Fuzzed input never crashes a parser: per input kind, only the named errors come out.

For scraped text, Markdown with front matter, HTML pages, JSON articles, upstream feed bytes
(RSS, Atom, JSON Feed) and config TOML, hypothesis feeds random bytes, documents built from the
kind's own vocabulary holding hostile text, and mutated fixtures (``tests/helpers/fuzzing.py``).
A parser may refuse an input only with ``ParseError`` (``ConfigError`` for a config file)
naming it; every input it accepts must normalize into articles whose RSS and Atom feeds are
valid (feedparser bozo 0, Atom RELAX NG).

Examples per kind: ``CI_EXAMPLES`` (60) in every run of the suite, ``LONG_EXAMPLES`` (3,000)
under ``pytest -m soak`` (``make soak``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.fuzzing import CI_EXAMPLES, FOUND, INPUTS, LONG_EXAMPLES, config_inputs
from helpers.source_cases import check_invariants
from helpers.validity import assert_valid_feed
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from syndicate.config.loading import SCHEMA, load_settings
from syndicate.errors import ConfigError, ParseError
from syndicate.model import Channel, RawEntry
from syndicate.normalize import normalize
from syndicate.render.xmlfeed import render_feed
from syndicate.sources import read
from syndicate.sources.syndication import parse_feed
from syndicate.text.dates import utc_now

NAMES = {"text": "page.txt", "markdown": "post.md", "html": "page.html", "json": "article.json"}
CHANNEL = Channel(
    id="urn:uuid:0b7f3c52-8d0e-4e55-9f3c-7c1e2f0d9a01",
    title="Fuzz",
    site_url="https://fuzz.example/",
    feed_url="https://fuzz.example/feeds/all.atom",
)
EXAMPLES = [
    pytest.param(CI_EXAMPLES, id="ci"),
    pytest.param(LONG_EXAMPLES, id="long", marks=pytest.mark.soak),
]


def fuzz(
    strategy: st.SearchStrategy[bytes],
    check: Callable[[bytes], None],
    count: int,
    found: tuple[bytes, ...] | list[bytes] = (),
) -> None:
    """Run ``check`` on ``count`` generated inputs, after the ones fuzzing found before."""

    def run(data: bytes) -> None:
        check(data)

    test = given(strategy)(run)
    for data in found:
        test = example(data)(test)
    settings(
        max_examples=count,
        deadline=None,
        derandomize=count == CI_EXAMPLES,  # the same examples in every CI run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(test)()


def publish(entries: list[RawEntry], origin: str, *, titled: bool = True) -> None:
    """Accepted entries must make articles, and the articles valid feeds.

    A file's entry has its title; a feed's entry may have none (normalize finds one).
    """
    articles = []
    for entry in entries:
        if titled:
            check_invariants(entry)
        try:
            articles.append(normalize(entry, source="fuzz", now=utc_now(), origin=origin))
        except ParseError as exc:  # normalize may refuse an entry too, by name
            assert exc.source == origin or origin in str(exc), exc
    for article in articles:
        assert article.title.strip() and article.title == " ".join(article.title.split())
    event(f"{len(articles)} article(s)")
    for fmt in ("rss", "atom"):
        rendered = render_feed(
            CHANNEL, articles, fmt, permalink=lambda a: f"https://fuzz.example/articles/{a.slug}"
        )
        assert_valid_feed(rendered.body, fmt)


@pytest.mark.parametrize("count", EXAMPLES)
@pytest.mark.parametrize("kind", sorted(NAMES))
def test_file_kinds_refuse_only_by_name(kind: str, count: int) -> None:
    name = NAMES[kind]

    def check(data: bytes) -> None:
        try:
            parsed = read(data, name, kind)
        except ParseError as exc:
            assert exc.source == name, exc
            event("refused")
            return
        publish(parsed.entries, name)

    fuzz(INPUTS[kind], check, count, FOUND[kind])


@pytest.mark.parametrize("count", EXAMPLES)
def test_feed_bytes_refuse_only_by_name(count: int) -> None:
    origin = "https://up.example/feed"

    def check(data: bytes) -> None:
        try:
            parsed = parse_feed(data, origin)
        except ParseError as exc:
            assert exc.source == origin, exc
            event("refused")
            return
        publish(parsed.entries, origin, titled=False)

    fuzz(INPUTS["feed"], check, count, FOUND["feed"])


@pytest.mark.parametrize("count", EXAMPLES)
def test_config_files_refuse_only_with_config_error(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "syndicate.toml"

        def check(data: bytes) -> None:
            path.write_bytes(data)
            try:
                load_settings(path, environ={})
            except ConfigError as exc:
                assert str(exc).startswith(str(path)), exc
                event("refused")
            else:
                event("accepted")

        fuzz(config_inputs(SCHEMA), check, count, FOUND["config"])
