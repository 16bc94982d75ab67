"""``syndicate normalize``: JSON lines and readable output, per-file errors, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli.normalize import normalize_command
from syndicate.normalize import article_id

DATA = Path(__file__).parent / "data" / "sources"
TEXT_PAGE = DATA / "text" / "sample_news_page.txt"
GERMAN_PAGE = DATA / "text" / "german_page.txt"
HTML_PAGE = DATA / "html" / "news_page_jsonld.html"
FIELDS = {
    "file",
    "title",
    "dek",
    "categories",
    "authors",
    "published",
    "language",
    "summary",
    "body_text",
    "blocks",
}


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(normalize_command, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def json_records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_normalize_json_prints_one_object_per_file_with_every_field() -> None:
    code, out, _ = run("--json", TEXT_PAGE, GERMAN_PAGE, HTML_PAGE)
    assert code == 0
    records = json_records(out)
    assert [r["file"] for r in records] == [str(TEXT_PAGE), str(GERMAN_PAGE), str(HTML_PAGE)]
    for record in records:
        assert FIELDS <= set(record)
        assert record["title"] and record["body_text"] and record["blocks"]


def test_normalize_json_text_page_fields() -> None:
    _, out, _ = run("--json", TEXT_PAGE)
    (record,) = json_records(out)
    assert record["title"] == "Planned Trump-Putin Meeting on Hold, No Immediate Plans"
    assert record["categories"] == ["Russia Ukraine War"]
    assert record["published"] is None  # no date on the page: not the time it was read
    assert record["body_text"].startswith("A planned summit between U.S. President Donald Trump")
    assert "\n\nA Prudent Pause\n\n" in record["body_text"]
    heading = next(b for b in record["blocks"] if b["kind"] == "heading")
    assert heading == {"kind": "heading", "text": "A Prudent Pause", "level": 2}


def test_normalize_json_countdown_list_keeps_its_numbers() -> None:
    _, out, _ = run("--json", DATA / "scraped_shapes" / "countdown_list.txt")
    (record,) = json_records(out)
    listed = next(b for b in record["blocks"] if b["kind"] == "list")
    assert listed["ordered"] is True
    assert listed["numbers"] == [5, 4, 3, 2, 1]
    assert listed["items"][0] == "The old pier loop"
    assert listed["text"].startswith("5. The old pier loop\n4. Lighthouse trail")


def test_normalize_json_dated_page_gives_aware_published() -> None:
    _, out, _ = run("--json", GERMAN_PAGE)
    (record,) = json_records(out)
    assert record["authors"] == ["Anna Schmidt"]
    assert record["published"] == "2024-03-12T14:30:00+00:00"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("menu.txt", b"Home\nNews\nSport\nWeather\n", "paragraph"),
        ("binary.txt", b"\x00\x01\x02" * 100, "binary"),
        ("untitled.html", b"<html><body><p>Words only.</p></body></html>", "no title"),
    ],
    ids=["empty", "menu-only", "binary", "html-without-title"],
)
def test_normalize_json_bad_file_is_an_error_line_and_the_rest_go_on(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(data)
    code, out, _ = run("--json", TEXT_PAGE, bad, GERMAN_PAGE)
    assert code == 1
    first, error, last = json_records(out)
    assert first["file"] == str(TEXT_PAGE) and last["file"] == str(GERMAN_PAGE)
    assert set(error) == {"file", "error"}
    assert error["file"] == str(bad)
    assert reason in error["error"]


def test_normalize_missing_file_reports_on_stderr_and_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "gone.txt"
    code, out, err = run(missing, TEXT_PAGE)
    assert code == 1
    assert f"error: {missing}: " in err
    assert "Planned Trump-Putin Meeting on Hold" in out


def test_normalize_readable_output_labels_fields_and_prints_body() -> None:
    code, out, err = run(GERMAN_PAGE)
    assert code == 0 and not err
    assert out.startswith(f"== {GERMAN_PAGE}\n")
    assert "title:      Forscher finden Mikroplastik in Alpenseen auf über 2000 Metern" in out
    assert "authors:    Anna Schmidt" in out
    assert "Die Forscher wollen nun untersuchen" in out


def test_normalize_kind_option_overrides_detection(tmp_path: Path) -> None:
    page = tmp_path / "page.data"
    page.write_bytes(GERMAN_PAGE.read_bytes())
    code, out, _ = run("--json", "--kind", "text", page)
    assert code == 0
    assert json_records(out)[0]["title"].startswith("Forscher finden Mikroplastik")


def test_normalize_folder_reads_known_files_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_bytes(GERMAN_PAGE.read_bytes())
    (tmp_path / "a.txt").write_bytes(TEXT_PAGE.read_bytes())
    (tmp_path / "notes.bin").write_bytes(b"\x00")
    code, out, _ = run("--json", tmp_path)
    assert code == 0
    assert [Path(r["file"]).name for r in json_records(out)] == ["a.txt", "b.txt"]


def test_normalize_without_files_is_a_usage_error() -> None:
    code, _, _ = run()
    assert code == 2


def test_normalize_json_shows_the_id_ingest_would_store_and_the_media(tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    (folder / "weather").mkdir(parents=True)
    post = folder / "weather" / "monday.md"
    post.write_text(
        "---\ntitle: Weather update\nimage: https://img.example/rain.jpg\n"
        "enclosure: https://cdn.example/forecast.mp3\n---\n\nRain all day.\n"
    )
    (record,) = json_records(run("--json", folder)[1])
    assert record["id"] == article_id("local", "path:weather/monday.md")
    assert record["image"] == "https://img.example/rain.jpg"
    assert record["enclosures"] == [
        {"url": "https://cdn.example/forecast.mp3", "type": "audio/mpeg", "length": 0}
    ]
