"""Upstreams that fight back: slowloris headers, silence, redirects to files and private
addresses, 304s to unconditional requests, a 100,000-entry feed, external entities and
billion laughs. Each ends as a named failure of its source (or a bounded read), in bounded
time and memory, with nothing stored lost."""

from __future__ import annotations

import socket
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.sockets import RawServer, header_lines_forever, headers_forever, never_answer
from helpers.upstream import Reply, TestServer, rss
from lxml import html as lxml_html

from syndicate.config import FetchSettings, IngestSettings, Settings, SourceSettings
from syndicate.errors import FetchError
from syndicate.refresh import Outcome, Refresher
from syndicate.sources.blocks import parse_document
from syndicate.sources.fetch import Fetcher, guard
from syndicate.sources.syndication import parse_feed
from syndicate.store import Store

DEADLINE = 1.0


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def fetcher(**options: Any) -> Fetcher:
    settings = FetchSettings(allow_private_networks=True, total_timeout=DEADLINE, **options)
    return Fetcher(settings)


@pytest.mark.parametrize("behaviour", [headers_forever, header_lines_forever, never_answer])
def test_a_server_that_never_finishes_its_headers_fails_at_the_deadline(behaviour) -> None:
    with RawServer(behaviour) as slow:
        started = time.monotonic()
        with pytest.raises(FetchError, match=f"timed out after {DEADLINE:g} s"):
            fetcher().get(slow.url)
        took = time.monotonic() - started
    assert DEADLINE * 0.9 <= took < DEADLINE + 2.0, took


def test_a_refresh_of_a_slowloris_upstream_is_recorded_as_its_failure(
    settings: Settings, store: Store
) -> None:
    with RawServer(headers_forever) as slow:
        source = SourceSettings(name="slow", kind="feed", url=slow.url, allow_private=True)
        configured = replace(
            settings, sources=(source,), fetch=FetchSettings(total_timeout=DEADLINE)
        )
        result = Refresher(configured, store).refresh("slow")
    assert result.outcome is Outcome.FAILED and "timed out" in result.message
    assert [r.outcome for r in store.recent_runs("slow")] == ["failed"]


def test_redirect_to_a_file_url_is_refused(server: TestServer) -> None:
    server.serve("/f", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match="refused: 'file:///etc/passwd' is not an http"):
        fetcher().get(server.url("/f"))


def _resolving(names: dict[str, str]) -> Any:
    real = guard.resolver

    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, **kwargs)

    return resolve


