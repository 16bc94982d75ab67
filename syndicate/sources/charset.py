"""Bytes to text: the one decoder chain every input kind goes through.

The chain, in the order the HTTP, XML and HTML specifications give precedence:

1. a byte order mark (UTF-8, UTF-16 LE/BE) wins over everything;
2. the charset the HTTP ``Content-Type`` header names;
3. the document's own declaration: ``<?xml encoding=...?>`` or ``<meta charset=...>``;
4. UTF-8;
5. charset detection (charset-normalizer), kept only when the text it yields is clean;
6. the kind's last resort (:class:`Fallback`): refuse with a :class:`ParseError`, or read as
   windows-1252 the way browsers read unlabelled Western pages.

A label or declaration that does not decode the bytes is not trusted: the next step is tried.
Whenever the text did not come from what the input said (a wrong label, detection, the
windows-1252 fallback) :attr:`Decoded.note` says so, for the run log and ``ingest``'s output:
a repaired encoding is reported, never silent.

Kinds choose their last resort (a :class:`Policy`): Markdown and JSON are UTF-8 by their
specifications (RFC 8259 §8.1), so undecodable bytes there are a broken file and are refused;
scraped page text and HTML are what browsers display, so they fall back like a browser.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import Enum

from charset_normalizer import from_bytes

from syndicate.errors import ParseError

# Above this much charset-detector "chaos", a guessed decoding is mojibake, not text.
MAX_DECODE_CHAOS = 0.1
# Detection on a few bytes is a coin toss (a 14-byte cp1252 line reads as Shift-JIS with no
# chaos at all); below this many bytes it is not tried.
MIN_DETECT_BYTES = 256
DECLARATION_BYTES = 4096  # where an XML declaration or <meta charset> must appear
# Valid multi-byte UTF-8 characters needed before a few broken ones count as damage to UTF-8
# text rather than a sign of another encoding.
MIN_UTF8_SEQUENCES = 2
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class Fallback(Enum):
    """What a kind does when nothing in the chain reads its bytes cleanly."""

    REFUSE = "refuse"  # ParseError naming the first undecodable byte
    WINDOWS_1252 = "windows-1252"  # the WHATWG default for unlabelled Western documents


@dataclass(frozen=True, slots=True)
class Policy:
    """How one input kind ends the chain: whether to try detection, and its last resort."""

    fallback: Fallback
    detect: bool = True


# Markdown and JSON: UTF-8 (or a BOM) or refused; a guess would hide a broken file.
UTF8_ONLY = Policy(Fallback.REFUSE, detect=False)
# Scraped page text and HTML: read as a browser reads them, never refused.
AS_BROWSERS_DO = Policy(Fallback.WINDOWS_1252)
# Fetched feeds: detection may repair a wrong label; otherwise the fetch fails readably.
LABELLED = Policy(Fallback.REFUSE)


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text, the codec that produced it, and a note when it is not what the input claimed."""

    text: str
    encoding: str
    note: str = ""


def decode(data: bytes, origin: str, *, policy: Policy = LABELLED, label: str = "") -> Decoded:
    """The text of ``data``, by the chain above; ``label`` is the HTTP charset, if any.

    Raises :class:`ParseError` naming ``origin`` when the policy's fallback is to refuse and
    nothing reads the bytes.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(encoding, errors="replace"), encoding)
    claimed = codec_name(label)
    for encoding in _unique((claimed, declared_encoding(data), "utf-8")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = (
            f"labelled {label} but decoded as {display_name(encoding)}"
            if claimed and encoding != claimed
            else ""
        )
        return Decoded(text, encoding, note)
    wanted = claimed or "utf-8"
    was = f"not {wanted} as labelled" if claimed else "not UTF-8 text"
    if policy.detect:
        repaired = _mostly_utf8(data) if wanted == "utf-8" else None
        if repaired is not None:
            text, bad = repaired
            note = f"{was}: {bad} malformed byte(s) replaced by U+FFFD, the rest read as UTF-8"
            return Decoded(text, "utf-8", note)
    if policy.detect and len(data) >= MIN_DETECT_BYTES:
        found = _detected(data)
        if found is not None:
            text, encoding = found
            return Decoded(
                text, encoding, f"{was}; decoded as {display_name(encoding)} by detection"
            )
    if policy.fallback is Fallback.WINDOWS_1252:
        note = f"{was}; decoded as windows-1252"
        return Decoded(data.decode("cp1252", errors="replace"), "cp1252", note)
    raise ParseError(origin, _refusal(data, wanted, policy.detect))


def display_name(codec: str) -> str:
    """A codec as people know it, by its WHATWG/IANA label: ``cp1252`` is ``windows-1252``."""
    name = codecs.lookup(codec).name if codec else codec
    if name.startswith("cp125"):
        return "windows-" + name[2:]
    return re.sub(r"^iso8859-", "iso-8859-", name)


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 text with a few broken sequences (a bad byte pasted in, a truncated character),
    as ``(text with U+FFFD for them, how many)``; ``None`` when the bytes are not that.

    Detection would read such text as a legacy encoding and garble every other non-ASCII
    character in it ("Café" becoming "CafĂ©"); browsers read it as UTF-8 and mark the bad
    bytes, and so do we, when the valid multi-byte characters are at least as many as the
    broken sequences (text in a one-byte encoding has next to none: its accented letters are
    single bytes, which UTF-8 never pairs with the ASCII that follows them).
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if bad <= 0 or valid < MIN_UTF8_SEQUENCES or bad > valid:
        return None
    return text, bad


def declared_encoding(data: bytes) -> str:
    """The codec an XML declaration or ``<meta charset>`` near the start names; "" if none."""
    head = data[:DECLARATION_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return codec_name(match[1].decode("ascii")) if match else ""


def codec_name(label: str) -> str:
    """Python's codec for a charset label, as the WHATWG encoding standard maps it; "" if none.

    WHATWG: "iso-8859-1" and "us-ascii" labels mean windows-1252, and browsers decode them so.
    """
    if not label:
        return ""
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return ""
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _detected(data: bytes) -> tuple[str, str] | None:
    best = from_bytes(data).best()
    if best is None or best.chaos > MAX_DECODE_CHAOS:
        return None
    return str(best), codec_name(best.encoding) or best.encoding


def _refusal(data: bytes, wanted: str, detected: bool) -> str:
    if wanted == "utf-8" and not detected:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}"
    return f"the body is not {wanted} text as labelled, and no other encoding reads it cleanly"


def _unique(names: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
