"""Article pages in a real browser: headless Chromium over loopback HTTP.

The page of an article made from hostile input is loaded with scripts enabled; if any script,
event handler or javascript: URL survived, it would mark the document. All host names resolve
to the test server, so every request the page makes is seen and checked.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from lxml import html
from werkzeug.serving import make_server

from syndicate.config import Settings, SiteSettings
from syndicate.dates import utc_now
from syndicate.ingest import ingest_file
from syndicate.store import Store
from syndicate.web import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ATTACK = Path(__file__).parent / "data" / "web" / "attack.md"
SAMPLE = Path(__file__).parent.parent / "content" / "samples" / "planned-trump-putin-meeting.txt"



class LiveServer:
    """An app on 127.0.0.1 in a thread, recording every request it receives.

    The socket is bound first so the app can be built with its real base URL.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.app: Flask | None = None
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def mount(self, app: Flask) -> None:
        app.before_request(self._record)
        self.app = app

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)

    def _record(self) -> None:
        # Only what a page asks for: Chromium's own updater calls carry no Sec-Fetch-Dest.
        if request.headers.get("Sec-Fetch-Dest"):
            self.requests.append((request.host, request.path))

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, Store]]:
    store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
    store.create_schema()
    for path in (ATTACK, SAMPLE):
        assert not ingest_file(path, store, now=utc_now()).failed
    with LiveServer() as server:
        settings = replace(Settings(), site=SiteSettings(base_url=server.base_url))
        server.mount(create_app(settings, store=store))
        yield server, store
    store.close()


def dump_dom(url: str, profile: Path, port: int) -> str:
    """Load a page with scripts on, let timers run, and return the resulting DOM."""
    assert CHROMIUM is not None, "Chromium is not installed: `make test` installs it"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--disable-default-apps",
        f"--user-data-dir={profile}",
        # Every host resolves to the test server: a load from anywhere would be recorded.
        f"--host-resolver-rules=MAP * 127.0.0.1:{port}",
        "--virtual-time-budget=3000", "--dump-dom", url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_browser_runs_no_script_from_hostile_article(
        live: tuple[LiveServer, Store], tmp_path: Path) -> None:
    server, store = live
    article = next(a for a in store.latest() if a.title.startswith("Attack"))
    url = f"http://127.0.0.1:{server.port}/articles/{article.slug}"
    dom = dump_dom(url, tmp_path / "profile", server.port)
    assert "A heading that stays" in dom
    body = html.fromstring(dom).body
    assert body.get("data-pwned") is None, f"a script ran: {body.get('data-pwned')}"
    assert "<script" not in dom and "<iframe" not in dom
    loaded = {path for host, path in server.requests}
    assert f"/articles/{article.slug}" in loaded
    assert "/static/style.css" in loaded
    assert "/frame" not in loaded and "/steal" not in loaded
    allowed = {f"/articles/{article.slug}", "/static/style.css", "/posts/x", "/favicon.ico"}
    assert loaded <= allowed, loaded - allowed


def test_browser_renders_sample_article_with_headings(
        live: tuple[LiveServer, Store], tmp_path: Path) -> None:
    server, store = live
    article = next(a for a in store.latest() if a.title.startswith("Planned Trump-Putin"))
    dom = dump_dom(f"http://127.0.0.1:{server.port}/articles/{article.slug}",
                   tmp_path / "profile", server.port)
    for heading in ("A Prudent Pause", "External Pressure", "The Path Forward"):
        assert f"<h2>{heading}</h2>" in dom
    assert "SCROLL FOR NEXT" not in dom
