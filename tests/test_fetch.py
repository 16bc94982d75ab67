"""The fetcher against a loopback server: limits, decoding, redirects, address policy."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import brotli
import pytest
from helpers.upstream import Reply, TestServer, gzip_bomb, repeated

from syndicate import __version__
from syndicate.config import FetchSettings
from syndicate.errors import FetchError, ParseError
from syndicate.sources.fetch import (
    AddressRefused,
    Fetcher,
    FetchResult,
    RateLimited,
    address_problem,
    decode_body,
    parse_retry_after,
    resolve_checked,
)

MIB = 1024 * 1024
TEXT = b"<rss version='2.0'><channel><title>Plain</title></channel></rss>" * 50


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def fetcher(**settings: object) -> Fetcher:
    return Fetcher(FetchSettings(allow_private_networks=True, **settings))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("93.184.216.34", ""),
        ("2606:4700::1111", ""),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("192.168.1.20", "192.168.1.20 is a private address"),
        ("172.16.5.4", "172.16.5.4 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("0.0.0.0", "0.0.0.0 is a unspecified address"),
        ("::ffff:10.0.0.1", "10.0.0.1 is a private address"),
        ("100.64.0.1", "100.64.0.1 is not a public address"),
    ],
)
def test_fetch_address_policy(address: str, problem: str) -> None:
    assert address_problem(address) == problem


def test_fetch_resolve_checks_every_address_of_a_name() -> None:
    with pytest.raises(AddressRefused, match="loopback"):
        resolve_checked("localhost", 80, allow_private=False)
    assert "127.0.0.1" in resolve_checked("localhost", 80, allow_private=True)


def test_fetch_refuses_loopback_by_default_and_never_connects(server: TestServer) -> None:
    server.serve("/f", Reply(TEXT))
    with pytest.raises(FetchError, match="refused: 127.0.0.1 is a loopback address"):
        Fetcher(FetchSettings()).get(server.url("/f"))
    assert server.hits["/f"] == 0


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/f", "gopher://x/"])
def test_fetch_refuses_other_schemes(url: str) -> None:
    with pytest.raises(FetchError, match="is not an http\\(s\\) URL"):
        fetcher().get(url)


def test_fetch_sends_identity_and_validators(server: TestServer) -> None:
    server.serve("/f", Reply(TEXT, etag='"abc"', last_modified="Wed, 01 May 2024 10:00:00 GMT"))
    result = fetcher().get(
        server.url("/f"), etag='"old"', last_modified="Tue, 30 Apr 2024 10:00:00 GMT"
    )
    seen = server.requests[-1].headers
    assert seen["user-agent"].startswith(f"syndicate/{__version__} ")
    assert seen["accept-encoding"] == "gzip, deflate, br"
    assert (seen["if-none-match"], seen["if-modified-since"]) == (
        '"old"',
        "Tue, 30 Apr 2024 10:00:00 GMT",
    )
    assert (result.status, result.body, result.etag) == (200, TEXT, '"abc"')
    assert result.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert (result.content_type, result.charset) == ("application/xml", "utf-8")


def test_fetch_304_has_no_body(server: TestServer) -> None:
    server.serve("/f", Reply(TEXT, etag='"abc"'))
    result = fetcher().get(server.url("/f"), etag='"abc"')
    assert result.not_modified and result.body == b""


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("identity", lambda data: data),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "brotli", "identity"],
)
def test_fetch_decodes_content_encodings(server: TestServer, encoding: str, encode) -> None:
    server.serve("/f", Reply(encode(TEXT), headers={"Content-Encoding": encoding}))
    assert fetcher().get(server.url("/f")).body == TEXT


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", gzip_bomb(100 * MIB)), ("br", brotli.compress(b"\0" * 100 * MIB))],
    ids=["gzip", "brotli"],
)
def test_fetch_decompression_bomb_stops_at_the_cap(
    server: TestServer, encoding: str, body: bytes
) -> None:
    server.serve("/bomb", Reply(body, headers={"Content-Encoding": encoding}))
    started = time.monotonic()
    with pytest.raises(FetchError, match="body exceeds 15 MiB once decompressed"):
        fetcher().get(server.url("/bomb"))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "streamed"])
def test_fetch_20_mib_body_stops_at_the_default_15_mib_cap(
    server: TestServer, announce: bool
) -> None:
    size = 20 * MIB
    server.serve("/big", Reply(repeated(b"x" * 65536, size), length=size if announce else None))
    started = time.monotonic()
    with pytest.raises(FetchError, match="body exceeds 15 MiB"):
        fetcher().get(server.url("/big"))
    assert time.monotonic() - started < 5


def test_fetch_total_deadline_covers_a_trickling_body(server: TestServer) -> None:
    server.serve("/slow", Reply(repeated(b"x" * 100, 100_000), chunk_delay=0.05))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        fetcher(total_timeout=0.5).get(server.url("/slow"))
    assert time.monotonic() - started < 2


def test_fetch_follows_redirects_to_the_final_url(server: TestServer) -> None:
    server.serve("/old", Reply(status=301, headers={"Location": "/mid"}))
    server.serve("/mid", Reply(status=302, headers={"Location": server.url("/new")}))
    server.serve("/new", Reply(TEXT))
    result = fetcher().get(server.url("/old"), etag='"x"')
    assert result.url == server.url("/new") and result.body == TEXT
    assert "if-none-match" not in server.requests[-1].headers


def test_fetch_redirect_limit_and_checked_hops(server: TestServer) -> None:
    server.serve("/loop", Reply(status=302, headers={"Location": "/loop"}))
    server.serve("/away", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match=r"too many redirects \(4\)"):
        fetcher(max_redirects=3).get(server.url("/loop"))
    assert server.hits["/loop"] == 4
    with pytest.raises(FetchError, match="not an http\\(s\\) URL"):
        fetcher().get(server.url("/away"))


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(b"gone", status=404), "HTTP 404 Not Found from http://127.0.0.1"),
        (Reply(b"", status=500), "HTTP 500 Internal Server Error from"),
        (Reply(b"", headers={"Content-Encoding": "zstd"}), "unsupported Content-Encoding"),
        (Reply(b"not gzip at all", headers={"Content-Encoding": "gzip"}), "corrupt gzip body"),
    ],
    ids=["404", "500", "unknown-encoding", "corrupt-gzip"],
)
def test_fetch_errors_read_well(server: TestServer, reply: Reply, error: str) -> None:
    server.serve("/f", reply)
    with pytest.raises(FetchError, match=error):
        fetcher().get(server.url("/f"), source="wire")


def test_fetch_rate_limit_parses_retry_after(server: TestServer) -> None:
    server.serve("/f", Reply(b"", status=429, headers={"Retry-After": "60"}))
    with pytest.raises(RateLimited) as info:
        fetcher().get(server.url("/f"))
    assert info.value.retry_after is not None
    assert 50 < (info.value.retry_after - datetime.now(UTC)).total_seconds() <= 61


def test_fetch_closed_port_is_a_connection_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect to"):
        fetcher().get(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("per_host", [1, 2])
def test_fetch_limits_requests_per_host(server: TestServer, per_host: int) -> None:
    server.serve("/slow", Reply(TEXT, delay=0.2))
    shared = fetcher(per_host=per_host)
    threads = [threading.Thread(target=shared.get, args=(server.url("/slow"),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.hits["/slow"] == 4
    assert server.max_active == per_host


@pytest.mark.parametrize(
    ("body", "charset", "text", "encoding"),
    [
        ("\ufeffcafé".encode(), "iso-8859-1", "café", "utf-8"),
        ("café".encode("latin-1"), "iso-8859-1", "café", "cp1252"),
        (
            "<?xml version='1.0' encoding='koi8-r'?>кот".encode("koi8-r"),
            "",
            "<?xml version='1.0' encoding='koi8-r'?>кот",
            "koi8-r",
        ),
        (
            '<meta charset="windows-1251"><p>кот</p>'.encode("cp1251"),
            "",
            '<meta charset="windows-1251"><p>кот</p>',
            "cp1251",
        ),
        ("café".encode(), "", "café", "utf-8"),
        ("café".encode(), "no-such-charset", "café", "utf-8"),
    ],
    ids=["bom-wins", "header", "xml-declaration", "meta-charset", "utf8-default", "unknown-label"],
)
def test_fetch_decode_body_chooses_the_encoding(
    body: bytes, charset: str, text: str, encoding: str
) -> None:
    decoded = decode_body(FetchResult(200, body, "https://x.example/", charset=charset))
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_fetch_decode_body_refuses_unreadable_bytes() -> None:
    result = FetchResult(200, bytes(range(128, 256)) * 40, "https://x.example/", charset="utf-8")
    with pytest.raises(ParseError, match="not utf-8 text as labelled"):
        decode_body(result)


def test_fetch_parse_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == datetime(2024, 5, 1, 12, 2, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 May 2024 13:00:00 GMT", now=now) == datetime(
        2024, 5, 1, 13, 0, tzinfo=UTC
    )
    assert parse_retry_after("soon", now=now) is None
