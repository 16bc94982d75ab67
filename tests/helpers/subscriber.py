"""WebSub subscribers on 127.0.0.1: callbacks that verify intent, take deliveries and record
everything the hub sent them.

One :class:`Subscribers` server holds any number of callbacks (``/cb/<name>``), each a
:class:`Callback` scripted by the test: whether it echoes the challenge, the statuses it
answers deliveries with (in turn, the last one repeated), and how long it takes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Delivery:
    """One content distribution request as received."""

    body: bytes
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


@dataclass
class Callback:
    """What one callback does, and what it was sent."""

    echo: bool = True  # answer verifications with the challenge
    verify_status: int = 200
    statuses: list[int] = field(default_factory=lambda: [204])  # for deliveries, in turn
    delay: float = 0.0  # seconds before answering a delivery
    gate: threading.Event | None = None  # when given, deliveries are answered once it is set
    verifications: list[dict[str, str]] = field(default_factory=list)
    denials: list[dict[str, str]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)  # when each delivery was answered

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


class Subscribers:
    """A threaded server of callbacks; use as a context manager."""

    def __init__(self) -> None:
        self.callbacks: dict[str, Callback] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Subscribers:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, name: str, **script: object) -> str:
        """A new callback; its URL."""
        self.callbacks[name] = Callback(**script)  # type: ignore[arg-type]
        return self.url(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cb/{name}"

    def __getitem__(self, name: str) -> Callback:
        return self.callbacks[name]

    def all_deliveries(self) -> Iterator[tuple[str, Delivery]]:
        for name, callback in list(self.callbacks.items()):
            for delivery in list(callback.deliveries):
                yield name, delivery


def _handler(server: Subscribers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _callback(self) -> Callback | None:
            path = urlsplit(self.path).path
            return server.callbacks.get(path.removeprefix("/cb/"))

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            callback = self._callback()
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if callback is None:
                return self._answer(404, b"no such callback")
            if query.get("hub.mode") == "denied":
                callback.denials.append(query)
                return self._answer(200, b"")
            callback.verifications.append(query)
            if callback.verify_status != 200:
                return self._answer(callback.verify_status, b"no")
            body = query.get("hub.challenge", "") if callback.echo else "not the challenge"
            self._answer(200, body.encode())

        def do_POST(self) -> None:  # noqa: N802
            callback = self._callback()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if callback is None:
                return self._answer(404, b"no such callback")
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                callback.deliveries.append(Delivery(body, headers, time.monotonic()))
                status = callback.next_status()
            time.sleep(callback.delay)
            if callback.gate is not None:
                callback.gate.wait(60)
            try:
                self._answer(status, b"")
            finally:
                callback.answered.append(time.monotonic())

        def _answer(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    return Handler
