"""The measuring corpora: pages with their true headline and body, and what each line is.

A corpus folder holds ``PAGE.txt``, ``PAGE.html`` and an ``expected.jsonl`` line per page
(``page``, ``url``, ``headline``, ``articleBody``, and ``byline`` where the corpus has one).
Three are read: ``pages`` (bodies checked by people), ``readability`` (Readability's
test-checked output) and ``silver`` (trafilatura's output, headlines from markup).

Lines are labelled for training from the true body by the measure itself: a line is body
when most of its 4-token shingles are in the true body (a shorter line: when its words are),
and the line that repeats the true headline is not (the headline is the title, not body).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urlsplit

CORPORA = ("pages", "readability", "silver")
TOKEN = re.compile(r"\w+")
NEAR_MATCH = 0.8  # token-set similarity at which a headline counts as right
BODY_SHARE = 0.5  # share of a line's shingles in the true body that makes it body


@dataclass(frozen=True)
class Sample:
    """One corpus page: where it is from, its inputs and its truth."""

    corpus: str
    name: str
    site: str  # host of its URL (the group for cross-validation), else the page name
    text: bytes
    html: bytes
    headline: str
    body: str
    byline: str | None  # None where the corpus has no byline truth


def load(root: Path, corpora: tuple[str, ...] = CORPORA) -> list[Sample]:
    """Every page of the named corpora under ``root`` that has an ``expected.jsonl``."""
    samples: list[Sample] = []
    for corpus in corpora:
        folder = root / corpus
        expected = folder / "expected.jsonl"
        if not expected.exists():
            continue
        for row in _rows(expected):
            name = row["page"]
            html = folder / f"{name}.html"
            samples.append(
                Sample(
                    corpus=corpus,
                    name=name,
                    site=_site(row.get("url") or "", f"{corpus}/{name}"),
                    text=(folder / f"{name}.txt").read_bytes(),
                    html=html.read_bytes() if html.exists() else b"",
                    headline=row.get("headline", ""),
                    body=row.get("articleBody", ""),
                    byline=row.get("byline"),
                )
            )
    return samples


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _site(url: str, fallback: str) -> str:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return host or fallback


# --- the measure ---------------------------------------------------------------------------


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of ``size``-token shingles; a shorter text is one shingle."""
    tokens = TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def normalize_headline(text: str) -> str:
    """Casefolded word tokens, NFKC, so punctuation and spacing differences do not count."""
    return " ".join(TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


def headline_match(predicted: str, true: str) -> tuple[bool, bool]:
    """(exact, near): normalized equality, and token-set similarity >= NEAR_MATCH."""
    a, b = normalize_headline(predicted), normalize_headline(true)
    if not a or not b:
        return False, False
    if a == b:
        return True, True
    set_a, set_b = set(a.split()), set(b.split())
    jaccard = len(set_a & set_b) / len(set_a | set_b)
    # CJK headlines are a few long tokens; compare their characters too.
    ratio = SequenceMatcher(None, a, b).ratio()
    return False, max(jaccard, ratio) >= NEAR_MATCH


# --- labels --------------------------------------------------------------------------------


def body_labels(texts: list[str], body: str, headline: str) -> list[int]:
    """1 for each line of the page that belongs to the true body, else 0."""
    gold = shingles(body)
    joined = " " + " ".join(TOKEN.findall(body)) + " "
    labels = []
    for text in texts:
        tokens = TOKEN.findall(text)
        if not tokens:
            labels.append(0)
        elif len(tokens) < 4:
            labels.append(int(" " + " ".join(tokens) + " " in joined))
        else:
            own = shingles(text)
            share = sum((own & gold).values()) / sum(own.values())
            labels.append(int(share >= BODY_SHARE))
    title = normalize_headline(headline)
    for i, text in enumerate(texts):
        if title and normalize_headline(text) == title:
            labels[i] = 0
            break
    return labels


def is_headline(candidate: str, true: str) -> bool:
    """Does a candidate line name the true headline (near match, or its site-less core)?

    Some corpora take the page title as the headline, site name and all ("Headline | Site");
    the line that is most of it, from its start, names it as well.
    """
    if headline_match(candidate, true)[1]:
        return True
    a, b = normalize_headline(candidate), normalize_headline(true)
    return len(a.split()) >= 3 and b.startswith(a) and len(a) >= 0.6 * len(b)


def byline_match(predicted: str, true: str) -> bool:
    """Do the predicted author names appear in the true byline (and it in them)?"""
    a, b = normalize_headline(predicted), normalize_headline(true)
    if not a or not b:
        return not a and not b
    return a in b or b in a
