"""The articles API over real HTTP on a real store (each database in its pass of the suite):
tokens and scopes, idempotent create, sanitized bodies, listing, PATCH, DELETE, problems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import feedparser
import pytest
from click.testing import CliRunner
from helpers.client import Answer, call
from helpers.hostile import assert_inert_html
from helpers.hub import Hub
from helpers.live import Site, serve
from helpers.processes import wait_for

from syndicate.cli import cli
from syndicate.config import Settings, WebSubSettings
from syndicate.publish.websub import Publisher
from syndicate.store import ADMIN, PUBLISH, Store
from syndicate.text.dates import utc_now
from syndicate.web import create_app
from syndicate.web.auth import MAX_FAILURES

STORY = {
    "id": "cms-1001",
    "title": "Harbour reopens <em>after</em> storm",
    "content_html": "<p>The harbour <b>reopened</b>.</p><script>alert(1)</script>"
    '<p onclick="x()">Ships <a href="javascript:alert(1)">returned</a>.</p>',
    "summary": "Ships are back.",
    "categories": ["Local News"],
    "tags": ["harbour", "weather"],
    "authors": ["Ada Byron", {"name": "Bo Diddley"}],
    "published": "2024-05-06T10:00:00Z",
    "url": "https://cms.example.com/harbour-reopens",
    "image": "https://cms.example.com/harbour.jpg",
    "attachments": [{"url": "https://cms.example.com/a.mp3", "mime_type": "audio/mpeg"}],
}


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub()
    yield running
    running.close()


@pytest.fixture
def site(settings: Settings, store: Store, hub: Hub) -> Iterator[tuple[Site, str, Publisher]]:
    _token, secret = store.tokens.create("cms", PUBLISH, now=utc_now())
    publisher = Publisher([hub.url])
    configured = replace(settings, websub=WebSubSettings(hubs=(hub.url,)))
    with serve(configured, store, publisher=publisher) as live:
        yield live, secret, publisher
    publisher.close()


def api(site: Site, method: str, path: str, token: str | None, **kwargs: object) -> Answer:
    return call(site.server.port, method, path, token=token, **kwargs)  # type: ignore[arg-type]


def test_create_is_201_with_location_and_the_stored_article(site) -> None:
    live, token, _ = site
    answer = api(live, "POST", "/api/articles", token, payload=STORY)
    assert answer.status == 201, answer.body
    data = answer.json()
    assert answer.headers["location"] == data["page"]
    assert data["page"] == f"{live.settings.site.base_url}/articles/{data['slug']}"
    assert data["status"] == "published" and data["source"] == "api"
    assert data["title"] == "Harbour reopens <em>after</em> storm"  # a title is text
    assert "<b>reopened</b>" in data["content_html"]
    assert_inert_html(data["content_html"])
    assert data["authors"] == ["Ada Byron", "Bo Diddley"]
    assert data["categories"] == ["Local News"] and data["published"] == "2024-05-06T10:00:00+00:00"
    assert [a["url"] for a in data["attachments"]] == [
        STORY["image"],
        STORY["attachments"][0]["url"],
    ]
    page = live.get(f"/articles/{data['slug']}")
    assert page.status == 200 and b"reopened" in page.body and b"alert(1)" not in page.body
    feed = feedparser.parse(live.get("/feeds/local-news.atom").body)
    assert [e.title for e in feed.entries] == [STORY["title"]]


def test_same_id_or_url_again_updates_in_place_never_duplicates(site) -> None:
    live, token, _ = site
    first = api(live, "POST", "/api/articles", token, payload=STORY).json()
    again = api(live, "POST", "/api/articles", token, payload=STORY)
    assert again.status == 200 and again.json()["id"] == first["id"]
    assert again.json()["updated"] == first["updated"]  # the same article: nothing written
    edited = STORY | {"title": "Harbour reopens", "summary": "Edited."}
    changed = api(live, "POST", "/api/articles", token, payload=edited).json()
    assert changed["id"] == first["id"] and changed["title"] == "Harbour reopens"
    by_url = {k: v for k, v in edited.items() if k != "id"} | {"summary": "By URL."}
    found = api(live, "POST", "/api/articles", token, payload=by_url)
    assert found.status == 200 and found.json()["id"] == first["id"]
    assert live.store.count() == 1
    assert len(feedparser.parse(live.get("/feeds/all.atom").body).entries) == 1
    # The client's id addresses the article as well as ours.
    assert api(live, "GET", "/api/articles/cms-1001", token).json()["summary"] == "By URL."


def test_bodies_in_text_and_markdown(site) -> None:
    live, token, _ = site
    text = {"title": "Plain", "content_text": "One <b>.\n\nTwo."}
    made = api(live, "POST", "/api/articles", token, payload=text).json()
    assert made["content_html"] == "<p>One &lt;b&gt;.</p>\n<p>Two.</p>"
    markdown = {"title": "Marked", "markdown": "## Part\n\nSome *words*.\n\n<script>x</script>"}
    made = api(live, "POST", "/api/articles", token, payload=markdown).json()
    assert "<h2>Part</h2>" in made["content_html"] and "<em>words</em>" in made["content_html"]
    assert "<script" not in made["content_html"]


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"content_html": "<p> </p>", "summary": "s"}, "title", 422),
        ({"title": "No body"}, "content_html", 422),
        ({"title": "T", "content_text": "x", "tags": ["a", 3]}, "tags[1]", 422),
        ({"title": "T", "content_text": "x", "published": "last tuesday"}, "published", 422),
        ({"title": "T", "content_text": "x", "url": "/relative"}, "url", 422),
        (
            {"title": "T", "content_text": "x", "attachments": [{"title": "x"}]},
            "attachments[0].url",
            422,
        ),
        ({"title": "T", "content_text": "x", "markdown": "y"}, "markdown", 422),
        ({"title": "T", "content_text": "x", "titel": "typo"}, "titel", 422),
        (["not", "an", "object"], "(body)", 422),
    ],
)
def test_errors_are_problem_details_naming_the_field(site, payload, field, status) -> None:
    live, token, _ = site
    answer = api(live, "POST", "/api/articles", token, payload=payload)
    assert answer.status == status
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status and problem["field"] == field
    assert field.split("[")[0] in problem["detail"]
    assert live.store.count() == 0


def test_malformed_json_and_wrong_type_and_oversized_bodies(site) -> None:
    live, token, _ = site
    broken = api(
        live, "POST", "/api/articles", token, raw=b"{nope", content_type="application/json"
    )
    assert broken.status == 400 and "not valid JSON" in broken.json()["detail"]
    form = api(live, "POST", "/api/articles", token, form={"title": "x"})
    assert form.status == 415
    huge = json.dumps({"title": "Big", "content_text": "x" * (16 * 1024 * 1024)}).encode()
    answer = api(live, "POST", "/api/articles", token, raw=huge, content_type="application/json")
    assert answer.status == 413 and answer.headers["content-type"] == "application/problem+json"


def test_list_filters_search_and_cursor_paging(site) -> None:
    live, token, _ = site
    for n in range(7):
        api(
            live,
            "POST",
            "/api/articles",
            token,
            payload={
                "id": f"s{n}",
                "title": f"Story {n} {'harbour' if n % 2 else 'market'}",
                "content_text": "Text.",
                "categories": ["Odd" if n % 2 else "Even"],
                "published": f"2024-05-0{n + 1}T10:00:00Z",
            },
        )
    seen, path = [], "/api/articles?limit=3"
    while path:
        page = api(live, "GET", path, token).json()
        seen += [a["title"] for a in page["articles"]]
        path = (page["next"] or "").removeprefix(live.settings.site.base_url)
    assert seen == [f"Story {n} {'harbour' if n % 2 else 'market'}" for n in range(6, -1, -1)]
    odd = api(live, "GET", "/api/articles?category=odd", token).json()["articles"]
    assert [a["title"] for a in odd] == ["Story 5 harbour", "Story 3 harbour", "Story 1 harbour"]
    found = api(live, "GET", "/api/articles?q=HARBOUR&category=odd&limit=1", token).json()
    assert [a["title"] for a in found["articles"]] == ["Story 5 harbour"] and found["next"]
    bad = api(live, "GET", "/api/articles?cursor=zzz", token)
    assert bad.status == 422 and bad.json()["field"] == "cursor"


def test_patch_changes_fields_and_status(site) -> None:
    live, token, _ = site
    made = api(live, "POST", "/api/articles", token, payload=STORY).json()
    patched = api(live, "PATCH", f"/api/articles/{made['id']}", token, payload={"tags": ["new"]})
    assert patched.status == 200
    data = patched.json()
    assert data["tags"] == ["new"] and data["title"] == made["title"]
    assert data["content_html"] == made["content_html"] and data["published"] == made["published"]
    body = api(
        live, "PATCH", f"/api/articles/{made['id']}", token, payload={"markdown": "New *body*."}
    )
    assert body.json()["content_html"] == "<p>New <em>body</em>.</p>"
    assert body.json()["summary"] == "New body."  # a new body brings its own summary
    hidden = api(
        live, "PATCH", f"/api/articles/{made['id']}", token, payload={"status": "unpublished"}
    )
    assert hidden.json()["status"] == "unpublished"
    assert live.get(f"/articles/{made['slug']}").status == 410
    shown = api(live, "POST", f"/api/articles/{made['id']}/publish", token)
    assert shown.json()["outcome"] == "published"
    assert live.get(f"/articles/{made['slug']}").status == 200
    missing = api(live, "PATCH", "/api/articles/nope", token, payload={"tags": []})
    assert missing.status == 404 and missing.headers["content-type"] == "application/problem+json"


def test_delete_is_gone_for_good_with_a_tombstone_and_a_ping(site, hub: Hub) -> None:
    live, token, publisher = site
    made = api(live, "POST", "/api/articles", token, payload=STORY).json()
    live.get("/feeds/all.atom")  # cached: the delete must drop it
    publisher.drain(5)
    hub.pings.clear()
    deleted = api(live, "DELETE", f"/api/articles/{made['id']}", token)
    assert deleted.status == 200 and deleted.json()["status"] == "deleted"
    assert live.get(f"/articles/{made['slug']}").status == 410
    assert api(live, "GET", f"/api/articles/{made['id']}", token).status == 410
    atom = live.get("/feeds/all.atom").body
    assert f'ref="urn:uuid:{made["id"]}"'.encode() in atom and b"Harbour" not in atom
    base = live.settings.site.base_url
    wait_for(lambda: f"{base}/feeds/all.atom" in hub.pings, what="a ping after the delete")
    # The publisher may send it again: a new article, not a resurrection by a refresh.
    again = api(live, "POST", "/api/articles", token, payload=STORY)
    assert again.status == 201 and live.get(f"/articles/{again.json()['slug']}").status == 200


def test_a_write_pings_websub_like_any_other(site, hub: Hub) -> None:
    live, token, _ = site
    api(live, "POST", "/api/articles", token, payload=STORY)
    base = live.settings.site.base_url
    wanted = {
        f"{base}/feeds/all.rss",
        f"{base}/feeds/local-news.atom",
        f"{base}/feeds/tags/harbour.json",
    }
    wait_for(lambda: wanted <= set(hub.pings), what="pings after a create")


def test_tokens_scopes_revocation_and_failed_attempt_limit(
    site, store: Store, settings: Settings
) -> None:
    live, token, _ = site
    assert api(live, "GET", "/api/articles", None).status == 401
    assert (
        api(live, "GET", "/api/articles", "synd_wrong")
        .headers["www-authenticate"]
        .startswith("Bearer")
    )
    assert api(live, "GET", "/api/sources", token).status == 403  # publish scope only
    _admin, admin_secret = store.tokens.create("ops", ADMIN, now=utc_now())
    assert api(live, "GET", "/api/sources", admin_secret).status == 200
    assert api(live, "GET", "/api/articles", admin_secret).status == 200  # admin may publish
    store.tokens.revoke("cms", now=utc_now())
    refused = api(live, "POST", "/api/articles", token, payload=STORY)
    assert refused.status == 401 and store.count() == 0
    for _ in range(MAX_FAILURES):
        api(live, "GET", "/api/articles", "synd_guess")
    limited = api(live, "GET", "/api/articles", admin_secret)
    assert limited.status == 429 and int(limited.headers["retry-after"]) > 0
    listed = [t.name for t in store.tokens.list() if t.revoked is None]
    assert listed == ["ops"]


def test_the_environment_admin_token_still_works(settings: Settings, store: Store) -> None:
    with serve(replace(settings, admin_token="legacy-secret"), store) as live:
        answer = api(live, "POST", "/api/articles", "legacy-secret", payload=STORY)
        assert answer.status == 201


def test_a_write_in_one_web_process_is_seen_by_another_within_a_second(
    settings: Settings, store: Store, site
) -> None:
    live, token, _ = site
    other_store = Store(settings.database_url)  # another process: its own pool, cache, watcher
    other = create_app(settings, store=other_store, watch_interval=0.2)
    client = other.test_client()
    before = client.get("/feeds/all.atom").data
    assert b"Harbour" not in before
    api(live, "POST", "/api/articles", token, payload=STORY)
    wait_for(lambda: b"Harbour" in client.get("/feeds/all.atom").data, 1.5, "the other process")
    made = api(live, "GET", "/api/articles/cms-1001", token).json()
    api(live, "DELETE", f"/api/articles/{made['id']}", token)
    wait_for(lambda: b"Harbour" not in client.get("/feeds/all.atom").data, 1.5, "the delete")
    other_store.close()


def test_cli_token_commands(settings: Settings, store: Store, tmp_path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(f'[database]\nurl = "{settings.database_url}"\n')
    env = {"SYNDICATE_CONFIG": str(config)}
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "desk", "--scope", "admin"], env=env)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[0]
    assert secret.startswith("synd_") and len(secret) > 40
    token = store.tokens.verify(secret, now=utc_now())
    assert token is not None and token.scope == "admin"
    assert secret not in str(store.engine.url)  # only the hash is stored:
    with store.engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT digest FROM tokens")).scalars().all()
    assert secret not in stored and len(stored[0]) == 64
    again = runner.invoke(cli, ["token", "create", "desk"], env=env)
    assert again.exit_code == 2 and "revoke it first" in again.output
    listed = runner.invoke(cli, ["token", "list"], env=env)
    assert "desk\tadmin" in listed.output and "active" in listed.output
    assert runner.invoke(cli, ["token", "revoke", "desk"], env=env).exit_code == 0
    assert store.tokens.verify(secret, now=utc_now()) is None
    assert "revoked" in runner.invoke(cli, ["token", "list"], env=env).output
    assert runner.invoke(cli, ["token", "revoke", "desk"], env=env).exit_code == 1


def test_scheduled_api_article_waits(site) -> None:
    live, token, _ = site
    later = (utc_now() + timedelta(days=2)).isoformat()
    made = api(live, "POST", "/api/articles", token, payload=STORY | {"published": later})
    assert made.status == 201 and made.json()["status"] == "scheduled"
    assert live.get(f"/articles/{made.json()['slug']}").status == 404
    assert b"Harbour" not in live.get("/feeds/all.atom").body
    waiting = api(live, "GET", "/api/articles?status=scheduled", token).json()["articles"]
    assert [a["id"] for a in waiting] == [made.json()["id"]]
