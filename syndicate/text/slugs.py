"""URL slugs from titles and names, in any script.

A slug keeps the letters and digits of every script (lowercased), so a Greek or Hindi title
gets a Greek or Hindi slug rather than an empty one. Latin letters with accents are folded to
ASCII when Unicode decomposition allows it (``café`` -> ``cafe``), because those are the slugs
readers type. Everything else becomes a single ``-``.
"""

from __future__ import annotations

import unicodedata

DEFAULT_MAX_LENGTH = 80

# Latin letters that Unicode does not decompose into ASCII plus accents.
_LATIN_EXTRA: dict[str, str] = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ł": "l",
    "ı": "i",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "ng",
}
# Apostrophes join a word ("don't" -> "dont") instead of splitting it.
_APOSTROPHES = frozenset("'’ʼ`")


def slugify(text: str, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """A lowercase ``word-word`` slug of ``text``; ``""`` when it has no letters or digits.

    ``max_length`` counts characters, not bytes. A slug longer than that is cut at the last
    ``-`` that fits, so words stay whole; a single word longer than the limit is cut hard.
    """
    words: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in _APOSTROPHES:
            continue
        if unicodedata.combining(char) and current and current[-1].isascii():
            continue  # a stray accent on a Latin letter NFC could not compose
        if _is_word_char(char):
            current.append(_fold(char.lower()))
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return _cut("-".join(words), max_length)


def _is_word_char(char: str) -> bool:
    # Letters, digits and combining marks; marks carry vowels in Indic scripts.
    return unicodedata.category(char)[0] in "LNM"


def _fold(char: str) -> str:
    """The ASCII form of a Latin letter when it has one, else the letter itself."""
    if char.isascii():
        return char
    if char in _LATIN_EXTRA:
        return _LATIN_EXTRA[char]
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base.isascii() and base.isalnum():
        return base.lower()
    return char


def _cut(slug: str, max_length: int) -> str:
    if len(slug) <= max_length:
        return slug
    head = slug[: max_length + 1]
    boundary = head.rfind("-")
    if boundary > 0:
        return head[:boundary].strip("-")
    return slug[:max_length].strip("-")
