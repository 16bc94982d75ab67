"""The admin for people: login with an admin token for a session cookie, CSRF on every form,
revoked tokens and sessions refused, the pages' actions written to the store."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from helpers.articles import article

from syndicate.config import AdminSettings, Settings, SourceSettings
from syndicate.store import ADMIN, PUBLISH, Store
from syndicate.text.dates import utc_now
from syndicate.web import create_app

WIRE = SourceSettings(name="wire", kind="feed", url="https://wire.example.com/feed.xml")


@pytest.fixture
def admin(settings: Settings, store: Store, tmp_path: Path) -> tuple[FlaskClient, str]:
    _token, secret = store.tokens.create("editor", ADMIN, now=utc_now())
    configured = replace(
        settings,
        sources=(WIRE,),
        admin=AdminSettings(secret_key_file=str(tmp_path / "var" / "secret_key")),
    )
    app = create_app(configured, store=store)
    return app.test_client(), secret


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1).decode()


def login(client: FlaskClient, secret: str) -> FlaskClient:
    token = csrf_of(client.get("/admin/login").data)
    answer = client.post("/admin/login", data={"token": secret, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/sources")
    return client


def test_login_gives_a_signed_httponly_samesite_cookie(admin, tmp_path: Path) -> None:
    client, secret = admin
    assert client.get("/admin/sources", headers={"Accept": "text/html"}).status_code == 303
    page = client.get("/admin/login")
    assert page.status_code == 200 and b'type="password"' in page.data
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    token = csrf_of(page.data)
    answer = client.post("/admin/login", data={"token": secret, "csrf_token": token})
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    sources = client.get("/admin/sources")
    assert sources.status_code == 200 and b"wire" in sources.data and b"Refresh now" in sources.data
    assert b"<svg" in sources.data and b"from the config file" in sources.data
    assert client.get("/").headers.get("Set-Cookie") is None  # readers never get a cookie


def test_a_wrong_or_publish_only_token_does_not_log_in(admin, store: Store) -> None:
    client, _ = admin
    _t, publisher = store.tokens.create("cms", PUBLISH, now=utc_now())
    for secret in ("wrong", publisher):
        token = csrf_of(client.get("/admin/login").data)
        answer = client.post("/admin/login", data={"token": secret, "csrf_token": token})
        assert answer.status_code == 401 and b"not an admin token" in answer.data
    assert client.get("/admin/articles").status_code == 303


def test_forms_without_the_csrf_token_are_refused(admin, store: Store) -> None:
    client, secret = admin
    login(client, secret)
    store.upsert(article(1))
    refused = client.post(f"/admin/articles/{article(1).id}/unpublish", data={})
    assert refused.status_code == 400 and b"CSRF" in refused.data
    forged = client.post(
        f"/admin/articles/{article(1).id}/unpublish", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert store.states.listed(article(1).id).status == "published"
    no_login = client.post("/admin/login", data={"token": secret})  # login needs it too
    assert no_login.status_code == 400


def test_actions_are_written_to_the_store(admin, store: Store) -> None:
    client, secret = admin
    login(client, secret)
    store.upsert_many(article(n) for n in (1, 2))
    page = client.get("/admin/articles?q=article 2")
    assert page.status_code == 200 and b"Article 2" in page.data and b"Article 1" not in page.data
    token = csrf_of(page.data)
    done = client.post(f"/admin/articles/{article(2).id}/unpublish", data={"csrf_token": token})
    assert done.status_code == 303
    assert store.states.listed(article(2).id).status == "unpublished"
    assert b"Unpublished: Article 2" in client.get("/admin/articles").data
    client.post(f"/admin/articles/{article(2).id}/publish", data={"csrf_token": token})
    assert store.states.listed(article(2).id).status == "published"
    client.post(f"/admin/articles/{article(1).id}/delete", data={"csrf_token": token})
    assert store.get(article(1).id) is None
    client.post("/admin/sources/wire/refresh", data={"csrf_token": token})
    assert "wire" in store.controls.requested()
    client.post("/admin/sources/wire/pause", data={"csrf_token": token})
    assert store.controls.paused() == {"wire"}
    form = {"csrf_token": token, "name": "desk", "kind": "feed", "url": "https://desk.example/f"}
    client.post("/admin/sources", data=form)
    assert [m.name for m in store.controls.managed_sources()] == ["desk"]
    assert b"added here" in client.get("/admin/sources").data
    bad = client.post("/admin/sources", data=form | {"name": "x", "url": "ftp://no"})
    assert bad.status_code == 303 and b"url" in client.get("/admin/sources").data
    client.post("/admin/sources/wire/remove", data={"csrf_token": token})
    assert b"read-only" in client.get("/admin/sources").data
    assert client.get("/admin/sources/wire").status_code == 200


def test_a_revoked_token_ends_its_sessions(admin, store: Store) -> None:
    client, secret = admin
    login(client, secret)
    assert client.get("/admin/articles").status_code == 200
    store.tokens.create("other", ADMIN, now=utc_now())  # the admin stays on
    store.tokens.revoke("editor", now=utc_now())
    assert client.get("/admin/articles").status_code == 303  # back to the login
    token = csrf_of(client.get("/admin/login").data)
    again = client.post("/admin/login", data={"token": secret, "csrf_token": token})
    assert again.status_code == 401
    store.tokens.revoke("other", now=utc_now())
    assert client.get("/admin/login").status_code == 404  # no admin token left: off


def test_the_admin_is_off_without_any_admin_token(settings: Settings, store: Store) -> None:
    client = create_app(settings, store=store).test_client()
    answer = client.get("/admin/login")
    assert answer.status_code == 404 and b"--scope admin" in answer.data
