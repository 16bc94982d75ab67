"""Author strings to bylines: the name of a person, never their mail address.

Inputs write people in three ways: as RSS 2.0 asks for ``<author>`` (an address, the name in
parentheses: ``desk@wire.example (Wire Desk)``), as mail headers do (``Wire Desk
<desk@wire.example>``), or as a plain name. A byline is the name: an address alone gives no
byline at all (it is contact data, not a name to print under a headline).

This is the one reading of author strings; every parser's authors pass through
:func:`byline` when they are normalized.
"""

from __future__ import annotations

import re

# One address, as people write them in author fields (with or without a mailto: scheme).
_ADDRESS = re.compile(r"^(?:mailto:)?[^\s@<>()\[\],;:]+@[^\s@<>()\[\],;:]+\.[^\s@<>()\[\],;:]+$")
_ANGLE = re.compile(r"^(?P<before>[^<>]*)<(?P<inside>[^<>]*)>(?P<after>[^<>]*)$")
_PAREN = re.compile(r"^(?P<before>[^()]*)\((?P<inside>[^()]*)\)(?P<after>[^()]*)$")
_QUOTES = "\"'“”‘’"


def byline(text: str) -> str:
    """The person's name in an author string; ``""`` when it holds only an address.

    ``desk@wire.example (Wire Desk)``, ``Wire Desk <desk@wire.example>`` and ``Wire Desk
    (desk@wire.example)`` all give ``Wire Desk``; ``desk@wire.example`` gives ``""``. A name
    with a remark in parentheses (``Ana Ribeiro (Lisbon)``) is kept whole.
    """
    text = " ".join(text.split())
    for pattern in (_ANGLE, _PAREN):
        match = pattern.match(text)
        if match is None:
            continue
        inside = match["inside"].strip()
        outside = f"{match['before'].strip()} {match['after'].strip()}".strip()
        if is_address(inside) or (pattern is _ANGLE and not inside):
            return _name(outside)
        if is_address(outside) or not outside:
            return _name(inside)
    return _name(text)


def is_address(text: str) -> bool:
    """True when ``text`` is one mail address (``mailto:`` allowed) and nothing else."""
    return bool(_ADDRESS.match(text.strip()))


def _name(text: str) -> str:
    name = text.strip().strip(_QUOTES).strip(" ,;")
    return "" if not name or is_address(name) else name
