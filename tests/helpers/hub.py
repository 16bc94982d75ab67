"""A WebSub hub on 127.0.0.1 that records the ``hub.url`` of every publish ping it gets."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Hub:
    """A hub that records ``hub.url`` of every publish ping; fails the first ``failures``."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.pings: list[str] = []
        self.failures, self.delay = failures, delay
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                assert form["hub.mode"] == ["publish"]
                time.sleep(hub.delay)
                failing = hub.failures > 0
                hub.failures -= 1
                if not failing:
                    hub.pings += form["hub.url"]
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
