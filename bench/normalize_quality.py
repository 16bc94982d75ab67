"""How well the page normalizers find the article: body shingle F1, headline accuracy, speed.

Usage: ``python bench/normalize_quality.py [CORPUS_DIR] [--passes N]`` where CORPUS_DIR holds
``pages/PAGE.txt``, ``pages/PAGE.html`` and ``pages/expected.jsonl`` (default:
``../shared/corpus`` relative to the repository root).

The body score is the one described in the corpus README, so figures compare with published
article-extraction results: tokens are ``\\w+`` matches (case kept), a text is the multiset of
its 4-token shingles (a text under 4 tokens is one shingle), and per page
precision = tp / (tp + fp) and recall = tp / (tp + fn) by shingle count. Precision is the mean
over pages with tp + fp > 0, recall the mean over pages with tp + fn > 0, and F1 is computed
from those two means.

Each path (scraped text, HTML page) is scored on its own; the HTML path is skipped with a note
when ``syndicate.sources.page`` cannot be imported yet. Two references are scored in the same
run: the whole page text taken as the body (the floor), and plain ``trafilatura.extract`` with
its default settings on the same HTML pages (the bar the HTML path must clear; its headline is
trafilatura's own metadata title). Speeds are the median of several timed passes, one core.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from syndicate.errors import ParseError  # noqa: E402
from syndicate.model import RawEntry  # noqa: E402

TOKEN = re.compile(r"\w+")
NEAR_MATCH = 0.8  # token-set similarity at which a headline counts as right
BASELINE = "trafilatura baseline"


@dataclass(frozen=True)
class Page:
    """One corpus page: its id, raw inputs and the truth people marked."""

    name: str
    text: bytes
    html: bytes
    headline: str
    body: str


@dataclass(frozen=True)
class Prediction:
    """What a path found on one page (empty strings when it raised ParseError)."""

    headline: str
    body: str
    error: str = ""


@dataclass
class Score:
    """Scores of one path over the corpus."""

    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    exact: float = 0.0
    near: float = 0.0
    per_page: list[tuple[str, float, float, float]] = field(default_factory=list)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


Extractor = Callable[[Page], Prediction]


# --- scoring -------------------------------------------------------------------------------


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of ``size``-token shingles; a shorter text is one shingle."""
    tokens = TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_counts(predicted: str, true: str) -> tuple[int, int, int]:
    """(tp, fp, fn) by shingle count for one page."""
    pred, gold = shingles(predicted), shingles(true)
    tp = sum((pred & gold).values())
    return tp, sum(pred.values()) - tp, sum(gold.values()) - tp


PageScore = tuple[str, float, float, float]  # page, precision, recall, F1


def body_scores(
    pairs: Iterable[tuple[str, str, str]],
) -> tuple[float, float, float, list[PageScore]]:
    """Mean per-page precision and recall, F1 of the means, and each page's (P, R, F1)."""
    precisions: list[float] = []
    recalls: list[float] = []
    per_page: list[PageScore] = []
    for name, predicted, true in pairs:
        tp, fp, fn = page_counts(predicted, true)
        # Normalizing by tp+fp+fn (README) makes every page weigh the same; ratios are unchanged.
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        if tp + fp:
            precisions.append(p)
        if tp + fn:
            recalls.append(r)
        per_page.append((name, p, r, 2 * p * r / (p + r) if p + r else 0.0))
    mean_p = statistics.fmean(precisions) if precisions else 0.0
    mean_r = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * mean_p * mean_r / (mean_p + mean_r) if mean_p + mean_r else 0.0
    return mean_p, mean_r, f1, per_page


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


def score_path(pages: list[Page], predictions: dict[str, Prediction]) -> Score:
    """Body and headline scores of one path."""
    score = Score()
    pairs = [(p.name, predictions[p.name].body, p.body) for p in pages]
    score.precision, score.recall, score.f1, score.per_page = body_scores(pairs)
    exact = near = 0
    for page in pages:
        pred = predictions[page.name]
        if pred.error:
            score.errors.append((page.name, pred.error))
        is_exact, is_near = headline_match(pred.headline, page.headline)
        exact += is_exact
        near += is_near
        if not is_near:
            score.misses.append((page.name, pred.headline, page.headline))
    score.exact = exact / len(pages)
    score.near = near / len(pages)
    return score


# --- paths ---------------------------------------------------------------------------------


def body_text(entry: RawEntry) -> str:
    """The blocks' plain text joined by blank lines (or the HTML body stripped of tags)."""
    if entry.blocks:
        return "\n\n".join(b.plain_text() for b in entry.blocks)
    return re.sub(r"<[^>]+>", " ", entry.body_html)


def wrap(parse: Callable[[bytes, str], list[RawEntry]], source: str) -> Extractor:
    """An extractor calling ``parse`` on the page's ``source`` input ("text" or "html")."""

    def extract(page: Page) -> Prediction:
        data = page.text if source == "text" else page.html
        try:
            entries = parse(data, f"{page.name}.{'txt' if source == 'text' else 'html'}")
        except ParseError as exc:
            return Prediction("", "", error=str(exc))
        if not entries:
            return Prediction("", "", error="no entry")
        return Prediction(entries[0].title, body_text(entries[0]))

    return extract


