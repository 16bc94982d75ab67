"""Micropub at /micropub over real HTTP, as posting clients speak it: form-encoded and JSON
create, update (replace, add, delete), delete and undelete, q=config and q=source,
discovery from the home page, bearer tokens in the header or the form."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from helpers.client import call
from helpers.live import Site, serve
from lxml import html

from syndicate.config import Settings
from syndicate.store import ADMIN, Store
from syndicate.text.dates import utc_now


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[tuple[Site, str]]:
    _token, secret = store.tokens.create("phone", "publish", now=utc_now())
    with serve(settings, store) as live:
        yield live, secret


def micropub(live: Site, method: str = "POST", path: str = "/micropub", **kwargs):
    return call(live.server.port, method, path, **kwargs)


def test_the_endpoint_is_discoverable_from_the_home_page(site) -> None:
    live, _ = site
    home = live.get("/")
    links = html.fromstring(home.body).xpath("//link[@rel='micropub']/@href")
    assert links == [f"{live.settings.site.base_url}/micropub"]
    assert home.headers["link"] == f'<{live.settings.site.base_url}/micropub>; rel="micropub"'


def test_form_encoded_create_with_the_token_in_the_body(site) -> None:
    live, token = site
    form = [
        ("h", "entry"),
        ("name", "Harbour reopens"),
        ("content", "Ships are back <script>x</script> after the storm."),
        ("category[]", "Local"),
        ("category[]", "Weather"),
        ("published", "2024-05-06T10:00:00Z"),
        ("photo", "https://photos.example.com/harbour.jpg"),
        ("access_token", token),
    ]
    answer = micropub(live, form=form)
    assert answer.status == 201
    location = answer.headers["location"]
    page = live.get(location.removeprefix(live.settings.site.base_url))
    assert page.status == 200 and b"Ships are back" in page.body and b"<script>x" not in page.body
    entries = feedparser.parse(live.get("/feeds/weather.atom").body).entries
    assert [e.title for e in entries] == ["Harbour reopens"]
    assert entries[0].published == "2024-05-06T10:00:00+00:00"


def test_json_create_a_note_with_html_content(site) -> None:
    live, token = site
    note = {
        "type": ["h-entry"],
        "properties": {
            "content": [{"html": "<p>Just landed. <b>Tired.</b></p><img src=x onerror=alert(1)>"}],
            "photo": [{"value": "https://photos.example.com/a.jpg", "alt": "A runway"}],
        },
    }
    answer = micropub(live, payload=note, token=token)
    assert answer.status == 201
    source = micropub(
        live, "GET", f"/micropub?q=source&url={answer.headers['location']}", token=token
    ).json()
    assert source["type"] == ["h-entry"]
    props = source["properties"]
    assert props["name"] == ["Just landed. Tired."]  # a note is titled from its content
    assert (
        "<b>Tired.</b>" in props["content"][0]["html"]
        and "onerror" not in props["content"][0]["html"]
    )
    assert props["photo"] == ["https://photos.example.com/a.jpg"]
    only = micropub(
        live,
        "GET",
        f"/micropub?q=source&properties[]=name&url={answer.headers['location']}",
        token=token,
    ).json()
    assert only == {"properties": {"name": ["Just landed. Tired."]}}


def test_update_replace_add_delete(site) -> None:
    live, token = site
    created = micropub(
        live,
        payload={
            "type": ["h-entry"],
            "properties": {
                "name": ["Draft title"],
                "content": ["First text."],
                "category": ["a", "b"],
            },
        },
        token=token,
    )
    url = created.headers["location"]
    update = {
        "action": "update",
        "url": url,
        "replace": {"name": ["Final title"], "content": ["Second text."]},
        "add": {"category": ["c"]},
        "delete": {"category": ["a"]},
    }
    assert micropub(live, payload=update, token=token).status == 204
    props = micropub(live, "GET", f"/micropub?q=source&url={url}", token=token).json()["properties"]
    assert props["name"] == ["Final title"] and props["category"] == ["b", "c"]
    assert "Second text." in props["content"][0]["html"]
    removal = {"action": "update", "url": url, "delete": ["category"]}
    assert micropub(live, payload=removal, token=token).status == 204
    props = micropub(live, "GET", f"/micropub?q=source&url={url}", token=token).json()["properties"]
    assert "category" not in props
    assert live.store.count() == 1  # updates land in place


def test_delete_hides_and_undelete_restores(site) -> None:
    live, token = site
    url = micropub(
        live, form={"h": "entry", "name": "Short-lived", "content": "Text."}, token=token
    )
    location = url.headers["location"]
    path = location.removeprefix(live.settings.site.base_url)
    gone = micropub(live, form={"action": "delete", "url": location}, token=token)
    assert gone.status == 204 and live.get(path).status == 410
    assert b"Short-lived" not in live.get("/feeds/all.rss").body
    back = micropub(live, payload={"action": "undelete", "url": location}, token=token)
    assert back.status == 204 and live.get(path).status == 200
    assert b"Short-lived" in live.get("/feeds/all.rss").body


def test_config_and_errors(site, store: Store) -> None:
    live, token = site
    micropub(
        live, form={"h": "entry", "name": "One", "content": "x", "category": "Local"}, token=token
    )
    config = micropub(live, "GET", "/micropub?q=config", token=token).json()
    assert (
        config["syndicate-to"] == []
        and "source" in config["q"]
        and config["categories"] == ["Local"]
    )
    assert micropub(live, "GET", "/micropub?q=syndicate-to", token=token).json() == {
        "syndicate-to": []
    }
    unauthorized = micropub(live, "GET", "/micropub?q=config")
    assert unauthorized.status == 401 and unauthorized.json()["error"] == "unauthorized"
    bad = micropub(live, payload={"type": ["h-event"], "properties": {}}, token=token)
    assert bad.status == 400 and bad.json()["error"] == "invalid_request"
    nowhere = micropub(live, form={"action": "delete", "url": "https://elsewhere/x"}, token=token)
    assert nowhere.status == 400 and "no post" in nowhere.json()["error_description"]
    store.tokens.revoke("phone", now=utc_now())
    revoked = micropub(live, form={"h": "entry", "name": "Late", "content": "x"}, token=token)
    assert revoked.status == 401 and store.count() == 1
    _admin, admin = store.tokens.create("ops", ADMIN, now=utc_now())
    assert micropub(live, "GET", "/micropub?q=config", token=admin).status == 200
