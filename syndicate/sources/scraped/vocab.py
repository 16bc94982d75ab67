"""Word lists that mark a line as something other than the article: notices, code, addresses.

Layout says most of what a line is; these lists add what layout cannot: a cookie banner is a
long sentence like any paragraph, an inline script is long and punctuated, a URL has no
spaces to tell it from a word. Each list covers several languages and names no site.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

URL = re.compile(r"^(?:(?:https?|ftp)://|www\.)\S+$|^\S+\.[a-z]{2,6}/\S*$", re.IGNORECASE)
EMAIL = re.compile(r"^(?:mailto:)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+$", re.IGNORECASE)
HAS_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+", re.IGNORECASE)
DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)

# Consent, cookie and privacy banners, and the status or error notices scripts leave behind.
# Each phrase needs its context ("cookies" and a word about using or accepting them), so a
# recipe for cookies or a story about consent is not a notice.
_NOTICE_PHRASES = (
    r"cookies?\b.{0,80}\b(?:accept\w*|consent|settings|polic\w+|browser|website|enable\w*|"
    r"agree\w*|akzept\w+|einstellung\w*|acept\w+|aceit\w+|accett\w+)\b",
    r"(?:we|wir|nous|this (?:web)?site|our (?:web)?site|website|site) (?:uses?|is using|"
    r"verwende[nt]?|nutz(?:en|t)|utilis\w+|utiliz\w+|usa(?:mos)?) (?:\w+ )?cookies",
    r"(?:accept|allow|manage|reject|decline|use of|uso de|utilisation des) (?:all )?cookies|"
    r"cookie (?:policy|settings|preferences|notice|consent|banner)",
    r"privacy (?:policy|notice|settings|statement|preferences|center|centre)|your privacy|"
    r"privacy (?:&|and) cookies|terms of (?:use|service)|terms and conditions",
    r"(?:manage|your|withdraw|give) consent|consent (?:preferences|settings|management)",
    r"datenschutz(?:erklärung|hinweise?|einstellungen|richtlinie)|politique de confidentialit",
    r"pol[ií]tica de (?:privacidad|privacidade|cookies)|informativa (?:sulla )?privacy",
    r"политик\w* конфиденциальности|개인정보\s*(?:처리|취급)방침|個人情報(?:保護方針|の取り扱い)|"
    r"プライバシー(?:ポリシー|ー)",
    r"something went wrong|an error (?:has )?occurred|an unexpected error|oops\b",
    r"(?:please )?(?:enable|turn on|activate) (?:javascript|cookies)|javascript (?:is )?"
    r"(?:disabled|required|not enabled|turned off)",
    r"your browser (?:is out of date|is not supported|does not support|is outdated)|"
    r"unsupported browser|update your browser",
    r"page not found|error 404|404 (?:error|not found|page)|access denied|"
    r"connection (?:lost|error|failed|timed out)|(?:please )?try again later|please try again|"
    r"(?:unable|failed) to load|could not be loaded",
)
NOTICE = re.compile(r"\b(?:" + "|".join(_NOTICE_PHRASES) + r")", re.IGNORECASE)

# What inline script and style text looks like once a browser prints it as text.
CODE = re.compile(
    r"[{};]\s*$|^\s*[}{)\]]|\bfunction\s*\(|=>|\bvar\s+\w+\s*=|\b(?:let|const)\s+\w+\s*=|"
    r"\bwindow\.\w|\bdocument\.\w|\w+\.push\(|\w\(\s*\)\s*[;{]|[\w-]+\s*:\s*[^;]{1,40};|"
    r"!important|@media|\b(?:px|em|rem)\b\s*[;}]|^\s*[.#][\w-]+\s*\{|<\/?\w+[^>]*>|"
    r"\bif\s*\(|\breturn\s|\bnull\b|\bundefined\b|\btrue\b|\bfalse\b|==|\|\||&&",
)

# "Home" as breadcrumb trails start it, in the languages the other lists cover.
HOME_WORDS = frozenset(
    "home homepage start startseite inicio início portada accueil главная головна "
    "strona główna anasayfa beranda 홈 ホーム 首页 首頁".split()
)
# What parts a breadcrumb's names ("News > Politics", "News / Politics", "News | Politics");
# a middle dot parts a title's own words as often ("Harbour Days · A Film"), so it is none.
CRUMB_SEPARATOR = re.compile(r"\s*(?:>|»|›|/|\|)\s*")
CRUMB_MARKS = frozenset(">»›→")
# What a trail says before it starts ("You are here: Home > News"), in the same languages;
# always with its colon, so a headline that starts with the words is none.
TRAIL_LEAD = re.compile(
    r"^\W*(?:you are here|sie sind hier|vous [êe]tes ici|est[áa]s? aqu[íi]|usted est[áa] aqu[íi]|"
    r"voc[êe] est[áa] aqui|sei qui|ti trovi qui|u bevindt zich hier|u bent hier|"
    r"jeste[śs] tutaj|du er her|du är här|olet tässä|вы здесь|ви тут|"
    r"buradasınız|anda di sini)\s*:\s*",
    re.IGNORECASE,
)
# A link that skips to the page's content, for keyboards and screen readers.
SKIP_LINK = re.compile(
    r"^\W*(?:skip|jump) to (?:the )?(?:main |page )?(?:content|navigation|menu|search|footer)|"
    r"^\W*(?:zum|direkt zum|springe?n? zum) (?:haupt)?(?:inhalt|navigation|menü)|"
    r"^\W*(?:aller|passer|accéder) (?:au|directement au) contenu|"
    r"^\W*(?:saltar|ir) al contenido|^\W*(?:vai|salta) al contenuto|"
    r"^\W*pular para o conteúdo|^\W*przejdź do (?:treści|zawartości)",
    re.IGNORECASE,
)
# A server's error or warning printed into the page ("Warning: mysql_connect(): ... on line 12").
SERVER_ERROR = re.compile(
    r"^\W*(?:warning|notice|deprecated|strict standards|(?:catchable )?fatal error|"
    r"parse error)\s*:\s.*(?:\(\)|\bon line \d|\bin /|\bundefined\b|\bexpected\b)",
    re.IGNORECASE,
)
# A member of structured data printed as text: '"headline": "...",' of a JSON-LD block. A
# number or literal must end the member, so a quoted word before a colon ('"No": 4 reasons')
# is no data.
DATA_MEMBER = re.compile(
    r'^\s*[{\[]?\s*"[\w@$.:-]{1,40}"\s*:\s*'
    r"(?:[\"\[{]|(?:-?\d[\d.eE+-]*|true|false|null)\s*[,}\]]?\s*$)"
)

COPYRIGHT = re.compile(r"^(?:copyright\b|©|\(c\))", re.IGNORECASE)


# Words one of which every notice phrase holds: a cheap test before the costly one.
_NOTICE_HINTS = (
    "cookie",
    "privacy",
    "consent",
    "terms",
    "wrong",
    "error",
    "oops",
    "javascript",
    "browser",
    "not found",
    "404",
    "denied",
    "connection",
    "try again",
    "load",
    "datenschutz",
    "confidentialit",
    "privacidad",
    "privacy",
    "cookies",
    "конфиденциальн",
    "개인정보",
    "個人情報",
    "プライバシー",
)


def is_notice(text: str, kinds: frozenset[str] | None = None) -> bool:
    """A consent, cookie, privacy, status or error notice (short enough to be one)."""
    if len(text) > 400:
        return False
    if kinds is None:
        kinds = hint_kinds(text.lower())
    return "notice" in kinds and bool(NOTICE.search(text))


def is_address(text: str) -> bool:
    """A URL, a bare domain or an e-mail address standing as a whole line."""
    t = text.strip().rstrip("/")
    return bool(URL.match(t) or EMAIL.match(t) or (DOMAIN.match(t) and "." in t))


# One scan in C for any of the marks: a set's ``isdisjoint`` hashes every character.
_CODE_MARKS = re.compile(r"[{}=;<>|&]")


def code_share(text: str) -> float:
    """How much of the line reads like script or style source (0 to 1)."""
    if _CODE_MARKS.search(text) is None:
        return 0.0  # source text always holds one of these
    hits = len(CODE.findall(text))
    return min(1.0, hits / max(1.0, len(text) / 40.0))


# Comment threads: the reply and vote buttons and "says:" lines around each comment.
COMMENT = re.compile(
    r"(?:reply|replies|\d+ repl(?:y|ies)|report|like|dislike|share|flag|permalink|"
    r"antworten|responder|répondre|rispondi|ответить|답글|返信|回复|"
    r"log in to reply|login to reply|in reply to .{1,40}|score:? ?-?\d+.*|\d+ points?.*|"
    r"\d+ (?:likes?|votes?|upvotes?))\W*$",
    re.IGNORECASE,
)
_SAYS = re.compile(r"\b(?:says|wrote|schreibt|dice|disse|a écrit)\s*:$", re.IGNORECASE)
# Legal lines of a page footer.
FOOTER = re.compile(
    r"all rights reserved|alle rechte vorbehalten|todos los derechos|tous droits|"
    r"tutti i diritti|todos os direitos|все права|©|\bcopyright\b|\(c\) \d{4}|trademarks? of|"
    r"registered trademark|disclaimer|impressum|mentions légales|aviso legal",
    re.IGNORECASE,
)

# A caption names its picture's source or says what it shows, usually at its end.
CAPTION = re.compile(
    r"\((?:image|photo|picture|foto|bild|credit|source|pictured|file|video)\b[^)]{0,60}\)|"
    r"\b(?:image|photo|picture|foto|bild|credit|fotos?|imagen|crédit|credito)s?\s*"
    r"(?:by|von|de|di|par)?\s*:\s*[^.]{0,60}$|\(photo by [^)]{0,80}\)|"
    r"\b(?:getty images|shutterstock|istock(?:photo)?|reuters|afp|ap photo|epa|dpa|picture "
    r"alliance|imago)\b[^.]{0,30}\)?\s*$|/(?:afp|ap|reuters|getty)\b",
    re.IGNORECASE,
)
# "READ MORE: Another story" and the like: a promotion of another page, not the article.
PROMO = re.compile(
    r"^(?:read more|see more|read also|also read|read next|more|related|recommended|watch|"
    r"listen|see also|don't miss|trending|popular|click here|lesen sie (?:auch|mehr)|"
    r"mehr zum thema|auch interessant|leia (?:também|mais)|lee también|lire aussi|"
    r"à lire aussi|leggi anche|baca juga|читайте также|смотрите также)\s*[:>»|-]",
    re.IGNORECASE,
)
# The small print under comment forms and sign-up boxes.
FORM = re.compile(
    r"personal data|data protection|submitting this form|required fields|"
    r"email address will not be published|reduce spam|newsletter|unsubscribe|logged in|"
    r"(?:post|leave|write) a (?:comment|reply)|to (?:comment|reply)|"
    r"(?:sign|log) ?(?:in|up)\b|subscribe|terms of (?:use|service)|"
    r"personenbezogen|datenschutz|datos personales|données personnelles|dati personali",
    re.IGNORECASE,
)
GLUED = re.compile(r"[a-z0-9,.!?)][A-Z][a-z]")


_CAPTION_HINTS = (
    "(",
    "image",
    "photo",
    "picture",
    "foto",
    "bild",
    "credit",
    "imagen",
    "crédit",
    "getty",
    "shutterstock",
    "istock",
    "reuters",
    "afp",
    "ap ",
    "epa",
    "dpa",
    "alliance",
    "imago",
)
_FORM_HINTS = (
    "logged",
    "comment",
    "reply",
    "personal",
    "protection",
    "submitting",
    "required",
    "published",
    "spam",
    "newsletter",
    "subscri",
    "sign",
    "log in",
    "login",
    "terms of",
    "personenbezogen",
    "datenschutz",
    "datos personales",
    "données personnelles",
    "dati personali",
)
_FOOTER_HINTS = (
    "rights",
    "rechte",
    "derechos",
    "droits",
    "diritti",
    "direitos",
    "права",
    "©",
    "copyright",
    "(c)",
    "trademark",
    "disclaimer",
    "impressum",
    "légales",
    "legal",
)
_URL_HINTS = ("http", "www.", "@")


_HINTS = {
    "notice": _NOTICE_HINTS,
    "caption": _CAPTION_HINTS,
    "form": _FORM_HINTS,
    "footer": _FOOTER_HINTS,
    "url": _URL_HINTS,
}
_ALL_HINTS = sorted({h for hints in _HINTS.values() for h in hints}, key=lambda h: (-len(h), h))


def trie(words: Sequence[str]) -> str:
    """One pattern for many literals, grouped by their first letters ("c(?:ookie|opy)..."):
    the regex engine tries each letter once per position, not each word."""
    if "" in words:
        rest = [w for w in words if w]
        return f"(?:{trie(rest)})?" if rest else ""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    parts = [re.escape(first) + trie(tails) for first, tails in sorted(groups.items())]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


_HINT = re.compile(trie(_ALL_HINTS))
# A hint found stands for every list holding it or a part of it ("(c)" holds "(").
_KINDS = {
    found: frozenset(kind for kind, hints in _HINTS.items() if any(h in found for h in hints))
    for found in _ALL_HINTS
}


def hint_kinds(low: str) -> frozenset[str]:
    """Which of the costly tests a lowercased line can pass, found in one scan of it."""
    kinds: frozenset[str] = frozenset()
    for found in _HINT.findall(low):
        kinds |= _KINDS[found]
    return kinds


def page_hint_kinds(texts: Sequence[str]) -> list[frozenset[str]]:
    """:func:`hint_kinds` of every line, found in one scan of the whole page.

    One pass of the pattern over the joined text costs far less than one call per line.
    """
    lows = [t.lower() for t in texts]
    starts: list[int] = []
    at = 0
    for low in lows:
        starts.append(at)
        at += len(low) + 1
    kinds: list[frozenset[str]] = [frozenset()] * len(lows)
    for match in _HINT.finditer("\n".join(lows)):
        i = bisect_right(starts, match.start()) - 1
        kinds[i] = kinds[i] | _KINDS[match.group()]
    return kinds


def is_caption(text: str, kinds: frozenset[str]) -> bool:
    """Does the line name a picture's source or say what it shows?"""
    return "caption" in kinds and len(text) <= 500 and bool(CAPTION.search(text))


