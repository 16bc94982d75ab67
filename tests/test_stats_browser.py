"""The admin's readers page in headless Chromium: signed in as an editor, the chart of each
feed's days drawn inline, nothing overflowing at 390 and 1280 px, no serious accessibility
violation in either colour scheme. Screenshots under ``var/test-artifacts/admin/``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from helpers.articles import article
from helpers.browser import Browser, serious_violations
from helpers.live import serve

from syndicate.config import AdminSettings, Settings, StatsSettings
from syndicate.store import ADMIN, Store
from syndicate.text.dates import utc_now
from syndicate.web import COUNTER_KEY

ARTIFACTS = Path(__file__).parent.parent / "var" / "test-artifacts" / "admin"
FEEDLY = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=feed/a)"


def test_readers_page_in_chromium(settings: Settings, store: Store, tmp_path: Path) -> None:
    _token, secret = store.tokens.create("editor", ADMIN, now=utc_now())
    store.upsert_many(article(n) for n in range(1, 7))
    configured = replace(
        settings,
        admin=AdminSettings(secret_key_file=str(tmp_path / "key")),
        stats=StatsSettings(flush_seconds=3600),
        stats_salt="a salt of at least sixteen characters",
    )
    with serve(configured, store) as live:
        for agent in (FEEDLY, "NetNewsWire (RSS Reader)", "Miniflux/2.1"):
            live.get("/feeds/all.rss", {"User-Agent": agent})
        live.get("/feeds/news.atom", {"User-Agent": "Miniflux/2.1"})
        live.app.extensions[COUNTER_KEY].flush()
        base = live.settings.site.base_url
        with Browser(tmp_path / "profile") as browser:
            tab = browser.open(f"{base}/admin/stats", width=1280)
            assert tab.url() == f"{base}/admin/login"
            tab.fill("#token", secret)
            tab.press("form.login button")
            tab.navigate(f"{base}/admin/stats")
            assert "all: 44 subscribers" in tab.text() and "Feedly: 42 subscribers" in tab.text()
            for width in (390, 1280):
                tab.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=900,
                    deviceScaleFactor=1,
                    mobile=width < 600,
                )
                tab.navigate(f"{base}/admin/stats")
                bars = "document.querySelectorAll('svg.chart rect.day').length"
                assert tab.evaluate(bars) == 60  # two feeds, thirty days each
                drawn = "document.querySelector('svg.chart').getBoundingClientRect().width"
                assert 0 < tab.evaluate(drawn) <= width
                width_now = tab.evaluate("document.documentElement.scrollWidth")
                assert width_now <= tab.evaluate("window.innerWidth")
                assert serious_violations(tab) == []
                tab.screenshot(ARTIFACTS / f"readers-{width}.png")
            tab.send(
                "Emulation.setEmulatedMedia",
                features=[{"name": "prefers-color-scheme", "value": "dark"}],
            )
            assert serious_violations(tab) == []
            tab.screenshot(ARTIFACTS / "readers-1280-dark.png")
