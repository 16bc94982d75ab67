"""A real HTTP server on 127.0.0.1 whose routes the tests script.

Each route answers with a :class:`Reply`, or calls a function with the request to make one,
so content can change between requests. Replies carrying an ``etag`` or ``last_modified``
answer conditional GETs with 304 as a well-behaved server does. Bodies may be iterables of
chunks (sent as they come, so a test can serve 20 MiB without holding it) and a reply can be
slow before its headers or between chunks.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What a route answers."""

    body: bytes | Iterable[bytes] = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before the status line
    chunk_delay: float = 0.0  # seconds between body chunks
    length: int | None = None  # Content-Length to announce for an iterable body


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]


Handler = Callable[[Seen], Reply]


class TestServer:
    """Threaded HTTP/1.1 server on an ephemeral loopback port; use as a context manager."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> TestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, reply: Reply | Handler) -> None:
        """Answer ``path`` with a fixed reply or with what a function makes of the request."""
        self.routes[path] = reply if callable(reply) else (lambda _seen, r=reply: r)

    def _enter(self, seen: Seen) -> Handler | None:
        with self._lock:
            self.hits[seen.path] += 1
            self.requests.append(seen)
        return self.routes.get(seen.path)

    def _wait(self, seconds: float) -> None:
        """A reply's delay, counted as a request in flight: ``max_active`` is how many delays
        overlapped. (Counting until the handler returns would also count the moment after the
        client has read the whole reply, when it may already have sent the next request.)"""
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self.active -= 1


def _handler_class(server: TestServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up, as fetch does on purpose past a limit

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
            route = server._enter(seen)
            try:
                reply = route(seen) if route else Reply(b"no such route", 404)
                self._answer(seen, reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _answer(self, seen: Seen, reply: Reply) -> None:
            server._wait(reply.delay)
            if _not_modified(seen, reply):
                self.send_response(304)
                self._validators(reply)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self._validators(reply)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if isinstance(reply.body, bytes):
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                return
            if reply.length is not None:
                self.send_header("Content-Length", str(reply.length))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            for chunk in reply.body:
                self.wfile.write(chunk)
                time.sleep(reply.chunk_delay)

        def _validators(self, reply: Reply) -> None:
            if reply.etag:
                self.send_header("ETag", reply.etag)
            if reply.last_modified:
                self.send_header("Last-Modified", reply.last_modified)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return _Handler


def _not_modified(seen: Seen, reply: Reply) -> bool:
    if reply.status != 200:
        return False
    if reply.etag and seen.headers.get("if-none-match") == reply.etag:
        return True
    return (
        bool(reply.last_modified)
        and seen.headers.get("if-modified-since") == reply.last_modified
        and not reply.etag
    )


def repeated(chunk: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes made of ``chunk`` repeated, yielded chunk by chunk."""
    sent = 0
    while sent < total:
        part = chunk[: total - sent]
        sent += len(part)
        yield part


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (a few KiB on the wire per 10 MiB)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


# -- feeds to serve ---------------------------------------------------------------------------


def rss(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 document of (slug, title, body) items."""
    parts = [
        f"<item><title>{title}</title><link>https://news.example.com/{slug}</link>"
        f"<guid>https://news.example.com/{slug}</guid>"
        f"<pubDate>Mon, 06 May 2024 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{body}</p>]]></description></item>"
        for slug, title, body in items
    ]
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>News</title><link>https://news.example.com/</link>{''.join(parts)}"
        "</channel></rss>"
    ).encode()


FIRST = (("one", "First story", "Body of the first."), ("two", "Second story", "Body two."))