def is_form(text: str, kinds: frozenset[str]) -> bool:
    """Small print of a comment form or sign-up box."""
    return "form" in kinds and bool(FORM.search(text))


def is_footer(text: str, kinds: frozenset[str]) -> bool:
    """A legal line of the page footer."""
    return "footer" in kinds and bool(FOOTER.search(text))


def has_url(text: str, kinds: frozenset[str]) -> bool:
    """Does the line hold a URL or an e-mail address?"""
    return "url" in kinds and bool(HAS_URL.search(text))


def is_comment_furniture(text: str) -> bool:
    """A reply or vote button, or the "says:" line over a comment."""
    return bool(COMMENT.match(text)) or (text.endswith(":") and bool(_SAYS.search(text)))


# Where a title runs straight into the sentence after it: "...To 250,000The state will".
_TITLE_GLUE = re.compile(r"[a-z0-9)'’”!?](?=[A-Z](?:[a-z]|\s))")


def is_glued_teaser(text: str) -> bool:
    """A teaser: another story's title glued, without a space, to the start of its summary.

    Lists of other stories print each title and summary as one line when the two sat in
    separate elements; what precedes the glue is title-cased, what follows is a sentence.
    """
    if len(text) < 50:
        return False
    for glue in _TITLE_GLUE.finditer(text, 0, 200):
        head, tail = text[: glue.end()], text[glue.end() :]
        words = [w for w in head.split() if w[:1].isalpha()]
        # Title case: every word of four letters or more capitalized ("Of", "to" may not be).
        # and the summary after it is a sentence: it has lowercase words near its start.
        titled = all(w[0].isupper() for w in words if len(w) > 3)
        sentence = any(w.islower() and len(w) > 3 for w in tail.split(None, 6)[:6])
        if len(words) >= 3 and len(tail) >= 30 and titled and sentence:
            return True
    return False


