"""Article pages in a real browser: headless Chromium over loopback HTTP.

The page of an article made from hostile input is loaded with scripts enabled; if any script,
event handler or javascript: URL survived, it would mark the document. All host names resolve
to the test server, so every request the page makes is seen and checked.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.live import LiveServer
from lxml import html

from syndicate.config import Settings, SiteSettings
from syndicate.refresh.ingest import ingest_file
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.web import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ATTACK = Path(__file__).parent / "data" / "web" / "attack.md"
SAMPLE = Path(__file__).parent.parent / "content" / "samples" / "planned-trump-putin-meeting.txt"


class RecordingServer(LiveServer):
    """A live server that records the requests a page makes (host, path)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        # Recorded before the app: cached pages are answered without reaching Flask. Only what
        # a page asks for: Chromium's own updater calls carry no Sec-Fetch-Dest.
        if environ.get("HTTP_SEC_FETCH_DEST"):
            self.requests.append((environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", "")))
        return super()._wsgi(environ, start_response)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[RecordingServer, Store]]:
    store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
    store.create_schema()
    for path in (ATTACK, SAMPLE):
        assert not ingest_file(path, store, now=utc_now()).failed
    with RecordingServer() as server:
        settings = replace(Settings(), site=SiteSettings(base_url=server.base_url))
        server.mount(create_app(settings, store=store))
        yield server, store
    store.close()


def dump_dom(url: str, profile: Path, port: int) -> str:
    """Load a page with scripts on, let timers run, and return the resulting DOM."""
    assert CHROMIUM is not None, "Chromium is not installed: `make test` installs it"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        f"--user-data-dir={profile}",
        # Every host resolves to the test server: a load from anywhere would be recorded.
        f"--host-resolver-rules=MAP * 127.0.0.1:{port}",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_browser_runs_no_script_from_hostile_article(
    live: tuple[RecordingServer, Store], tmp_path: Path
) -> None:
    server, store = live
    article = next(a for a in store.latest() if a.title.startswith("Attack"))
    url = f"http://127.0.0.1:{server.port}/articles/{article.slug}"
    dom = dump_dom(url, tmp_path / "profile", server.port)
    assert "A heading that stays" in dom
    body = html.fromstring(dom).body
    assert body.get("data-pwned") is None, f"a script ran: {body.get('data-pwned')}"
    assert "<iframe" not in dom
    scripts = html.fromstring(dom).xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]  # data, never run
    loaded = {path for host, path in server.requests}
    assert f"/articles/{article.slug}" in loaded
    assert "/static/style.css" in loaded
    assert "/frame" not in loaded and "/steal" not in loaded
    allowed = {f"/articles/{article.slug}", "/static/style.css", "/posts/x", "/favicon.ico"}
    assert loaded <= allowed, loaded - allowed


def test_browser_renders_sample_article_with_headings(
    live: tuple[RecordingServer, Store], tmp_path: Path
) -> None:
    server, store = live
    article = next(a for a in store.latest() if a.title.startswith("Planned Trump-Putin"))
    dom = dump_dom(
        f"http://127.0.0.1:{server.port}/articles/{article.slug}", tmp_path / "profile", server.port
    )
    for heading in ("A Prudent Pause", "External Pressure", "The Path Forward"):
        assert f"<h2>{heading}</h2>" in dom
    assert "SCROLL FOR NEXT" not in dom
