"""The one refusal of inputs nested deeper than the parsers can follow.

JSON, YAML and TOML parsers (and feedparser's) descend one Python frame per level of nesting:
a document nested some thousands deep ends in ``RecursionError``, which is no ``ValueError``
and, left alone, ends a whole ``syndicate ingest`` run on one hostile file. Every parser turns
it into this :class:`ParseError`, naming the input, so the file is refused and the run goes on.
"""

from __future__ import annotations

from syndicate.errors import ParseError

REASON = "nested too deeply to read"


def too_deep(origin: str, what: str) -> ParseError:
    """The error for ``what`` (``"JSON"``, ``"front matter: YAML"``) nested past the limit."""
    return ParseError(origin, f"{what}: {REASON}")
