"""Page sources (``kind = "page"``): one article per web page, its main content extracted.

A source of one URL uses conditional GET (the store keeps one pair of validators per source);
a source of several URLs fetches each and skips the ones that fail, so one broken page does
not fail the others.
"""

from __future__ import annotations

from dataclasses import replace

from syndicate.config import SourceSettings
from syndicate.errors import SourceError
from syndicate.model import RawEntry
from syndicate.refresh.harvest import NOT_MODIFIED, Context, Harvest, fetch_conditional, normalized
from syndicate.sources import page
from syndicate.sources.fetch import FetchResult, decode_body


class PageSource:
    """Fetch and extract each page of the source."""

    def harvest(self, source: SourceSettings, ctx: Context) -> Harvest:
        """One article per page URL; with several URLs a failing page is only skipped."""
        urls = source.locations
        notes: list[str] = []
        if len(urls) == 1:
            result = fetch_conditional(source, urls[0], ctx)
            if result.not_modified:
                return NOT_MODIFIED
            entries, note = page_entries(result)
            notes += _notes(note)
            articles, skipped = normalized(
                entries, source, ctx.clock(), limits=ctx.limits, notes=notes
            )
            return Harvest(
                tuple(articles),
                tuple(skipped),
                tuple(notes),
                etag=result.etag,
                last_modified=result.last_modified,
            )
        found: list[RawEntry] = []
        failed: list[str] = []
        for url in urls:
            try:
                result = ctx.fetcher.get(url, allow_private=source.allow_private, source=url)
                entries, note = page_entries(result)
            except SourceError as exc:
                failed.append(f"{url}: {exc.reason}")
                continue
            found += entries
            notes += _notes(note)
        articles, skipped = normalized(found, source, ctx.clock(), limits=ctx.limits, notes=notes)
        return Harvest(tuple(articles), tuple(failed + skipped), tuple(notes))


def page_entries(result: FetchResult) -> tuple[list[RawEntry], str]:
    """The page's article, linked to the page's URL when it names no canonical one, and the
    charset chain's note when the body was not what its label said."""
    decoded = decode_body(result, policy=page.DECODING)
    entries = page.read_text(decoded.text, result.url)
    linked = [e if e.link else replace(e, link=result.url) for e in entries]
    return linked, f"{result.url}: {decoded.note}" if decoded.note else ""


def _notes(note: str) -> tuple[str, ...]:
    return (note,) if note else ()
