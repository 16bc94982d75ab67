"""``docs/configuration.md`` is written from the settings code, and lists every setting."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from syndicate.config import Settings, reference
from syndicate.config.keys import (
    ADMIN_TOKEN_VARIABLE,
    CONFIG_VARIABLE,
    DEFAULTS,
    SCHEMA,
    SECRET_KEY_VARIABLE,
    STATS_SALT_VARIABLE,
)

DOCUMENT = Path(__file__).parent.parent / "docs" / "configuration.md"
# Settings fields that are no table of the file: where each is documented instead.
NOT_TABLES = {
    "database_url": "`database.url`",
    "admin_token": ADMIN_TOKEN_VARIABLE,
    "secret_key": SECRET_KEY_VARIABLE,
    "stats_salt": STATS_SALT_VARIABLE,
}
UNDOCUMENTED = {"config_path"}  # where the settings came from, not a setting
NOT_KEYS = {"site": {"base_url_configured"}}  # facts about the file, not settings


def test_the_document_is_what_the_settings_code_writes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == reference(), (
        "docs/configuration.md is stale: run `syndicate config docs --write docs/configuration.md`"
    )


def test_every_field_of_every_settings_table_is_declared_and_documented() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    for field in fields(Settings):
        if field.name in UNDOCUMENTED:
            continue
        if field.name in NOT_TABLES:
            assert NOT_TABLES[field.name] in text, field.name
            continue
        assert field.name in SCHEMA and field.name in DEFAULTS, f"[{field.name}] is not declared"
        declared = set(SCHEMA[field.name])
        wanted = {f.name for f in fields(DEFAULTS[field.name])} - NOT_KEYS.get(field.name, set())
        assert declared == wanted, field.name
        for key in declared:
            cell = (
                f"`[[{field.name}]]` `{key}`"
                if field.name in ("categories", "sources")
                else (f"`{field.name}.{key}`")
            )
            row = next((line for line in text.splitlines() if line.startswith(f"| {cell} |")), "")
            assert row, f"{cell} is missing from docs/configuration.md"
            env = SCHEMA[field.name][key].env
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)]
            assert cells[4] == (f"`{env}`" if env else ""), cell
    assert CONFIG_VARIABLE in text


def test_the_command_prints_the_reference(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from syndicate.cli import main; main()", "config", "docs"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and done.stdout == reference()
