"""A TCP server on 127.0.0.1 that misbehaves below HTTP: each accepted connection is handed to
a function (send headers forever, never answer), on its own thread, until the test ends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """Accepts connections and runs ``behaviour(conn, stopping)`` for each; a context manager."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.accepted = 0
        self.stopping = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/feed.xml"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.behaviour(conn, self.stopping)
            except OSError:
                pass  # the client gave up on us, as it should


def headers_forever(conn: socket.socket, stopping: threading.Event) -> None:
    """Slowloris: a status line, then a header byte every 20 ms, never the blank line."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not stopping.wait(0.02):
        conn.sendall(b"a")


def header_lines_forever(conn: socket.socket, stopping: threading.Event) -> None:
    """A new header line every 20 ms, each well inside any socket timeout."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    count = 0
    while not stopping.wait(0.02):
        count += 1
        conn.sendall(b"X-Line-%d: x\r\n" % count)


def never_answer(conn: socket.socket, stopping: threading.Event) -> None:
    """Accepts, reads the request, and says nothing."""
    conn.recv(65536)
    stopping.wait(60)
