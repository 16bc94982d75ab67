"""Feed sources (``kind = "feed"``): the entries of an upstream RSS, Atom or JSON Feed.

With ``full_text = true``, an entry that carries only a summary gets the linked page's body,
fetched once per article: an article already stored keeps its stored text, and a page that
cannot be read leaves the summary as the body, with a note.
"""

from __future__ import annotations

from dataclasses import replace

from syndicate.config import SourceSettings
from syndicate.errors import SourceError
from syndicate.model import RawEntry
from syndicate.normalize import canonical_url, entry_id, entry_legacy_ids
from syndicate.refresh.harvest import NOT_MODIFIED, Context, Harvest, fetch_conditional, normalized
from syndicate.refresh.page_source import page_entries
from syndicate.sources import feedcap, syndication
from syndicate.sources.fetch import decode_body


class FeedSource:
    """Fetch the feed conditionally and read its entries."""

    def harvest(self, source: SourceSettings, ctx: Context) -> Harvest:
        """The feed's entries as articles; a 304 is :data:`NOT_MODIFIED` without parsing."""
        result = fetch_conditional(source, source.url, ctx)
        if result.not_modified:
            return NOT_MODIFIED
        decoded = decode_body(result, name=source.name)
        parsed = syndication.read_feed(decoded.text, result.url, max_entries=ctx.max_feed_entries)
        notes = [n for n in (decoded.note, parsed.note) if n]
        if parsed.over_cap:
            notes.append(feedcap.over_cap_note(parsed.over_cap, ctx.max_feed_entries))
        entries: list[RawEntry] = []
        kept: set[str] = set()
        for item in parsed.items:
            linked = bool(canonical_url(item.entry.link))
            if not (item.summary_only and source.full_text and linked):
                entries.append(item.entry)
            elif _stored(item.entry, source, ctx):
                kept.add(entry_id(item.entry, source.name))
            else:
                entries.append(_with_full_text(item.entry, source, ctx, notes))
        articles, skipped = normalized(entries, source, ctx.clock(), limits=ctx.limits, notes=notes)
        return Harvest(
            tuple(articles),
            tuple(parsed.skipped) + tuple(skipped),
            tuple(notes),
            etag=result.etag,
            last_modified=result.last_modified,
            kept=frozenset(kept),
            over_cap=parsed.over_cap,
        )


def _stored(entry: RawEntry, source: SourceSettings, ctx: Context) -> bool:
    """An article that is already stored keeps its text: no page fetch."""
    key = entry_id(entry, source.name)
    return ctx.store.stored_id(key, entry_legacy_ids(entry, source.name)) is not None


def _with_full_text(
    entry: RawEntry, source: SourceSettings, ctx: Context, notes: list[str]
) -> RawEntry:
    """The entry with the linked page's body, or as it was (with a note) when that fails."""
    try:
        result = ctx.fetcher.get(entry.link, allow_private=source.allow_private, source=entry.link)
        pages, note = page_entries(result)
    except SourceError as exc:
        notes.append(f"full text of {entry.link}: {exc.reason}")
        return entry
    notes += [note] if note else []
    found = pages[0]  # a page read gives exactly one entry, or raises
    return replace(entry, blocks=found.blocks or entry.blocks, media=entry.media or found.media)