def test_a_public_looking_name_that_resolves_to_a_private_address_is_refused(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.serve("/f", Reply(rss(("a", "A", "Body."))))
    monkeypatch.setattr(guard, "resolver", _resolving({"feeds.example.com": "127.0.0.1"}))
    with pytest.raises(FetchError, match="refused: 127.0.0.1 is a loopback address"):
        Fetcher(FetchSettings()).get(f"http://feeds.example.com:{server.port}/f")
    assert server.hits["/f"] == 0


def test_a_redirect_to_a_name_resolving_to_a_private_address_is_refused(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test server stands in for a public host: only its address passes as public here;
    # the redirect's host name resolves to 10.0.0.1 (an intranet), which must not be reached.
    monkeypatch.setattr(
        guard,
        "resolver",
        _resolving({"cdn.example.com": "127.0.0.1", "intranet.example.com": "10.0.0.1"}),
    )
    real_problem = guard.address_problem
    monkeypatch.setattr(
        guard, "address_problem", lambda a: "" if a == "127.0.0.1" else real_problem(a)
    )
    server.serve("/f", Reply(status=302, headers={"Location": "http://intranet.example.com/admin"}))
    with pytest.raises(FetchError, match="refused: 10.0.0.1 is a private address"):
        Fetcher(FetchSettings(total_timeout=DEADLINE)).get(
            f"http://cdn.example.com:{server.port}/f"
        )
    assert server.hits["/f"] == 1


def test_a_304_to_a_request_without_validators_is_a_failure_not_unchanged(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve("/feed.xml", Reply(status=304))
    with pytest.raises(FetchError, match="HTTP 304 Not Modified from .* without validators"):
        fetcher().get(server.url("/feed.xml"))
    source = SourceSettings(
        name="lying", kind="feed", url=server.url("/feed.xml"), allow_private=True
    )
    result = Refresher(replace(settings, sources=(source,)), store).refresh("lying")
    assert result.outcome is Outcome.FAILED and "without validators" in result.message


def big_feed(entries: int) -> bytes:
    items = b"".join(
        b"<item><title>Entry %d</title><link>https://up.example/%d</link>"
        b"<description>Text of entry %d.</description></item>" % (i, i, i)
        for i in range(entries)
    )
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
        b"<link>https://up.example/</link><description>d</description>"
        + items
        + b"</channel></rss>"
    )


def test_a_feed_of_100000_entries_is_read_up_to_the_cap_in_bounded_memory() -> None:
    data = big_feed(100_000)
    tracemalloc.start()
    try:
        parsed = parse_feed(data, "https://up.example/feed.xml", max_entries=200)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.items) == 200 and parsed.over_cap == 99_800 and not parsed.note
    assert parsed.items[-1].entry.title == "Entry 199"
    # Reading 200 entries of a 10 MB document takes far less than the document itself.
    assert peak < len(data) / 4, (peak, len(data))


def test_a_refresh_of_a_huge_feed_stores_the_cap_and_counts_the_rest(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve("/feed.xml", Reply(big_feed(100_000)))
    source = SourceSettings(
        name="huge", kind="feed", url=server.url("/feed.xml"), allow_private=True
    )
    configured = replace(
        settings, sources=(source,), ingest=replace(IngestSettings(), max_feed_entries=50)
    )
    result = Refresher(configured, store).refresh("huge")
    assert (result.outcome, result.new, result.skipped) == (Outcome.OK, 50, 99_950), result.message
    assert "99950 entries past the first 50 skipped (ingest.max_feed_entries)" in result.message
    assert store.count("huge") == 50


SECRET = "SECRET-MARKER-7f3a"


def external_entity_feed(path: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{path}">]>\n'
        '<rss version="2.0"><channel><title>T &xxe;</title><link>https://x.example/</link>'
        "<description>d</description><item><title>Item &xxe;</title>"
        "<link>https://x.example/1</link><description>Body &xxe; text</description></item>"
        "</channel></rss>"
    ).encode()


def billion_laughs_feed() -> bytes:
    entities = "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "lol") * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [{entities}]>\n'
        '<rss version="2.0"><channel><title>T</title><link>https://x.example/</link>'
        "<description>d</description><item><title>Laugh &lol9;</title>"
        "<link>https://x.example/1</link><description>x &lol9;</description></item>"
        "</channel></rss>"
    ).encode()


def test_feedparser_expands_no_external_entity(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    parsed = parse_feed(external_entity_feed(secret), "https://x.example/feed.xml")
    assert SECRET not in repr(parsed)
    assert [item.entry.title for item in parsed.items] == ["Item &xxe;"]


def test_feedparser_expands_no_billion_laughs() -> None:
    started = time.monotonic()
    parsed = parse_feed(billion_laughs_feed(), "https://x.example/feed.xml")
    assert time.monotonic() - started < 5
    assert "lollol" not in repr(parsed)


def test_the_html_parser_expands_no_entity_either(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    for document in (external_entity_feed(secret), billion_laughs_feed()):
        text = lxml_html.tostring(parse_document(document.decode()), encoding="unicode")
        assert SECRET not in text and "lollol" not in text


def test_a_connection_error_names_host_and_port_not_library_internals() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as raised:
        fetcher().get(f"http://127.0.0.1:{port}/feed.xml", source="closed")
    assert str(raised.value) == f"closed: cannot connect to 127.0.0.1:{port}: connection refused"
