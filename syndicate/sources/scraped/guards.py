"""What a headline never is, whatever the model thinks: the hard limits on the choice.

The headline ranker is learned, and learned models make the odd confident mistake. These
checks hold on every page: a headline is never a URL or an e-mail address, never a cookie,
consent, privacy or error notice, never a bare date or timestamp, never a breadcrumb trail
(a trail glued in front of a headline, or led by "You are here:", is cut off first), and
never just the site's name while a longer candidate is there. Nor is it a link back to
another post or a skip link, a server's error message, a line of structured data printed as
text, a line cut off mid-phrase or a byline.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from syndicate.sources.scraped.lines import Line, key_of
from syndicate.sources.scraped.meta import byline_names, has_date, is_dateline, is_month_name
from syndicate.sources.scraped.vocab import (
    COPYRIGHT,
    CRUMB_MARKS,
    DATA_MEMBER,
    DOMAIN,
    HOME_WORDS,
    SERVER_ERROR,
    SKIP_LINK,
    TRAIL_LEAD,
    is_address,
    is_notice,
)

# Chevrons always part crumbs; a slash or bar only when the trail starts at "Home".
_CHEVRONS = re.compile(r"\s*[>»›→]\s*")
_SPACED = re.compile(r"\s+[/|]\s+|\s*[>»›→]\s*")
_SLASHED = re.compile(r"\s+/\s+")
# A post-to-post link: an arrow, or an unpaired guillemet standing apart, pointing back
# ("← Older post", "« Previous post"); a quotation hugs its words ("«Wir bleiben hier»").
_BACK = re.compile(r"^\s*(?:[←<]|[«‹]\s)")
# A line cut off mid-phrase ends on one of these marks or words ("Search for:", "... and").
# Lowercase only: "Plan A" and "Vitamin E" end on a capital.
_OPEN_MARKS = frozenset(",:;")
_JOINING_ENDS = frozenset(
    "and or of the a to with und oder der die das et ou de le la y o e el".split()
)
_GLUE = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ][a-zà-ÿ])")
_TIME_ONLY = re.compile(
    r"^[\W\d_]*(?:\d{1,2}[:.h]\d{2}|\d+\s*(?:min|mins|minutes?|h|hours?|days?|std\.?))"
    r"(?:\s*(?:[ap]\.?m\.?|uhr|ago|read|gmt|utc|[A-Z]{2,4}))*[\W\d_]*$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_WORD = re.compile(r"[^\W\d_]+|\d+(?:st|nd|rd|th)?")
_DIGIT = re.compile(r"\d")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
# Words a timestamp line is made of, besides numbers and month names.
_STAMP_WORDS = frozenset(
    "by updated posted published last modified on at am pm a m p et est edt ct cst cdt pt pst "
    "pdt gmt utc cet cest bst ist jst kst ago min mins minute minutes hour hours hr hrs h "
    "day days week weeks month months year years read reading time yesterday today just now "
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs "
    "fri sat sun uhr um aktualisiert veröffentlicht stand vor minuten stunden tagen "
    "publié mis à jour le il y a publicado actualizado el hace de del pubblicato aggiornato "
    "alle fa opublikowano aktualizacja".split()
)
# A guillemet quotation: «...» and ‹...›, and the German »...« hugging its words (a trail's
# marks stand apart: "Blog » »Zitat«" quotes from the second mark on).
_QUOTE_PAIRS = re.compile(r"«([^«»\n]*)»|»(\S[^«»\n]*?\S|\S)«|‹([^‹›\n]*)›")
CRUMB_MAX_WORDS = 4  # a crumb names a section, in a few words
STAMP_MAX_LETTERS = 6  # letters of other words a date may stand with and still be a stamp


def rejects(text: str, page: PageNames) -> str:
    """Why ``text`` can never be the headline ("" when it can)."""
    if is_address(text):
        return "address"
    if is_notice(text):
        return "notice"
    if is_timestamp(text):
        return "timestamp"
    if is_breadcrumb(text, page.menu):
        return "breadcrumb"
    return ""


def settle(text: str, page: PageNames) -> str:
    """The headline a candidate ``text`` gives once every guard has had its say ("" for none).

    :func:`cut_crumbs` and :func:`rejects` shape the candidates the headline ranker learns
    from and scores, and ``text`` has passed them. This is the last word on the line it
    prefers, with the checks that need only hold of the answer (:func:`refuses`); a trail
    led by "You are here:" is cut off the headline after it, which then passes every guard.
    """
    cut = text.strip()
    lead = TRAIL_LEAD.match(cut)
    if lead:
        cut = _after_lead(cut[lead.end() :], page.menu)
        return "" if not cut or forbids(cut, page) else cut
    return "" if refuses(cut) else cut


def forbids(text: str, page: PageNames) -> str:
    """Why ``text`` can never be the answer, by every guard ("" when it can)."""
    return rejects(text, page) or refuses(text)


def refuses(text: str) -> str:
    """Why ``text`` is no headline, by the checks made on the ranker's choice only.

    A trail of spaced slashes or one led by "You are here:", a link back to another post
    ("← Older post") or a skip link ("Skip to content"), a server's error message, a member
    of structured data printed as text ('"headline": "...",' of a JSON-LD block), a line cut
    off mid-phrase ("Search for:") and a byline.
    """
    if TRAIL_LEAD.match(text) or is_slashed_trail(text):
        return "breadcrumb"
    if _BACK.match(_unquoted(text)) or SKIP_LINK.match(text):
        return "navigation"
    if SERVER_ERROR.match(text):
        return "notice"
    if DATA_MEMBER.match(text):
        return "data"
    if _open_ended(text):
        return "fragment"
    if byline_names(text):
        return "byline"
    return ""


def _open_ended(text: str) -> bool:
    """Does the line stop mid-phrase, on a comma, colon or semicolon or a joining word?"""
    end = text.rstrip()
    if end[-1:] in _OPEN_MARKS:
        return True
    words = end.rsplit(None, 1)
    return len(words) == 2 and words[1] in _JOINING_ENDS


def is_slashed_trail(text: str) -> bool:
    """Section names parted by spaced slashes, with no "Home" to start them ("News / World /
    Europe"): three names or more, each a few words with no comma, as a trail's are."""
    parts = _SLASHED.split(text.strip())
    return (
        len(parts) >= 3
        and "," not in text
        and all(0 < len(p.split()) <= CRUMB_MAX_WORDS for p in parts)
    )


def _after_lead(rest: str, menu: Collection[str]) -> str:
    """What follows a trail's lead ("You are here:") is the trail, and a headline only when
    what is left past the section names is longer than a section name."""
    parts = _SPACED.split(rest)
    if len(parts) >= 2 and all(len(p.split()) <= CRUMB_MAX_WORDS for p in parts[:-1]):
        rest = parts[-1]
    else:
        cut = cut_crumbs(rest, menu)
        rest = cut if cut != rest.strip() else _drop_names(cut, menu, glued=False)
    rest = rest.strip()
    return rest if len(rest.split()) > CRUMB_MAX_WORDS else ""


def is_timestamp(text: str) -> bool:
    """A date, time or reading time with little else ("Updated Nov 19, 9:41 AM").

    "Little else" is stricter here than for :func:`is_dateline`, which also takes a
    date with a word or two beside it as a stamp: a headline may name a date ("Weekly
    Edition for March 26, 2015"), so only stamp words, and a few letters more (a "Data:",
    or the "年 月 日" of a CJK date), may stand beside the date.
    """
    if _TIME_ONLY.match(text):
        return True
    if len(text) > 120 or not _DIGIT.search(text):
        return False
    words = _WORD.findall(text.casefold())
    other = [
        w
        for w in words
        if not (w.isdigit() or _ORDINAL.match(w) or w in _STAMP_WORDS or is_month_name(w))
    ]
    return not other or (sum(map(len, other)) <= STAMP_MAX_LETTERS and is_dateline(text))


def is_breadcrumb(text: str, menu: Collection[str] = ()) -> bool:
    """A trail of section names: "Home › World › Europe", "News / Politics /", "Home News".

    After :func:`cut_crumbs` has cut a trail off a headline, what is left is a trail only
    when nothing but section names remain.
    """
    stripped = _unquoted(text.strip())
    if not stripped:
        return False
    if stripped[-1] in CRUMB_MARKS or stripped[0] in CRUMB_MARKS:
        return True
    parts = [p for p in _CHEVRONS.split(stripped) if p.strip()]
    if len(parts) >= 2 and all(len(p.split()) <= CRUMB_MAX_WORDS for p in parts):
        return True
    first = _first_word(stripped)
    if first.casefold() in HOME_WORDS:
        return cut_crumbs(stripped, menu) == ""
    return False


def cut_crumbs(text: str, menu: Collection[str] = ()) -> str:
    """The headline with any breadcrumb trail in front of it cut off ("" if all trail).

    Trails come parted by chevrons ("Home › News › Headline"), by spaced slashes or bars
    after "Home", spaced without marks ("Home News Business Headline", where the names
    are the page's menu entries) or glued ("HomeLatest NewsHeadline", where each name
    ends in a lowercase letter run straight into the next capital). A line that merely
    starts with the word ("Home sales rise") is no trail.
    """
    stripped = text.strip()
    parts = _CHEVRONS.split(_unquoted(stripped))
    leading = parts[:-1]
    if leading and all(len(p.split()) <= CRUMB_MAX_WORDS for p in leading):
        if len(leading) >= 2 or _is_home(leading[0]) or key_of(leading[0]) in menu:
            # Unquoting keeps every character's place: the same tail of the original.
            return stripped[len(stripped) - len(parts[-1]) :].strip()
    first = _first_word(stripped)
    if first.casefold() not in HOME_WORDS:
        return stripped
    rest = stripped[len(first) :]
    spaced = _SPACED.split(rest)
    if len(spaced) >= 2 and all(len(p.split()) <= CRUMB_MAX_WORDS for p in spaced[:-1]):
        return spaced[-1].strip()
    glued = rest[:1].isupper()
    if not glued and not _menu_prefix(rest.strip(), menu):
        return stripped
    return _drop_names(rest.strip(" :-|/"), menu, glued)


def _unquoted(text: str) -> str:
    """Guillemets that pair up quote ("»Kein Geld mehr«", "«Vape Wave»"): no trail marks.

    Each pair becomes plain quotes of the same width, so every character keeps its place
    and a cut made on the result applies to the original.
    """
    if "«" in text or "‹" in text:  # every pair has one of these
        text = _QUOTE_PAIRS.sub(lambda m: '"' + (m.group(m.lastindex or 0)) + '"', text)
    return text


def _is_home(text: str) -> bool:
    return key_of(text) in HOME_WORDS


def _first_word(text: str) -> str:
    """The leading word, split off a glued capital ("HomeLatest" -> "Home")."""
    match = re.match(r"[^\W\d_]+", text)
    if match is None:
        return ""
    word = match.group(0)
    glued = _GLUE.search(word)
    return word[: glued.start()] if glued else word


def _drop_names(rest: str, menu: Collection[str], glued: bool) -> str:
    """Cut leading section names: menu entries of the page, and (in a glued trail) one
    name glued to what follows even when the menu does not list it."""
    trust_glue = glued
    while rest:
        cut = _menu_prefix(rest, menu)
        glue = _glued_prefix(rest) if glued and not cut else 0
        if glue and key_of(rest[:glue]) in menu:
            cut = glue
        elif glue and trust_glue:
            cut, trust_glue = glue, False
        if not cut:
            break
        rest = rest[cut:].strip(" :-|/")
    return rest


def _menu_prefix(rest: str, menu: Collection[str]) -> int:
    """Length of the longest run of leading words that is an entry of the page's menu."""
    words = list(re.finditer(r"\S+", rest))
    for count in range(min(CRUMB_MAX_WORDS, len(words) - 1), 0, -1):
        end = words[count - 1].end()
        if key_of(rest[:end]) in menu:
            return end
    return 0


def _glued_prefix(rest: str) -> int:
    """Length of a leading capitalized name glued to the next capital ("Latest NewsNolly")."""
    glued = _GLUE.search(rest)
    if glued is None or not rest[:1].isupper():
        return 0
    head = rest[: glued.start()]
    words = head.split()
    if len(head) < 3 or len(words) > CRUMB_MAX_WORDS or not words[-1][:1].isupper():
        return 0
    return glued.start()


class PageNames:
    """What the page calls itself and its sections: site names and menu entries.

    Site names come from what only a site's own name looks like: a bare domain line, the
    holder named in a copyright line ("© 2024 The Daily Planet"). Menu entries are the
    short lines of the page, which a breadcrumb repeats.
    """

    __slots__ = ("menu", "sites")

    def __init__(self, lines: Sequence[Line]) -> None:
        self.menu: set[str] = set()
        self.sites: set[str] = set()
        for line in lines:
            if line.words <= CRUMB_MAX_WORDS and not line.terminal:
                self.menu.add(line.key)
            if DOMAIN.match(line.text):
                self.sites.add(line.key)
                self.sites.add(key_of(line.text.rsplit(".", 1)[0]))
            if line.weight <= 200 and COPYRIGHT.search(line.text):
                holder = _copyright_holder(line.text)
                if holder:
                    self.sites.add(holder)
        self.sites.update(_bylined_outlets(lines))
        self.menu.discard("")
        self.sites.discard("")

    def is_site_name(self, text: str) -> bool:
        """Is the line just the site's name (or its domain)?"""
        key = key_of(text)
        return key in self.sites or bool(DOMAIN.match(text.strip()))


# Two people's names joined by "and" ("Lisa Okafor and Daniel J. Brandt"): the start of an
# author line that runs on into the outlet's name without a separator.
_NAME = r"[A-Z][\w'’-]*\.?(?:\s+[A-Z][\w'’-]*\.?){1,3}"
_TWO_NAMES = re.compile(rf"(?:By\s+)?{_NAME}\s+and\s+{_NAME}")
_OUTLET_WORDS = 5  # an outlet's name is a few words ("Sioux Falls Argus Leader")


def _bylined_outlets(lines: Sequence[Line]) -> set[str]:
    """Names the page prints alone and again closing an author line ("The Daily Ledger" over
    the menu, "Lisa Okafor and Daniel Brandt The Daily Ledger" under the headline).

    Printed where the authors' newspaper goes, such a line is the site's (or the paper's)
    name, however much its place at the top of the page looks like a title's.
    """
    alone = {line.key for line in lines if line.words <= _OUTLET_WORDS and not line.terminal}
    found: set[str] = set()
    for line in lines:
        if " and " in line.text and not line.terminal and line.words <= 16:
            split = split_outlet(line.text, alone)
            if split is not None:
                found.add(split[1])
    return found


def split_outlet(text: str, outlets: Collection[str]) -> tuple[str, str] | None:
    """An author line that runs two people's names on into one of ``outlets`` (keys, as
    :func:`.lines.key_of` makes them): the names, and the outlet's key; else None."""
    words = text.split()
    for n in range(1, min(_OUTLET_WORDS, len(words) - 4) + 1):
        tail = key_of(" ".join(words[-n:]))
        if tail in outlets:
            names = " ".join(words[:-n])
            if _TWO_NAMES.fullmatch(names):
                return names, tail
    return None


def _copyright_holder(text: str) -> str:
    """ "© 2019 The Daily Planet. All rights reserved." -> "the daily planet"."""
    rest = COPYRIGHT.sub("", text.strip(), count=1)
    rest = re.sub(r"^\W*(?:copyright\W*)?(?:(?:19|20)\d\d\s*[-–]?\s*)+", "", rest, flags=re.I)
    rest = re.split(r"[.|,;]\s|\s[-–|]\s|\ball rights\b", rest, maxsplit=1, flags=re.I)[0]
    key = key_of(rest)
    return key if 0 < len(key.split()) <= 5 and not has_date(rest) else ""
