"""Every kind of page in headless Chromium, at a phone's width and a desktop's.

Each page is loaded over loopback HTTP (every host name resolves to the test server, so
nothing can leave the machine), screenshotted into ``var/test-artifacts/screenshots/``, and
checked: no horizontal overflow, every image has alt text, every request went to the site,
and axe-core (from npm, injected through DevTools) finds no serious or critical violation, in
the light and the dark colour scheme. A feed opened in the browser is shown through its XSLT
stylesheet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from helpers.articles import article
from helpers.browser import Browser, Tab
from helpers.live import LiveServer
from helpers.site import site_articles

from syndicate.config import CategorySettings, FeedSettings, Settings, SiteSettings
from syndicate.refresh.ingest import ingest_file
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.web import create_app

ROOT = Path(__file__).parent.parent
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
SAMPLES = sorted((ROOT / "content" / "samples").iterdir())
ATTACK = Path(__file__).parent / "data" / "web" / "attack.md"
WIDTHS = (390, 1280)
PAGES = {
    "home": "/",
    "home-older": None,  # the second page of the front page, found from the first
    "category": "/categories/news",
    "tag": "/tags/tag-0",
    "author": "/authors/ada-byron",
    "article": "/articles/article-4",  # with a lead image
    "sample": "/articles/planned-trump-putin-meeting-on-hold-no-immediate-plans",
    "hostile": None,  # the article made from hostile input
    "not-found": "/articles/nowhere",
    "rss": "/feeds/all.rss",
    "atom": "/feeds/sports.atom",
}
FEEDS = {"rss", "atom"}
# Chromium adds this element to a page made by XSLT, warning that XSLT will go: not ours.
CHROMIUM_BANNER = "xslt-warning-banner"


@dataclass
class Live:
    server: LiveServer
    store: Store
    browser: Browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("pages-browser")
    store = Store(f"sqlite:///{folder / 'site.db'}")
    store.create_schema()
    store.upsert_many(site_articles())
    store.upsert_many(article(n) for n in range(100, 125))  # the front page has a second page
    for path in [*SAMPLES, ATTACK]:
        assert not ingest_file(path, store, now=utc_now()).failed
    with LiveServer() as server:
        settings = replace(
            Settings(),
            site=SiteSettings(
                title="Test Gazette",
                description="Everything that happened, as it happened",
                base_url=server.base_url,
                copyright="© 2026 Test Gazette",
            ),
            feeds=FeedSettings(items=3, max_items=50),
            categories=(CategorySettings("News", description="What happened today"),),
        )
        server.mount(create_app(settings, store=store, watch_interval=None))
        with Browser(folder / "profile", resolve_to=server.port) as browser:
            yield Live(server, store, browser)
    store.close()


def path_of(live: Live, kind: str) -> str:
    if kind == "home-older":
        tab = live.browser.open(f"{live.server.base_url}/", 1280)
        try:
            return str(tab.evaluate("document.querySelector('link[rel=next]').href"))
        finally:
            tab.close()
    if kind == "hostile":
        attack = next(a for a in live.store.latest(limit=100) if a.title.startswith("Attack"))
        return f"/articles/{attack.slug}"
    found = PAGES[kind]
    assert found is not None
    return found


def check_page(tab: Tab, base_url: str) -> None:
    """Nothing overflows sideways, every image has alt text, no request left the site.

    The images of an article (its body's, and its lead image on its page and on the cards of
    listings) are its publisher's and may live anywhere (the hostile article's do); nothing of
    the site's making comes from elsewhere.
    """
    width = tab.evaluate("document.documentElement.scrollWidth")
    inner = tab.evaluate("window.innerWidth")
    assert width <= inner, f"the page is {width}px wide in a {inner}px viewport"
    missing = tab.evaluate(
        "[...document.images].filter(i => !i.hasAttribute('alt')).map(i => i.src)"
    )
    assert missing == [], f"images without alt text: {missing}"
    shown = "[...document.querySelectorAll('.body img, figure.lead img, .card img')]"
    content = set(tab.evaluate(f"{shown}.map(i => i.src)"))
    away = [
        url
        for url in tab.requests()
        if not url.startswith((f"{base_url}/", "data:")) and url not in content
    ]
    assert away == [], f"requests that left the site: {away}"


def axe_violations(tab: Tab) -> list[str]:
    """axe-core's serious and critical violations of the page, one line each."""
    tab.evaluate(AXE.read_text(encoding="utf-8"))
    found = tab.evaluate(
        f"axe.run({{exclude: [['{CHROMIUM_BANNER}']]}}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ' (' + v.impact + '): '"
        " + v.nodes.map(n => n.target.join(' ')).join(', ')))",
        wait=True,
    )
    return list(found)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_in_chromium(live: Live, kind: str, width: int) -> None:
    assert AXE.is_file(), "axe-core is not installed: `make browser-deps` installs it"
    base = live.server.base_url
    path = path_of(live, kind)
    url = path if path.startswith("http") else f"{base}{path}"
    tab = live.browser.open(url, width)
    try:
        shot = tab.screenshot(SCREENSHOTS / f"{kind}-{width}.png")
        assert shot.stat().st_size > 1000
        if kind in FEEDS:  # shown through feed.xsl, not as raw XML
            assert tab.evaluate("document.contentType") == "text/html"
            assert "This is a web feed" in tab.evaluate("document.body.innerText")
            assert tab.evaluate("document.querySelectorAll('li.card').length") > 0
            loaded = tab.requests()
            assert f"{base}/static/feed.xsl" in loaded and f"{base}/static/style.css" in loaded
        else:
            assert tab.evaluate("document.querySelector('h1') !== null")
            assert tab.evaluate("document.styleSheets.length") == 1  # ours, loaded under CSP
        assert (
            tab.evaluate(
                "document.querySelectorAll('script:not([type=\"application/ld+json\"])').length"
            )
            == 0
        )
        check_page(tab, base)
        assert axe_violations(tab) == []
        if width == WIDTHS[-1]:
            tab.send(
                "Emulation.setEmulatedMedia",
                features=[{"name": "prefers-color-scheme", "value": "dark"}],
            )
            dark = tab.evaluate("getComputedStyle(document.body).backgroundColor")
            assert dark == "rgb(22, 22, 24)", dark  # the dark scheme applies
            tab.screenshot(SCREENSHOTS / f"{kind}-{width}-dark.png")
            assert axe_violations(tab) == []
    finally:
        tab.close()


def test_print_style_leaves_out_navigation(live: Live) -> None:
    tab = live.browser.open(f"{live.server.base_url}/articles/article-4", 1280)
    try:
        tab.send("Emulation.setEmulatedMedia", media="print")
        hidden = "getComputedStyle(document.querySelector('{}')).display"
        assert tab.evaluate(hidden.format("header.site")) == "none"
        assert tab.evaluate(hidden.format("section.subscribe")) == "none"
        assert tab.evaluate(hidden.format("article")) == "block"
    finally:
        tab.close()
