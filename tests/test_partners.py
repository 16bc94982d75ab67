"""Partner feeds over real HTTP: each key's view as its terms grant (categories, full text),
private and with its own validators, refused at once when wrong or revoked, never changing
what the public gets, and listed nowhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from helpers.articles import article
from helpers.live import Site, serve

from syndicate.cli import cli
from syndicate.config import CategorySettings, Settings
from syndicate.store import Store
from syndicate.text.dates import utc_now

# article(n) is in News, Sports or Arts in turn; News is summary-only for the public.
CATEGORIES = (CategorySettings(name="News", summary_only=True),)


@contextmanager
def site(settings: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(article(n) for n in range(1, 10))
    with serve(replace(settings, categories=CATEGORIES), store) as live:
        yield live


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def categories_of(body: bytes) -> set[str]:
    return {tag.term for entry in feedparser.parse(body).entries for tag in entry.tags}


def news_bodies(body: bytes) -> list[str]:
    """The full content of each News entry of an RSS document."""
    entries = feedparser.parse(body).entries
    return [e.content[0]["value"] for e in entries if e.tags[0].term == "News"]


def test_each_key_gets_its_view_and_the_public_its_own(settings: Settings, store: Store) -> None:
    _, news_key = store.partners.create("wire", ["News"], full_text=True, now=utc_now())
    _, everything = store.partners.create("mirror", [], full_text=False, now=utc_now())
    with site(settings, store) as live:
        public = live.get("/feeds/all.rss")
        granted = live.get("/feeds/all.rss", bearer(news_key))
        mirror = live.get("/feeds/all.rss", bearer(everything))
    assert categories_of(public.body) == {"News", "Sports", "Arts"}
    assert categories_of(granted.body) == {"News"}
    assert categories_of(mirror.body) == {"News", "Sports", "Arts"}
    # News is summary-only for the public (and for a partner without full text), not for wire
    assert news_bodies(public.body) and not any("Body of" in b for b in news_bodies(public.body))
    assert not any("Body of" in b for b in news_bodies(mirror.body))
    assert all("Body of article" in b for b in news_bodies(granted.body))
    assert len(news_bodies(granted.body)) == len(news_bodies(public.body))
    # the same bytes as the public's, still a view of its own: its own tag, private
    assert mirror.body == public.body and mirror.headers["etag"] != public.headers["etag"]
    assert len({public.headers["etag"], granted.headers["etag"], mirror.headers["etag"]}) == 3


def test_the_key_works_as_a_query_parameter_for_readers_without_headers(
    settings: Settings, store: Store
) -> None:
    _, key = store.partners.create("wire", ["News"], full_text=True, now=utc_now())
    with site(settings, store) as live:
        by_header = live.get("/feeds/all.atom?limit=2", bearer(key))
        by_query = live.get(f"/feeds/all.atom?limit=2&key={key}")
    assert by_query.status == by_header.status == 200
    assert by_query.body == by_header.body and by_query.headers["etag"] == by_header.headers["etag"]
    assert len(feedparser.parse(by_query.body).entries) == 2
    assert key.encode() not in by_query.body  # the document never names the key


def test_a_category_not_granted_is_forbidden_and_others_are_cut_to_the_grant(
    settings: Settings, store: Store
) -> None:
    _, key = store.partners.create("wire", ["News", "Arts"], full_text=False, now=utc_now())
    with site(settings, store) as live:
        assert live.get("/feeds/sports.rss", bearer(key)).status == 403
        assert live.get("/feeds/news.json", bearer(key)).status == 200
        tag = live.get("/feeds/tags/tag-0.rss", bearer(key))  # tags cut across categories
        public_tag = live.get("/feeds/tags/tag-0.rss")
    assert categories_of(tag.body) == {"News", "Arts"}
    assert categories_of(public_tag.body) == {"News", "Sports", "Arts"}


@pytest.mark.parametrize("how", ["header", "query"])
def test_a_wrong_key_is_refused_at_once(settings: Settings, store: Store, how: str) -> None:
    with site(settings, store) as live:
        live.get("/feeds/all.rss")  # the public document is cached: no help to a wrong key
        wrong = "synd_not-a-key"
        reply = (
            live.get("/feeds/all.rss", bearer(wrong))
            if how == "header"
            else live.get(f"/feeds/all.rss?key={wrong}")
        )
    assert reply.status == 401 and b"<rss" not in reply.body
    assert 'error="invalid_token"' in reply.headers["www-authenticate"]
    assert reply.headers["cache-control"] == "no-store"


def test_a_revoked_key_fails_on_the_next_request(settings: Settings, store: Store) -> None:
    _, key = store.partners.create("wire", ["News"], full_text=True, now=utc_now())
    with site(settings, store) as live:
        first = live.get("/feeds/news.rss", bearer(key))
        assert first.status == 200 and first.headers["cache-control"].startswith("private")
        with Store(settings.database_url) as elsewhere:  # `syndicate partner revoke`, say
            assert elsewhere.partners.revoke("wire", now=utc_now())
        again = live.get("/feeds/news.rss", bearer(key))
        conditional = live.get(
            "/feeds/news.rss", bearer(key) | {"If-None-Match": first.headers["etag"]}
        )
    assert again.status == 401 and conditional.status == 401


def test_too_many_wrong_keys_are_answered_429(settings: Settings, store: Store) -> None:
    with site(settings, store) as live:
        answers = [live.get("/feeds/all.rss", bearer(f"synd_guess{n}")).status for n in range(12)]
        _, key = store.partners.create("wire", [], full_text=False, now=utc_now())
        locked = live.get("/feeds/all.rss", bearer(key))
    assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]
    assert locked.status == 429 and int(locked.headers["retry-after"]) > 0


def test_partner_views_are_private_with_their_own_validators(
    settings: Settings, store: Store
) -> None:
    _, key = store.partners.create("wire", ["News"], full_text=True, now=utc_now())
    with site(settings, store) as live:
        public = live.get("/feeds/news.rss")
        mine = live.get("/feeds/news.rss", bearer(key) | {"Accept-Encoding": "gzip"})
        revalidated = live.get(
            "/feeds/news.rss",
            bearer(key) | {"Accept-Encoding": "gzip", "If-None-Match": mine.headers["etag"]},
        )
        public_tag = live.get(
            "/feeds/news.rss", bearer(key) | {"If-None-Match": public.headers["etag"]}
        )
    assert public.headers["cache-control"].startswith("public, max-age=")
    assert "Authorization" not in public.headers["vary"]
    assert mine.headers["cache-control"].startswith("private, max-age=")  # no shared cache
    assert "Authorization" in mine.headers["vary"]
    assert mine.headers["content-encoding"] == "gzip"
    assert revalidated.status == 304 and revalidated.body == b""
    assert revalidated.headers["cache-control"] == mine.headers["cache-control"]
    assert public_tag.status == 200  # the public's validator is no validator of the view
    assert 'rel="hub"' not in mine.headers.get("link", "")


def test_partner_traffic_leaves_the_public_bytes_alone(settings: Settings, store: Store) -> None:
    _, key = store.partners.create("wire", ["News"], full_text=True, now=utc_now())
    with site(settings, store) as live:
        paths = ["/feeds/all.rss", "/feeds/news.atom", "/feeds/all.json?limit=3"]
        before = {p: live.get(p) for p in paths}
        for path in paths * 3:
            assert live.get(path, bearer(key)).status == 200
            assert live.get(f"{path}{'&' if '?' in path else '?'}key={key}").status == 200
        after = {p: live.get(p) for p in paths}
    for path in paths:
        assert after[path].body == before[path].body
        assert after[path].headers["etag"] == before[path].headers["etag"]
        assert after[path].headers["cache-control"].startswith("public")


def test_partner_views_are_listed_nowhere(settings: Settings, store: Store) -> None:
    _, key = store.partners.create("wire", ["News"], full_text=True, now=utc_now())
    with site(settings, store) as live:
        for path in ("/feeds.opml", "/sitemap.xml", "/", "/categories/news"):
            public = live.get(path)
            with_key = live.get(path, bearer(key))
            assert with_key.status == public.status == 200
            assert with_key.body == public.body, path
            assert b"key=" not in with_key.body and key.encode() not in with_key.body


def test_a_partner_key_opens_nothing_but_feeds(settings: Settings, store: Store) -> None:
    _, key = store.partners.create("wire", [], full_text=True, now=utc_now())
    with site(settings, store) as live:
        api = live.get("/api/articles", bearer(key))
    assert api.status in (401, 403)
    assert [t.scope for t in store.tokens.list()] == ["partner"]


def test_partner_commands_create_list_and_revoke(tmp_path: Path, store: Store) -> None:
    env = {"SYNDICATE_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}
    env["SYNDICATE_CONFIG"] = str(tmp_path / "none.toml")
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    runner = CliRunner()
    made = runner.invoke(
        cli, ["partner", "create", "wire", "--categories", "News,Arts", "--full-text"], env=env
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith("synd_") and "shown this once" in made.stderr
    found = store.partners.verify(key, now=utc_now())
    assert found is not None and found.categories == ("News", "Arts") and found.full_text
    listed = runner.invoke(cli, ["partner", "list"], env=env)
    assert "wire\tNews, Arts; full text" in listed.output and key not in listed.output
    again = runner.invoke(cli, ["partner", "create", "wire"], env=env)
    assert again.exit_code == 2 and "revoke it first" in again.output
    assert runner.invoke(cli, ["partner", "revoke", "wire"], env=env).exit_code == 0
    assert store.partners.verify(key, now=utc_now()) is None
    assert runner.invoke(cli, ["partner", "revoke", "wire"], env=env).exit_code == 1
