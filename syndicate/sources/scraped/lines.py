"""Lines of scraped page text and what their shape says about them.

Scraped text has no tags, so every decision in the text normalizer rests on the shape of a
line: how long it is (counted in a way fair to scripts without spaces), whether it ends like a
sentence, whether a blank line sets it apart, whether it is title-cased, repeated elsewhere on
the page, or a known piece of page furniture ("Advertisement", "Share this").
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass

from syndicate.sources.scraped.vocab import trie

# Ideographs, kana and Hangul carry a word or more per character; Latin text needs ~3 letters.
_WIDE = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
WIDE_FACTOR = 2.5

# Sentence-final punctuation, optionally followed by closing quotes or brackets.
_TERMINAL = re.compile(r"[.!?…。！？؟।]['\"”’»)\]」』]*$")
# A sentence boundary inside a line: punctuation then a space (or a CJK full stop anywhere).
_BOUNDARY = re.compile(r"[.!?…;:]['\"”’»)\]]*\s|[。！？]")
_WORD = re.compile(r"\w+")
_BULLET = re.compile(r"^(?:[•·▪▫◦●○■□►▶✓✔➤‣⁃*+–—-]|\(?\d{1,2}[.)]|[a-z][.)])\s+\S")
_ORDERED = re.compile(r"^\(?(\d{1,2})[.)]\s")
_OPEN_QUOTE = '"“„«「『'
_CLOSE_QUOTE = '"”“»」』'
_QUOTE_MARKS = frozenset(_OPEN_QUOTE + _CLOSE_QUOTE)

# Page furniture in a few languages; an extra signal on top of shape, never the only one.
_FURNITURE_PHRASES = (
    r"advertisements?|advertising|sponsored(?: content)?|anzeige|werbung|publicidad",
    r"publicité|pubblicità|publicidade|реклама|광고|広告|iklan",
    r"scroll (?:down |for |to )?(?:next|continue|more)",
    r"continue reading(?: the main story| below)?|read more|read next|read also|see also",
    r"related(?: articles| stories| posts| content| coverage)?|more from .{0,30}",
    r"(?:share|tweet|email|e-mail|print|save|pin)"
    r"(?: this| it| on \w+| article| story| via \w+| with \w+| to \w+){0,3}",
    r"subscribe(?: now| to .{0,40})?|sign up(?: for .{0,40})?|follow us(?: on .{0,30})?",
    r"leia (?:também|mais)|lee también|lesen sie (?:auch|mehr)|weiterlesen|à lire aussi",
    r"lire aussi|leggi anche|baca juga|читайте (?:также|еще)|también te puede interesar",
    r"comments?|\d+ comments?|leave a (?:comment|reply)|back to top",
    r"contact(?: us)?|about us|advertise(?: with us)?|newsletters?|careers|jobs|more|menu",
    # A row of social network names, as share and follow widgets print them.
    r"(?:(?:facebook|twitter|x|instagram|linkedin|pinterest|youtube|whatsapp|telegram|"
    r"reddit|tiktok|vk|vkontakte|email|e-mail|rss)[\s,|·/]*){2,}",
    r"advertisement - continue reading below|story continues below(?: advertisement)?",
    # Navigation back up: "Back to overview", "Zurück zur Übersicht", "Retour à la liste".
    r"(?:back|go back|return|zurück|retour|volver|regresar|torna|tornare|voltar|terug|назад)"
    r"(?: to| zu[rm]?| à| a| al| alla| ao| para| naar| к)?(?: \S+){0,3}",
)
_FURNITURE = re.compile(r"^(?:" + "|".join(_FURNITURE_PHRASES) + r")[\s.:!»›>]*$", re.IGNORECASE)
# Lines that credit or caption an image rather than tell the story.
_CREDIT = re.compile(
    r"^(?:image|photo|picture|foto|bild|credit|source|fuente|fonte|quelle|фото|사진|写真)"
    r"(?:\s*credits?)?\s*[:：©]|(?:getty images|shutterstock|reuters|afp|associated press|"
    r"ap photo|epa|istock(?:photo)?)(?:\s+(?:file|via [\w ]+))?\)?\s*$|^©|\(photo:|"
    r"(?:photo|image|picture|foto|credit)(?:\s+by)?\s*:\s*\S+.{0,60}$",
    re.IGNORECASE,
)


# Every credit above holds one of these: a cheap test before the costly one.
_CREDIT_HINT = re.compile(
    trie(
        "image photo picture foto bild credit source fuente fonte quelle фото 사진 写真 getty "
        "shutterstock reuters afp associated epa istock ©".split()
    )
)


SENTENCE_CHARS = 600
STEM_CHARS = 200  # a paragraph's opening words say what it is about


@dataclass(slots=True)
class Line:
    """One non-blank line of the page with the features the normalizer reasons about."""

    index: int  # position among the page's non-blank lines
    text: str
    weight: float  # length in Latin-letter equivalents
    words: int
    gap_before: bool  # a blank line (or the start of the page) precedes it
    gap_after: bool
    terminal: bool  # ends like a sentence
    sentences: int  # sentence boundaries inside, plus one when terminal
    furniture: bool
    credit: bool
    bullet: bool
    tabular: bool = False  # a table row: cells separated by tabs
    repeats: int = 1  # how many lines on the page have the same normalized text
    block_prose: float = 1.0  # share of prose among the lines of its blank-line-separated block
    key: str = ""  # the text as casefolded words (:func:`key_of`), for spotting repeats
    _stems: frozenset[str] | None = None

    @property
    def stems(self) -> frozenset[str]:
        """The word stems (:func:`key_set`) of the line's opening, worked out once."""
        if self._stems is None:
            self._stems = frozenset(key_set(self.text[:STEM_CHARS]))
        return self._stems

    @property
    def prose(self) -> bool:
        """Reads like running text: long enough and punctuated like sentences."""
        return (self.weight >= 60 and (self.terminal or self.sentences >= 2)) or (
            self.weight >= 160 and self.sentences >= 1
        )

    @property
    def quoted(self) -> bool:
        """The whole line sits inside quotation marks (a pull quote or a quoted paragraph)."""
        t = self.text.rstrip(".")
        if len(t) <= 2 or t[0] not in _OPEN_QUOTE or t[-1] not in _CLOSE_QUOTE:
            return False
        # '"We held on," she said. "It was hard."' is reporting with quotes, not a quotation.
        return not any(ch in _QUOTE_MARKS for ch in t[1:-1])


