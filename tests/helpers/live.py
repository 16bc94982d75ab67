"""A WSGI app on 127.0.0.1 in a thread, and an HTTP helper.

Tests that must see real HTTP (headers as sent, compression, 304s without a body) use these.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server


class LiveServer:
    """Serves ``app`` (any WSGI callable, mountable later) until the context ends.

    The socket is bound first so the app can be built with its real base URL.
    """

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def mount(self, app: Callable[..., Any]) -> None:
        self.app = app

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def request(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        body: bytes | None = None,
        source: str = "",
    ) -> Reply:
        """One request on a fresh connection; the body exactly as sent (not decoded).

        ``source`` is the loopback address to send from (``127.0.0.2``: another client)."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0) if source else None
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Site:
    """A live app over a store: what the HTTP tests hold on to."""

    server: LiveServer
    app: Any
    store: Any
    settings: Any

    def get(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        source: str = "",
    ) -> Reply:
        return self.server.request(path, headers, method, source=source)

    @property
    def cache(self) -> Any:
        """The app's byte cache, which holds its feeds and pages."""
        return self.app.extensions["syndicate.feedcache"]

    def etags(self, paths: Iterable[str]) -> dict[str, str]:
        """The ETag each path answers with now."""
        return {path: self.get(path).headers["etag"] for path in paths}

    def post(self, path: str, form: dict[str, str]) -> Reply:
        """A form-encoded POST."""
        from urllib.parse import urlencode

        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.server.request(path, headers, "POST", body=body)


def serve(settings: Any, store: Any, **app_options: Any) -> Any:
    """A context manager yielding a :class:`Site` at a real 127.0.0.1 URL."""
    from contextlib import contextmanager
    from dataclasses import replace

    from syndicate.web import create_app

    @contextmanager
    def running() -> Any:
        with LiveServer() as server:
            live = replace(settings, site=replace(settings.site, base_url=server.base_url))
            app_options.setdefault("watch_interval", None)
            app = create_app(live, store=store, **app_options)
            server.mount(app)
            yield Site(server, app, store, live)

    return running()
