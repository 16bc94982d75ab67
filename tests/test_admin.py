"""Source health for operators: /admin/sources (JSON and HTML) and ``syndicate sources``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from syndicate.cli import cli
from syndicate.config import Settings, SourceSettings
from syndicate.refresh.health import source_health
from syndicate.store import Store
from syndicate.web import create_app

TOKEN = "s3cret-token"
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SOURCES = (
    SourceSettings(name="wire", kind="feed", url="https://wire.example.com/feed.xml"),
    SourceSettings(name="desk", kind="folder", path="content/samples", enabled=False),
)


def admin_client(settings: Settings, store: Store, token: str = TOKEN) -> FlaskClient:
    configured = replace(settings, admin_token=token, sources=SOURCES)
    app = create_app(configured, store=store)
    app.testing = True
    return app.test_client()


def bearer(token: str = TOKEN, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def test_admin_is_off_without_a_token(settings: Settings, store: Store) -> None:
    response = admin_client(settings, store, token="").get("/admin/sources", headers=bearer())
    assert response.status_code == 404
    assert "SYNDICATE_ADMIN_TOKEN" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong"), {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}],
    ids=["none", "wrong-token", "wrong-scheme", "no-scheme"],
)
def test_admin_refuses_without_the_bearer_token(
    settings: Settings, store: Store, headers: dict[str, str]
) -> None:
    response = admin_client(settings, store).get("/admin/sources", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_admin_sources_json_reports_health(settings: Settings, store: Store) -> None:
    store.record_success("wire", at=AT, etag='"x"')
    store.record_failure("wire", "HTTP 500 Internal Server Error from https://wire", at=AT)
    store.log_run("wire", started=AT, duration=0.5, outcome="failed", message="HTTP 500")
    response = admin_client(settings, store).get("/admin/sources", headers=bearer())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["scheduler_running"] is False
    wire, desk = data["sources"]
    assert wire["name"] == "wire" and wire["consecutive_failures"] == 1
    assert wire["failure_message"].startswith("HTTP 500")
    assert wire["last_success"] == AT.isoformat()
    assert wire["last_run"]["outcome"] == "failed"
    assert wire["next_run"] is not None and wire["articles"] == 0
    assert desk["enabled"] is False and desk["next_run"] is None


def test_admin_sources_page_for_browsers_escapes_messages(settings: Settings, store: Store) -> None:
    store.record_failure("wire", "<script>alert(1)</script> broke", at=AT)
    client = admin_client(settings, store)
    for headers, query in ((bearer(Accept="text/html,*/*;q=0.8"), ""), (bearer(), "?format=html")):
        response = client.get(f"/admin/sources{query}", headers=headers)
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "wire" in page and "&lt;script&gt;alert(1)&lt;/script&gt; broke" in page
        assert "<script>" not in page


def test_source_health_counts_articles_per_source(settings: Settings, store: Store) -> None:
    health = source_health(replace(settings, sources=SOURCES), store, now=AT)
    assert [(h.name, h.articles, h.next_run) for h in health] == [
        ("wire", 0, AT),
        ("desk", 0, None),
    ]


def test_cli_sources_prints_health(tmp_path, store: Store, settings: Settings) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(
        f'[database]\nurl = "{settings.database_url}"\n\n'
        '[[sources]]\nname = "wire"\nkind = "feed"\nurl = "https://wire.example.com/f"\n'
        'interval = "15m"\n'
    )
    store.record_failure("wire", "timed out after 30 s", at=AT)
    result = CliRunner().invoke(cli, ["sources"], env={"SYNDICATE_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert "wire (feed): https://wire.example.com/f" in result.output
    assert "every 900 s" in result.output
    assert "last failure: 2024-05-01T12:00:00+00:00: timed out after 30 s" in result.output
    as_json = CliRunner().invoke(cli, ["sources", "--json"], env={"SYNDICATE_CONFIG": str(config)})
    assert '"consecutive_failures": 1' in as_json.output