_ASCII_LETTERS = string.ascii_letters.encode("ascii")
_ASCII_DIGITS = string.digits.encode("ascii")
_ASCII_UPPER = string.ascii_uppercase.encode("ascii")


def char_counts(text: str) -> tuple[int, int, int, int]:
    """Letters, capitals, digits and letters-or-digits in the text.

    ASCII text is counted by deleting classes of bytes in C rather than a call a character:
    on ASCII, ``isalpha`` is A-Z and a-z, ``isdigit`` 0-9 and ``isalnum`` the two together,
    so the counts are the ones the ``str`` methods give.
    """
    if text.isascii():
        raw = text.encode("ascii")
        letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        digits = len(raw) - len(raw.translate(None, _ASCII_DIGITS))
        upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
        return letters, upper, digits, letters + digits
    return (
        sum(map(str.isalpha, text)),
        sum(map(str.isupper, text)),
        sum(map(str.isdigit, text)),
        sum(map(str.isalnum, text)),
    )


def weight_of(text: str) -> float:
    """Length in Latin-letter equivalents, so CJK lines are not mistaken for short ones."""
    if text.isascii():
        return float(len(text))
    wide = len(_WIDE.findall(text))
    return len(text) + (WIDE_FACTOR - 1) * wide


def is_terminal(text: str) -> bool:
    """Does the text end like a sentence?"""
    return bool(_TERMINAL.search(text[-12:]))  # the mark and its closing quotes


def words_of(text: str) -> list[str]:
    """Word tokens; a run of ideographs counts one word per character."""
    words = _WORD.findall(text)
    if not text.isascii() and _WIDE.search(text):
        return [ch for w in words for ch in (list(w) if _WIDE.match(w) else [w])]
    return words