# Advertising and analytics scripts, whose source a few pages print as text.
_PAGE_SCRIPT = re.compile(
    r"\b(?:googletag|dataLayer|gtag|adsbygoogle|_taboola|taboola|fbq|_gaq|__tcfapi|pbjs|"
    r"apstag|googlefc|OptanonWrapper|_comscore|window\.\w+|document\.(?:write|getElement\w*|"
    r"querySelector\w*|createElement|cookie))\b"
)


def is_page_script(text: str) -> bool:
    """Source of the page's own ad, analytics or consent scripts: never the article."""
    return code_share(text) >= 0.3 and bool(_PAGE_SCRIPT.search(text))


# The heading of a comment section: "167 Comments", "Leave a Reply", "Kommentare (12)".
_COMMENTS_HEADING = re.compile(
    r"^\W*(?:\d+\s+)?(?:top rated |reader |user )?(?:comments?|responses?|replies|reactions|"
    r"kommentare?|leserkommentare|commentaires?|comentarios?|commenti|comentários|"
    r"комментари\w*|댓글|コメント|评论)(?:\s*\(\d+\))?(?:\s*\d+)?\W*$|"
    r"^(?:leave a (?:reply|comment)|join the (?:discussion|conversation)|add a comment|"
    r"post a comment|write a comment|kommentar schreiben|laisser un commentaire|"
    r"deja un comentario|lascia un commento|deixe um comentário)\b",
    re.IGNORECASE,
)


def is_comments_heading(text: str) -> bool:
    """The heading or count that opens a page's comment section."""
    return len(text) <= 60 and bool(_COMMENTS_HEADING.search(text))
