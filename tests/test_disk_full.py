"""The disk fills up under ``syndicate ingest``: SQLite on a filesystem of a few MB (a tmpfs the
test mounts, as root; CI runs as root) that runs out of space during the run.

What must hold: the run fails with an error naming the database and "no space" (no SQL, no
traceback), the file is not corrupt (``PRAGMA integrity_check``, the consistency checks), the
articles stored before are still served, and the same ingest succeeds once space is freed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.consistency import problems
from helpers.validity import assert_valid_feed

from syndicate.config import Settings, SiteSettings
from syndicate.store import Store
from syndicate.web import create_app

pytestmark = pytest.mark.sqlite_only("a SQLite file on a filesystem that fills up")
SIZE = "8m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (CI runs the suite as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def stories(folder: Path, prefix: str, count: int, repeat: int) -> Path:
    folder.mkdir()
    for n in range(count):
        text = f"Paragraph {n} of the {prefix} story, with words enough to weigh. " * repeat
        (folder / f"{prefix}-{n:03d}.md").write_text(
            f"---\ntitle: {prefix.title()} story {n:03d}\ncategories: [World]\n---\n\n{text}\n"
        )
    return folder


def ingest(database: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-c", "from syndicate.cli import main; main()", "ingest", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_full_disk_fails_ingest_by_name_corrupts_nothing_and_ingest_resumes(
    small_disk: Path, tmp_path: Path
) -> None:
    database = small_disk / "syndicate.db"
    first = ingest(database, stories(tmp_path / "first", "first", 20, 20))
    assert first.returncode == 0, first.stderr
    filler = small_disk / "filler"
    with filler.open("wb") as handle:  # most of what is left, so the next ingest cannot fit
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        handle.write(b"\0" * (free - 400_000))
    second_folder = stories(tmp_path / "second", "second", 100, 60)
    full = ingest(database, second_folder)
    assert full.returncode == 1
    assert f"failed on sqlite:///{database}: no space left on the device" in full.stderr
    assert "Traceback" not in full.stderr and "[SQL:" not in full.stderr
    assert "100 failed" in full.stdout

    with Store(f"sqlite:///{database}") as store:
        assert problems(store) == []
        assert store.count() == 20
        settings = Settings(site=SiteSettings(base_url="https://news.example"))
        client = create_app(settings, store=store, watch_interval=None).test_client()
        feed = assert_valid_feed(client.get("/feeds/all.atom").data, "atom")
        assert len(feed.entries) == 20
        assert client.get("/articles/first-story-000").status_code == 200

    filler.unlink()
    resumed = ingest(database, second_folder)
    assert resumed.returncode == 0, resumed.stderr
    assert "100 new" in resumed.stdout
    with Store(f"sqlite:///{database}") as store:
        assert problems(store) == [] and store.count() == 120