def key_of(text: str) -> str:
    """The text reduced to casefolded words, for spotting repeats and near duplicates."""
    return " ".join(_WORD.findall(text)).casefold()


def key_set(text: str) -> set[str]:
    """Comparable word stems: five-letter prefixes (crude but language-blind), CJK bigrams."""
    low = text.casefold()
    if low.isascii():
        return {w[:5] for w in _WORD.findall(low) if len(w) >= 3 and not w.isdigit()}
    words = words_of(low)
    keys = {w[:5] for w in words if len(w) >= 3 and not w.isdigit()}
    wide = [w for w in words if len(w) == 1 and not w.isascii()]
    keys.update(a + b for a, b in zip(wide, wide[1:], strict=False))
    return keys


def split_lines(text: str) -> list[Line]:
    """The page's non-blank lines with their features, in order."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines: list[Line] = []
    gap = True
    for piece in raw:
        stripped = _clean(piece)
        if not stripped:
            gap = True
            if lines:
                lines[-1].gap_after = True
            continue
        lines.append(_make_line(len(lines), stripped, gap))
        gap = False
    if lines:
        lines[-1].gap_after = True
    counts = Counter(line.key for line in lines)
    for line in lines:
        line.repeats = counts[line.key]
    _mark_blocks(lines)
    return lines


def _mark_blocks(lines: list[Line]) -> None:
    """Give each line the share of prose in its block (lines between two blank lines).

    Teaser lists and menus are long blocks of mostly short lines with a few sentence-like
    teasers among them; an article set without blank lines is a block of mostly prose.
    """
    start = 0
    for end in range(1, len(lines) + 1):
        if end < len(lines) and not lines[end].gap_before:
            continue
        block = lines[start:end]
        share = sum(1 for line in block if line.prose) / len(block)
        for line in block:
            line.block_prose = share
        start = end


def _clean(piece: str) -> str:
    # Non-breaking and zero-width spaces and BOMs come through scraping as "blank" lines.
    return piece.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").strip()


def _make_line(index: int, text: str, gap_before: bool) -> Line:
    terminal = is_terminal(text)
    tokens = _WORD.findall(text)
    ascii_text = text.isascii()
    wide = not ascii_text and bool(_WIDE.search(text))
    key = " ".join(tokens).casefold()
    # A short ASCII line's stems are its key's words cut short: what :func:`key_set` gives,
    # without scanning the line for words a second time.
    stems = (
        frozenset(w[:5] for w in key.split() if len(w) >= 3 and not w.isdigit())
        if ascii_text and len(text) <= STEM_CHARS
        else None
    )
    return Line(
        index=index,
        text=text,
        key=key,
        _stems=stems,
        weight=weight_of(text),
        words=len(words_of(text)) if wide else len(tokens),
        gap_before=gap_before,
        gap_after=False,
        terminal=terminal,
        # Past a few boundaries the count says nothing more: a long line is read in part.
        sentences=len(_BOUNDARY.findall(text, 0, SENTENCE_CHARS)) + terminal,
        furniture=bool(_FURNITURE.match(text)),
        credit=len(text) < 200
        and bool(_CREDIT_HINT.search(text.lower()))
        and bool(_CREDIT.search(text)),
        bullet=bool(_BULLET.match(text)),
        tabular=text.count("\t") >= 2,
    )


def strip_bullet(text: str) -> str:
    """The item text without its bullet or number."""
    return _BULLET.sub(lambda m: m.group(0)[-1], text, count=1).strip()


def item_number(text: str) -> int | None:
    """The number a line starts with as a list item ("1.", "02)", "(3)"), else None."""
    match = _ORDERED.match(text)
    return int(match.group(1)) if match else None


def title_cased(text: str) -> bool:
    """Most words start with a capital (headline style in Latin, Greek and Cyrillic scripts)."""
    words = [w for w in _WORD.findall(text) if w[0].isalpha()]
    if len(words) < 2:
        return False
    capital = sum(1 for w in words if w[0].isupper())
    return capital / len(words) >= 0.6
