"""``syndicate normalize``: show the canonical article the normalizers make of local files.

It runs the same chain as ingest (``sources.parse_bytes`` then ``normalize.normalize``, source
``local``) but stores nothing, so a publisher can see what a scraped page or an HTML page turns
into before feeding it. Many files go through one process; the parsers and the normalizer are
imported on first use, so a run over a folder of text pages never pays for trafilatura.

With ``--json`` every article is one JSON object on its own line; a file that cannot be read
is one line too, ``{"file": ..., "error": ...}``, and the run goes on. The exit status is 1
when any file failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from syndicate.errors import SyndicateError
from syndicate.model import Article, Block, BlockKind
from syndicate.sources import KINDS, files
from syndicate.text.dates import utc_now

SOURCE = "local"
LABEL_WIDTH = 11


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one file gave: its articles, or the reason it gave none."""

    path: Path
    articles: tuple[Article, ...] = ()
    error: str = ""


@click.command("normalize")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default=None,
    help="Input kind for every file (default: from extension and content).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per article (or per failed file) per line.",
)
def normalize_command(paths: tuple[Path, ...], kind: str | None, as_json: bool) -> None:
    """Print the canonical article of each FILE (folders: every known file inside)."""
    failed = 0
    for path, where in files.expand(paths):
        outcome = normalize_file(path, kind, where)
        failed += bool(outcome.error)
        if as_json:
            for line in json_lines(outcome):
                click.echo(line)
        else:
            _echo_readable(outcome)
    if failed:
        sys.exit(1)


def normalize_file(path: Path, kind: str | None = None, where: str = "") -> Outcome:
    """Parse and normalize one file; any failure becomes the outcome's error, never a raise.

    ``where`` is the file's name under the folder it was found in, as ``ingest`` names it, so
    the ids shown are the ones ``ingest`` of the same arguments would store. One unreadable
    file must not stop a batch, so even an unexpected exception is reported with its type, as
    a bug to look into rather than a crash.
    """
    from syndicate.normalize import normalize
    from syndicate.sources import read

    try:
        data = files.read_file(path)
        now = utc_now()
        parsed = read(data, str(path), kind)
        entries = files.located(parsed.entries, where or path.name)
        articles = tuple(normalize(raw, source=SOURCE, now=now) for raw in entries)
    except SyndicateError as exc:
        return Outcome(path, error=_without_origin(str(exc), path))
    except OSError as exc:
        return Outcome(path, error=exc.strerror or str(exc))
    except Exception as exc:  # reported per file: the batch goes on
        return Outcome(path, error=f"internal error ({type(exc).__name__}): {exc}")
    if not articles:
        return Outcome(path, error="no article in the file")
    return Outcome(path, articles)


def _without_origin(message: str, path: Path) -> str:
    """Parser messages start with the origin; the file is printed beside them anyway."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


# --- output ----------------------------------------------------------------------------------


def json_lines(outcome: Outcome) -> list[str]:
    """The outcome as JSON lines: one per article, or one error line."""
    if outcome.error:
        return [_dumps({"file": str(outcome.path), "error": outcome.error})]
    many = len(outcome.articles) > 1
    lines = []
    for index, article in enumerate(outcome.articles):
        record = article_record(article)
        head: dict[str, Any] = {"file": str(outcome.path)}
        if many:
            head["index"] = index
        lines.append(_dumps(head | record))
    return lines


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def article_record(article: Article) -> dict[str, Any]:
    """The article's fields as JSON values; ``published`` is null when the input had no date."""
    image = article.image
    return {
        "id": article.id,  # what ingest of the same arguments would store it under (new)
        "slug": article.slug,
        "title": article.title,
        "dek": article.dek,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "authors": list(article.authors),
        "published": None if article.date_estimated else article.published.isoformat(),
        "updated": None if article.date_estimated else article.updated.isoformat(),
        "language": article.language,
        "link": article.link,
        "summary": article.summary,
        "image": image.url if image is not None else None,
        "enclosures": [
            {"url": m.url, "type": m.type, "length": m.length} for m in article.enclosures
        ],
        "word_count": article.word_count,
        "body_text": body_text(article.blocks),
        "blocks": [block_record(block) for block in article.blocks],
    }


def body_text(blocks: Iterable[Block]) -> str:
    """The body as plain text, blocks separated by blank lines (list items one per line)."""
    return "\n\n".join(text for text in (b.plain_text() for b in blocks) if text)


def block_record(block: Block) -> dict[str, Any]:
    """One block as JSON: its kind and text, plus the fields its kind uses."""
    record: dict[str, Any] = {"kind": str(block.kind), "text": block.plain_text()}
    if block.kind is BlockKind.HEADING:
        record["level"] = block.level
    elif block.kind is BlockKind.LIST:
        record["items"] = list(block.items)
        record["ordered"] = block.ordered
        if block.ordered:
            record["numbers"] = [n for n, _ in block.numbered()]
    elif block.kind is BlockKind.IMAGE:
        record["src"] = block.src
        record["alt"] = block.alt
    return record


def readable(outcome: Outcome) -> str:
    """A block of labelled lines and the body text per article, for reading in a terminal."""
    parts = []
    for article in outcome.articles:
        published = "(none)" if article.date_estimated else article.published.isoformat()
        fields = (
            ("title", article.title),
            ("dek", article.dek),
            ("categories", ", ".join(article.categories)),
            ("authors", ", ".join(article.authors)),
            ("published", published),
            ("language", article.language),
            ("summary", article.summary),
        )
        head = "\n".join(f"{name + ':':<{LABEL_WIDTH}} {value}" for name, value in fields)
        parts.append(f"== {outcome.path}\n{head}\n\n{body_text(article.blocks)}\n")
    return "\n".join(parts)


def _echo_readable(outcome: Outcome) -> None:
    if outcome.error:
        click.echo(f"error: {outcome.path}: {outcome.error}", err=True)
    else:
        click.echo(readable(outcome))
