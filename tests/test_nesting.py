"""Inputs nested thousands deep are refused by name, one file at a time, and ingest goes on.

JSON, YAML and TOML parsers descend one frame per level; a file nested 10,000 deep used to end
the whole ``syndicate ingest`` run with a ``RecursionError`` traceback (the files after it were
never read). The fixtures in ``tests/data/deep/`` are each nested 10,000 deep.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from helpers.source_cases import check_invariants
from helpers.validity import assert_valid_feed

from syndicate.config import Settings
from syndicate.config.loading import load_settings
from syndicate.errors import ConfigError, ParseError
from syndicate.model import Channel
from syndicate.normalize import normalize
from syndicate.render.xmlfeed import render_feed
from syndicate.sources import read
from syndicate.sources.syndication import parse_feed
from syndicate.store import PUBLISH, Store
from syndicate.text.dates import utc_now

DEEP = Path(__file__).parent / "data" / "deep"
BASE = "https://news.example/articles"
REFUSED = {
    "array.json": "JSON",
    "object.json": "JSON",
    "jsonfeed.txt": "JSON",
    "yaml-flow.md": "front matter: YAML",
    "yaml-block.md": "front matter: YAML",
    "toml.md": "front matter: TOML",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_each_deep_input_is_a_parse_error_naming_it(name: str) -> None:
    with pytest.raises(ParseError) as raised:
        read((DEEP / name).read_bytes(), name)
    assert str(raised.value) == f"{name}: {REFUSED[name]}: nested too deeply to read"


def test_deep_html_is_refused_or_read_never_a_crash() -> None:
    # lxml stops building the tree at its own depth limit (256): what is past it is not read.
    try:
        parsed = read((DEEP / "div.html").read_bytes(), "div.html")
    except ParseError as exc:
        assert exc.source == "div.html"
    else:
        for entry in parsed.entries:
            check_invariants(entry)


def test_deep_feeds_json_refused_xml_read_into_valid_feeds() -> None:
    with pytest.raises(ParseError, match="JSON Feed: nested too deeply to read"):
        parse_feed((DEEP / "jsonfeed.txt").read_bytes(), "https://up.example/feed.json")
    parsed = parse_feed((DEEP / "feed.xml").read_bytes(), "https://up.example/feed.xml")
    assert [item.entry.title for item in parsed.items] == ["Deep item", "Nested XML"]
    articles = [normalize(i.entry, source="deep", now=utc_now()) for i in parsed.items]
    # libxml2 builds HTML 256 levels deep (blocks.HTML_PARSER): what lies deeper is dropped,
    # the entries themselves are kept and their feeds stay valid.
    assert [a.title for a in articles] == ["Deep item", "Nested XML"]
    channel = Channel(
        id="urn:uuid:6f1c1d1e-0a7b-4c7e-9a55-2b1f8f3b9a11",
        title="Deep",
        site_url="https://news.example/",
        feed_url="https://news.example/feeds/all.atom",
    )
    for fmt in ("rss", "atom"):
        rendered = render_feed(channel, articles, fmt, permalink=lambda a: f"{BASE}/{a.slug}")
        assert_valid_feed(rendered.body, fmt)


def test_ingest_refuses_each_deep_file_and_reads_the_ones_after(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in REFUSED:
        shutil.copy(DEEP / name, folder / name)
    (folder / "zz-after.md").write_text("---\ntitle: After the deep ones\n---\n\nStill read.\n")
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\nbase_url = "https://news.example"\n')
    env = {"SYNDICATE_CONFIG": str(config), "SYNDICATE_DATABASE_URL": f"sqlite:///{tmp_path}/d.db"}
    done = subprocess.run(
        [sys.executable, "-c", "from syndicate.cli import main; main()", "ingest", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert f"{len(REFUSED) + 1} file(s): 1 new" in done.stdout
    assert f"{len(REFUSED)} failed" in done.stdout
    for name, what in REFUSED.items():
        assert f"{folder / name}: {what}: nested too deeply to read" in done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr


def test_deep_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(DEEP / "config.toml", environ={})
    assert f"{DEEP / 'config.toml'}: not valid TOML: nested too deeply" in str(raised.value)


def test_deep_json_to_the_api_is_a_400_problem(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    _token, secret = store.tokens.create("cms", PUBLISH, now=utc_now())
    answer = client.post(
        "/api/articles",
        data=(DEEP / "object.json").read_bytes(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert "nested too deeply" in answer.get_json()["detail"]