def whole_text(page: Page) -> Prediction:
    """The reference floor: every visible word of the page as the body."""
    return Prediction("", page.text.decode("utf-8", "replace"))


def trafilatura_baseline() -> Extractor | None:
    """Plain ``trafilatura.extract`` (defaults, text output) on the HTML page; None without it."""
    try:
        import trafilatura
    except ImportError:
        return None

    def extract(page: Page) -> Prediction:
        body = trafilatura.extract(page.html) or ""
        meta = trafilatura.extract_metadata(page.html)
        title = (meta.title or "") if meta is not None else ""
        return Prediction(title, body, error="" if body else "nothing extracted")

    return extract


def available_paths() -> dict[str, Extractor]:
    """The normalizers that import; prints a note for each that does not."""
    paths: dict[str, Extractor] = {}
    from syndicate.sources import scraped as text

    paths["text"] = wrap(text.parse, "text")
    try:
        from syndicate.sources import page as page_module
    except ImportError as exc:
        print(f"HTML path unavailable (syndicate.sources.page: {exc})\n")
    else:
        paths["html"] = wrap(page_module.parse, "html")
    return paths


# --- running -------------------------------------------------------------------------------


def load_pages(corpus: Path) -> list[Page]:
    """Every page listed in expected.jsonl, with its .txt and .html (empty when missing)."""
    folder = corpus / "pages"
    pages = []
    with open(folder / "expected.jsonl", encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            name = row["page"]
            html_path = folder / f"{name}.html"
            pages.append(
                Page(
                    name=name,
                    text=(folder / f"{name}.txt").read_bytes(),
                    html=html_path.read_bytes() if html_path.exists() else b"",
                    headline=row.get("headline", ""),
                    body=row.get("articleBody", ""),
                )
            )
    return pages


def run(pages: list[Page], extract: Extractor) -> tuple[dict[str, Prediction], float]:
    """Predictions for every page and the wall time of the pass in seconds."""
    start = time.perf_counter()
    predictions = {page.name: extract(page) for page in pages}
    return predictions, time.perf_counter() - start


def report(
    name: str, pages: list[Page], extract: Extractor, passes: int, worst: int
) -> tuple[Score, float]:
    """Print one path's figures (body P/R/F1, headline accuracy, worst pages, speed)."""
    predictions, first = run(pages, extract)
    times = [first] + [run(pages, extract)[1] for _ in range(passes - 1)]
    score = score_path(pages, predictions)
    rate = len(pages) / statistics.median(times)
    print(f"== {name} path ({len(pages)} pages)")
    print(f"body      P {score.precision:.3f}  R {score.recall:.3f}  F1 {score.f1:.3f}")
    print(f"headline  exact {score.exact:.1%}  near (>= {NEAR_MATCH}) {score.near:.1%}")
    print(f"speed     {rate:.1f} pages/s (median of {passes} passes)")
    if score.errors:
        print(f"errors    {len(score.errors)}: " + "; ".join(e for _, e in score.errors[:5]))
    print(f"worst {worst} pages by body F1:")
    for page_name, p, r, f1 in sorted(score.per_page, key=lambda row: row[3])[:worst]:
        print(f"  {page_name}  P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")
    if score.misses:
        print("headline misses (predicted | true):")
        for page_name, got, want in score.misses:
            print(f"  {page_name}  {got[:70]!r} | {want[:70]!r}")
    print()
    return score, rate


def summary(results: dict[str, tuple[Score, float]]) -> None:
    """One line per path, and how the HTML path compares with plain trafilatura."""
    print("== summary")
    print(f"{'path':<22} {'P':>6} {'R':>6} {'F1':>6} {'exact':>7} {'near':>7} {'pages/s':>8}")
    for name, (score, rate) in results.items():
        print(
            f"{name:<22} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f} "
            f"{score.exact:7.1%} {score.near:7.1%} {rate:8.1f}"
        )
    ours, plain = results.get("html"), results.get(BASELINE)
    if ours is not None and plain is not None and plain[0].f1:
        print(f"HTML path / trafilatura baseline body F1: {ours[0].f1 / plain[0].f1:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--passes", type=int, default=5, help="timed passes per path")
    parser.add_argument("--worst", type=int, default=10, help="how many worst pages to list")
    args = parser.parse_args(argv)
    pages = load_pages(args.corpus)
    baseline = score_path(pages, {p.name: whole_text(p) for p in pages})
    print(
        f"baseline (whole page text as body): P {baseline.precision:.3f}  "
        f"R {baseline.recall:.3f}  F1 {baseline.f1:.3f}\n"
    )
    paths = available_paths()
    baseline_path = trafilatura_baseline()
    if baseline_path is not None:
        paths[BASELINE] = baseline_path
    results = {
        name: report(name, pages, extract, max(1, args.passes), args.worst)
        for name, extract in paths.items()
    }
    summary(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
