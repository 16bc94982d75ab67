"""The command line: ingest reports failures and goes on, feeds lists URLs, config errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import cli

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "content" / "samples"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\nbase_url = "https://news.example"\n')
    return {
        "SYNDICATE_CONFIG": str(config),
        "SYNDICATE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_ingest_folder_then_again_writes_nothing(env: dict[str, str]) -> None:
    code, out, _ = run(env, "ingest", str(SAMPLES))
    assert code == 0
    assert "4 file(s): 4 new, 0 updated, 0 unchanged, 0 skipped, 0 failed" in out
    code, out, _ = run(env, "ingest", str(SAMPLES))
    assert code == 0
    assert "0 new, 0 updated, 4 unchanged, 0 skipped, 0 failed" in out


def test_ingest_reports_each_failure_and_ingests_the_rest(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "welcome-to-syndicate.md", folder)
    (folder / "broken.json").write_text('{"title": "x", "tags": 42, "content_text": "y"}')
    (folder / "empty.txt").write_text("   \n")
    (folder / "draft.md").write_text("---\ntitle: Not yet\ndraft: true\n---\n\nSoon.\n")
    code, out, err = run(env, "ingest", str(folder), str(tmp_path / "missing.md"))
    assert code == 1
    assert "1 new" in out and "1 skipped, 3 failed" in out
    assert f"skipped: {folder / 'draft.md'}: draft" in err
    assert f"{folder / 'broken.json'}" in err and "tags" in err
    assert f"{folder / 'empty.txt'}" in err
    assert f"{tmp_path / 'missing.md'}: no such file" in err


def test_ingest_category_option_applies_to_articles_without_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    story = tmp_path / "story.md"
    story.write_text("# A Story Without Category\n\nIt happened on a quiet day in the harbour.\n")
    assert run(env, "ingest", str(story), "--category", "Harbour Life")[0] == 0
    _, out, _ = run(env, "feeds")
    assert "https://news.example/feeds/harbour-life.rss" in out


def test_feeds_lists_every_feed_url(env: dict[str, str]) -> None:
    run(env, "ingest", str(SAMPLES))
    code, out, _ = run(env, "feeds")
    assert code == 0
    urls = [line.split("\t")[0] for line in out.splitlines()]
    assert "https://news.example/feeds/all.rss" in urls
    assert "https://news.example/feeds/all.atom" in urls
    assert "https://news.example/feeds/russia-ukraine-war.atom" in urls


def test_wrong_config_is_refused_with_file_and_key(env: dict[str, str], tmp_path: Path) -> None:
    Path(env["SYNDICATE_CONFIG"]).write_text("[feeds]\nitems = -1\n")
    code, _, err = run(env, "feeds")
    assert code == 2
    assert env["SYNDICATE_CONFIG"] in err and "feeds.items" in err


def test_ingest_pings_websub_hub_once_per_changed_feed(env: dict[str, str]) -> None:
    from helpers.hub import Hub

    hub = Hub()
    try:
        hubbed = {**env, "SYNDICATE_WEBSUB_HUBS": hub.url}
        assert run(hubbed, "ingest", str(SAMPLES / "welcome-to-syndicate.md"))[0] == 0
        pinged = sorted(hub.pings)
        assert "https://news.example/feeds/all.atom" in pinged
        assert "https://news.example/feeds/announcements.rss" in pinged
        assert len(pinged) == len(set(pinged))
        hub.pings.clear()
        assert run(hubbed, "ingest", str(SAMPLES / "welcome-to-syndicate.md"))[0] == 0
        assert hub.pings == []  # unchanged: no feed changed, no ping
    finally:
        hub.close()


def test_serve_refuses_a_database_older_than_it_needs(env: dict[str, str]) -> None:
    code, _, err = run(env, "serve", "--port", "1")
    assert code == 2
    assert "run `syndicate db upgrade`" in err


ENCODINGS = Path(__file__).parent / "data" / "encodings"


def test_ingest_says_when_an_encoding_was_repaired(env: dict[str, str], tmp_path: Path) -> None:
    broken, legacy = ENCODINGS / "broken_utf8.txt", ENCODINGS / "windows_1252.txt"
    code, out, err = run(env, "ingest", str(broken), str(legacy))
    assert code == 0 and "2 new" in out
    assert f"note: {broken}: not UTF-8 text: 1 malformed byte(s) replaced by U+FFFD" in err
    assert f"note: {legacy}: not UTF-8 text; decoded as windows-125" in err
    assert "by detection" in err
    code, out, _ = run(env, "normalize", "--json", str(broken))
    assert '"title": "Caf\\ufffd( owners protest new rules"' in out or "Caf�( owners" in out
