"""The admin pages in headless Chromium, as an editor uses them: sign in, refresh a source
now (carried out by the scheduler of this process), read its run log, unpublish an article.
A screenshot of each page is kept under ``var/test-artifacts/admin/``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.browser import Browser, Tab
from helpers.live import LiveServer
from helpers.processes import wait_for
from helpers.upstream import FIRST, Reply, TestServer, rss

from syndicate.config import AdminSettings, ScheduleSettings, Settings, SiteSettings, SourceSettings
from syndicate.refresh import Refresher
from syndicate.refresh.schedule import RefreshScheduler
from syndicate.store import ADMIN, Store
from syndicate.text.dates import utc_now
from syndicate.web import SCHEDULER_KEY, create_app


@pytest.fixture
def upstream() -> Iterator[TestServer]:
    with TestServer() as server:
        server.serve("/f", Reply(rss(*FIRST)))
        yield server


def test_sign_in_refresh_now_and_unpublish_in_a_browser(
    settings: Settings, store: Store, upstream: TestServer, tmp_path: Path
) -> None:
    _token, secret = store.tokens.create("editor", ADMIN, now=utc_now())
    wire = SourceSettings(
        name="wire", kind="feed", url=upstream.url("/f"), allow_private=True, interval=3600
    )
    store.record_success("wire", at=utc_now())  # not due for an hour: only "refresh now" runs it
    with LiveServer() as server:
        live = replace(
            settings,
            site=SiteSettings(title="Test Gazette", base_url=server.base_url),
            sources=(wire,),
            schedule=ScheduleSettings(jitter=1),
            admin=AdminSettings(secret_key_file=str(tmp_path / "secret_key")),
        )
        app = create_app(live, store=store, watch_interval=None)
        refresher = Refresher(live, store)
        scheduler = RefreshScheduler(live, refresher, control_interval=0.2)
        app.extensions[SCHEDULER_KEY] = scheduler
        server.mount(app)
        scheduler.start()
        try:
            with Browser(tmp_path / "profile") as browser:
                tab = browser.open(f"{server.base_url}/admin/sources", width=1280)
                drive(tab, server.base_url, secret, store, upstream)
        finally:
            scheduler.shutdown()
            refresher.close()


ARTIFACTS = Path(__file__).parent.parent / "var" / "test-artifacts" / "admin"


def shot(tab: Tab, name: str) -> None:
    print(f"screenshot: {tab.screenshot(ARTIFACTS / name)}")


def drive(tab: Tab, base: str, secret: str, store: Store, upstream: TestServer) -> None:
    assert tab.url() == f"{base}/admin/login"  # not signed in: to the login page
    shot(tab, "login.png")
    tab.fill("#token", secret)
    tab.press("form.login button")
    assert tab.url() == f"{base}/admin/sources"
    assert "signed in as editor" in tab.text()
    tab.press("#source-wire button[value='refresh']")
    assert "Refresh of wire asked for" in tab.text()
    wait_for(lambda: upstream.hits["/f"] == 1, what="the refresh the browser asked for")
    # A run is listed while it is still running: wait for it to have ended.
    wait_for(
        lambda: store.count("wire") == 2 and bool(store.runs.recent_runs("wire", finished=True)),
        what="its run to end",
    )
    tab.navigate(f"{base}/admin/sources")
    assert tab.evaluate("document.querySelectorAll('svg.spark rect.run-ok').length") == 1
    shot(tab, "sources.png")
    tab.navigate(f"{base}/admin/sources/wire")
    assert tab.evaluate("document.querySelectorAll('table.runs tr.run-ok').length") == 1
    shot(tab, "source-run-log.png")
    tab.navigate(f"{base}/admin/articles?q=second")
    assert "Second story" in tab.text() and "First story" not in tab.text()
    shot(tab, "articles.png")
    target = next(a for a in store.latest() if a.title == "Second story")
    tab.press(f"#article-{target.id} form button")
    assert "Unpublished: Second story" in tab.text()
    assert store.states.listed(target.id).status == "unpublished"
    tab.navigate(f"{base}/articles/{target.slug}")
    assert "410 Gone" in tab.text()
    tab.navigate(f"{base}/admin/articles?status=unpublished")
    assert "Second story" in tab.text()
    shot(tab, "articles-unpublished.png")
