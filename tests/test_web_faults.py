"""What the web answers when something breaks under it: no route leaks a traceback, the
database going away gives 503 with ``Retry-After`` (cached feeds still served, validators and
all), tokens never reach the log, and the admin token is compared in constant time."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from helpers.articles import story
from helpers.validity import assert_valid_feed

from syndicate.config import Settings
from syndicate.errors import StoreError
from syndicate.store import PUBLISH, Store
from syndicate.text.dates import utc_now
from syndicate.web import auth, create_app

INTERNALS = "psycopg.OperationalError at 0xdeadbeef: password=hunter2"


def fail(*_args: object, **_kwargs: object) -> None:
    raise StoreError(f"list articles failed on postgresql://db: {INTERNALS}")


def crash(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(INTERNALS)


def quiet_app(settings: Settings, store: Store):
    app = create_app(settings, store=store, watch_interval=None)
    app.testing = False  # exceptions become the 500 page, as in production
    return app


@pytest.mark.parametrize("path", ["/", "/articles/story-1", "/sitemap.xml"])
def test_a_bug_is_a_500_page_that_says_so_without_internals(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    store.upsert(story(1))
    client = quiet_app(settings, store).test_client()
    for name in ("latest", "get_by_slug", "categories", "page", "sitemap_entries"):
        if hasattr(store, name):
            monkeypatch.setattr(store, name, crash)
    answer = client.get(path)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 500, text[:300]
    assert "could not be answered because of an error on the server" in text
    assert "It has been logged" in text
    for leaked in ("Traceback", "RuntimeError", "0xdeadbeef", "hunter2", 'File "'):
        assert leaked not in text


def test_without_the_database_pages_are_503_and_cached_feeds_still_served(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert(story(1))
    client = quiet_app(settings, store).test_client()
    cached = client.get("/feeds/all.atom")
    assert cached.status_code == 200
    etag = cached.headers["ETag"]
    for name in ("latest", "get_by_slug", "categories", "content_version", "feed_articles"):
        if hasattr(store, name):
            monkeypatch.setattr(store, name, fail)
    again = client.get("/feeds/all.atom")
    assert again.status_code == 200 and again.headers["ETag"] == etag
    assert_valid_feed(again.data, "atom")
    assert client.get("/feeds/all.atom", headers={"If-None-Match": etag}).status_code == 304
    for path in ("/feeds/all.rss", "/"):
        answer = client.get(path)
        text = answer.get_data(as_text=True)
        assert answer.status_code == 503, (path, text[:300])
        assert answer.headers["Retry-After"] == "5"
        assert "The database cannot be reached right now" in text
        assert "hunter2" not in text and "0xdeadbeef" not in text


def test_tokens_never_reach_the_log(
    settings: Settings, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _token, secret = store.tokens.create("cms", PUBLISH, now=utc_now())
    app = quiet_app(replace(settings, admin_token="env-admin-secret-42"), store)
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    guesses = ["synd_wrong_guess_9f", secret, "env-admin-secret-42"]
    for given in guesses:
        client.get("/api/articles", headers={"Authorization": f"Bearer {given}"})
    client.post("/api/articles", data="{", headers={"Authorization": f"Bearer {secret}"})
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for given in guesses:
        assert given not in logged


def test_the_environment_admin_token_is_compared_in_constant_time(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", recording)
    assert auth.authenticate("env-admin-secret-42", store, "env-admin-secret-42") is not None
    assert auth.authenticate("env-admin-secret-43", store, "env-admin-secret-42") is None
    assert (b"env-admin-secret-43", b"env-admin-secret-42") in compared
