"""``syndicate serve --port N`` without a configured base URL makes every link for port N.

Before, it printed ``serving http://127.0.0.1:8000 on http://127.0.0.1:8152`` and every link
and the stylesheet pointed at port 8000. A configured ``site.base_url`` is kept (a proxy in
front), and the start line says it differs from the address served.
"""

from __future__ import annotations

import http.client
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.processes import Children, child_env, wait_for

from syndicate.cli import cli
from syndicate.cli.common import listening
from syndicate.config import Settings, SiteSettings

SAMPLES = Path(__file__).parent.parent / "content" / "samples"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def up(port: int) -> bool:
    try:
        return get(port, "/healthz")[0] == 200
    except OSError:
        return False


@pytest.mark.parametrize("configured", ["", "https://news.example"])
def test_serve_on_another_port_links_to_it(
    children: Children, tmp_path: Path, database_url: str, configured: str
) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(f'[site]\nbase_url = "{configured}"\n' if configured else "")
    env = child_env(config, database_url)
    assert CliRunner().invoke(cli, ["ingest", str(SAMPLES)], env=env).exit_code == 0
    port = free_port()
    server = children.start(env, "serve", "--port", str(port), "--no-scheduler")
    wait_for(lambda: up(port), 20, "serve to answer", children)
    log = next(tmp_path.glob("serve-*.log")).read_text()
    served = f"http://127.0.0.1:{port}"
    base = configured or served
    if configured:
        assert f"serving on {served}; links use site.base_url {configured}" in log
    else:
        assert f"serving {served}" in log and ":8000" not in log
    status, page = get(port, "/")
    assert status == 200
    assert f'href="{base}/static/style.css"' in page
    assert set(re.findall(r'href="(https?://[^/"]+)', page)) <= {
        base,
        "https://coastal-times.example",
    }
    _, feed = get(port, "/feeds/all.rss")
    assert f'href="{base}/feeds/all.rss" rel="self"' in feed
    children.stop(server)


@pytest.mark.parametrize(
    ("host", "links", "line"),
    [
        ("127.0.0.1", "http://127.0.0.1:8152", "serving http://127.0.0.1:8152"),
        (
            "0.0.0.0",
            "http://127.0.0.1:8152",
            "serving on http://0.0.0.0:8152; links use http://127.0.0.1:8152",
        ),
        ("::1", "http://[::1]:8152", "serving http://[::1]:8152"),
    ],
)
def test_listening_links_follow_the_address_without_a_base_url(
    host: str, links: str, line: str
) -> None:
    settings, said = listening(Settings(), host, 8152)
    assert (settings.site.base_url, said) == (links, line)


def test_listening_keeps_a_configured_base_url() -> None:
    site = SiteSettings(base_url="http://127.0.0.1:8152", base_url_configured=True)
    settings, said = listening(Settings(site=site), "127.0.0.1", 8152)
    assert (settings.site.base_url, said) == (
        "http://127.0.0.1:8152",
        "serving http://127.0.0.1:8152",
    )
