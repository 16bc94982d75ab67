"""``syndicate stats``: who reads each feed, the way FeedBurner counted it.

Per feed: subscribers (the latest counts aggregators report in their User-Agents, plus every
other distinct client of the last 24 hours), the aggregators, polls over the period, the share
answered 304 and the bytes those saved, and each partner's polls. ``--json`` prints one object
per feed (``syndicate.publish.stats.FeedStats.as_json``).
"""

from __future__ import annotations

import json

import click

from syndicate.cli.common import with_store
from syndicate.config import Settings


@click.command()
@click.option("--feed", default=None, help="One feed: all, a category slug, tags/<slug>, ...")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def stats(settings: Settings, feed: str | None, days: int, as_json: bool) -> None:
    """Subscribers and polls of each feed over the last DAYS days."""
    from syndicate.publish.stats import feed_stats

    found = with_store(settings, lambda store: feed_stats(store, days=days, feed=feed))
    if as_json:
        click.echo(json.dumps([entry.as_json() for entry in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"no polls of {feed or 'any feed'} in the last {days} days")
        if not settings.stats.enabled:
            click.echo("counting is off: [stats] enabled = true turns it on", err=True)
    for entry in found:
        aggregators = ", ".join(f"{name} {n}" for name, n in entry.aggregators.items())
        click.echo(
            f"{entry.feed}\t{entry.subscribers} subscriber(s)"
            f" ({entry.readers} reader(s) in 24 h{'; ' + aggregators if aggregators else ''})\t"
            f"{entry.polls} poll(s) in {days} d, {entry.not_modified_share:.0%} answered 304, "
            f"{_size(entry.bytes_saved)} saved"
        )
        for name, polls in sorted(entry.partners.items()):
            click.echo(f"  partner {name}: {polls.polls} poll(s), {polls.not_modified} 304(s)")


def _size(count: int) -> str:
    """Bytes as people read them: ``512 B``, ``3.4 MiB``."""
    if count < 1024:
        return f"{count} B"
    size = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"
