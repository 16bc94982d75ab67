"""The deployment files of ``deploy/``: systemd units that systemd accepts and whose commands
exist, a backup that makes a readable copy, and an nginx site file that nginx accepts and that
passes syndicate's answers (validators, 304s, compression) through unchanged."""

from __future__ import annotations

import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.articles import article
from helpers.processes import Children, child_env
from helpers.servers import free_port, nginx, nginx_test, request, syndicate_serve

from syndicate.config import Settings
from syndicate.store import Store

ROOT = Path(__file__).parent.parent
UNITS = sorted((ROOT / "deploy" / "systemd").iterdir())
SITE = ROOT / "deploy" / "nginx" / "syndicate.conf"
INSTALLED = "/opt/syndicate/.venv/bin/"
VENV = str(Path(sys.executable).parent) + "/"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def exec_lines(unit: Path) -> list[list[str]]:
    """The ExecStart command lines of a unit, split as systemd splits them."""
    return [
        shlex.split(line.partition("=")[2])
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith("ExecStart=")
    ]


def test_there_is_a_unit_for_each_process() -> None:
    names = {unit.name for unit in UNITS}
    assert {
        "syndicate.service",
        "syndicate-web.service",
        "syndicate-scheduler.service",
        "syndicate-worker@.service",
        "syndicate-backup.service",
        "syndicate-backup.timer",
    } <= names


@pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is not installed here (it comes with systemd); nothing to verify with",
)
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    # The units name the installed virtualenv; verify checks that commands exist, so point
    # them at this one.
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(INSTALLED, VENV)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = [str(tmp_path / unit.name) for unit in UNITS]
    assert SYSTEMD_ANALYZE is not None
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *names], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.parametrize("unit", [u for u in UNITS if "/syndicate " in u.read_text()], ids=str)
def test_each_units_syndicate_command_exists_with_its_options(unit: Path) -> None:
    for command in exec_lines(unit):
        if not command[0].endswith("/syndicate"):
            continue
        args = [a.replace("%i", "1") for a in command[1:]]  # a template instance
        # --help after every option: click refuses an unknown option before printing help.
        done = subprocess.run(
            [sys.executable, "-c", "from syndicate.cli import main; main()", *args, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (unit.name, args, done.stderr)


def test_the_backup_unit_makes_a_readable_copy_of_a_live_store(
    tmp_path: Path, settings: Settings
) -> None:
    state = tmp_path / "state"
    live = Store(f"sqlite:///{state / 'syndicate.db'}")
    live.create_schema()
    live.upsert_many(article(n) for n in range(1, 6))
    for command in exec_lines(ROOT / "deploy" / "systemd" / "syndicate-backup.service"):
        command = [part.replace("/var/lib/syndicate", str(state)) for part in command]
        assert shutil.which(command[0]), f"{command[0]} is missing (apt-get install sqlite3)"
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    live.close()
    copy = sqlite3.connect(state / "backups" / "syndicate.db")
    assert copy.execute("SELECT count(*) FROM articles").fetchone() == (5,)
    copy.close()


def test_nginx_accepts_the_site_file(tmp_path: Path) -> None:
    checked = nginx_test(tmp_path, SITE)
    assert checked.returncode == 0, checked.stderr


def test_nginx_with_the_site_file_passes_syndicate_through(
    tmp_path: Path, settings: Settings, store: Store, children: Children
) -> None:
    store.upsert_many(article(n) for n in range(1, 6))
    config = tmp_path / "syndicate.toml"
    config.write_text("", encoding="utf-8")
    app_port, serving = syndicate_serve(children, child_env(config, settings.database_url))
    try:
        _through_nginx(tmp_path, children, app_port)
    finally:  # SIGTERM: granian stops its worker (a SIGKILL would leave the worker behind)
        children.stop(serving, signal.SIGTERM)


def _through_nginx(tmp_path: Path, children: Children, app_port: int) -> None:
    port = free_port()
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = site.replace("listen [::]:80;", "")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    nginx(children, tmp_path, tmp_path / "site.conf", port)
    for path in ("/feeds/all.atom", "/articles/article-3", "/"):
        direct = request(app_port, path, {"Accept-Encoding": "br"})
        status, headers, body = request(port, path, {"Accept-Encoding": "br"})
        assert (status, body) == (200, direct[2]), path
        assert headers["etag"] == direct[1]["etag"] and headers["content-encoding"] == "br"
        assert headers["server"].startswith("nginx")
        again = request(port, path, {"Accept-Encoding": "br", "If-None-Match": headers["etag"]})
        assert (again[0], again[2]) == (304, b""), path
    assert request(port, "/healthz")[0] == 200
