"""Subscriber counts and poll figures per feed, for ``syndicate stats`` and the admin.

A feed's subscribers, the way FeedBurner counted them: the sum over the aggregators of the
latest number each reported (per feed id it reported under; a report older than
:data:`REPORT_DAYS` no longer counts: that aggregator stopped polling), plus every other
distinct client of the last 24 hours as one reader. A day of the chart counts the same way
as of that day: the reports of its last :data:`REPORT_DAYS` days, its distinct readers.

Polls are every answered request for the feed (any format, ``?limit=`` cuts included;
archive pages are not polls); ``not_modified_share`` is the share answered ``304``, and
``bytes_saved`` what those 304s did not send. Partners' polls are counted apart, per partner.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from syndicate.store import Store
from syndicate.store.polls import DayCounts, Report

REPORT_DAYS = 7
TOP = 10  # readers and aggregators shown per feed


@dataclass(slots=True)
class Day:
    """One day of a feed: subscribers as of that day, and its polls."""

    day: str
    subscribers: int = 0
    readers: int = 0
    polls: int = 0
    not_modified: int = 0


@dataclass(slots=True)
class PartnerPolls:
    """A partner's use of one feed over the period."""

    polls: int = 0
    clients: int = 0
    not_modified: int = 0


@dataclass(slots=True)
class FeedStats:
    """What is known of one feed's readers over a period."""

    feed: str
    subscribers: int = 0  # today: aggregators' latest reports + readers of the last 24 h
    readers: int = 0  # distinct other clients of the last 24 h
    aggregators: dict[str, int] = field(default_factory=dict)  # name -> subscribers
    polls: int = 0
    conditional: int = 0
    not_modified: int = 0
    bytes_sent: int = 0
    bytes_saved: int = 0
    days: list[Day] = field(default_factory=list)  # oldest first, one per day of the period
    top_readers: list[tuple[str, int]] = field(default_factory=list)  # (agent, clients)
    partners: dict[str, PartnerPolls] = field(default_factory=dict)

    @property
    def not_modified_share(self) -> float:
        """The share of polls answered 304 (0 when there were none)."""
        return self.not_modified / self.polls if self.polls else 0.0

    def as_json(self) -> dict[str, Any]:
        """What ``syndicate stats --json`` prints for the feed."""
        return {
            "feed": self.feed,
            "subscribers": self.subscribers,
            "aggregators": dict(self.aggregators),
            "readers": self.readers,
            "polls": self.polls,
            "conditional": self.conditional,
            "not_modified": self.not_modified,
            "not_modified_share": round(self.not_modified_share, 4),
            "bytes_sent": self.bytes_sent,
            "bytes_saved": self.bytes_saved,
            "top_readers": [{"agent": a, "clients": n} for a, n in self.top_readers],
            "partners": {
                name: {"polls": p.polls, "clients": p.clients, "not_modified": p.not_modified}
                for name, p in sorted(self.partners.items())
            },
            "days": [
                {"day": d.day, "subscribers": d.subscribers, "polls": d.polls} for d in self.days
            ],
        }


def feed_stats(
    store: Store, *, days: int = 30, feed: str | None = None, now: datetime | None = None
) -> list[FeedStats]:
    """The stats of every feed polled in the last ``days`` days (or of ``feed``), by name."""
    now = now or datetime.now(UTC)
    first = (now - timedelta(days=days - 1)).date()
    period = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    counts = store.polls.daily(period[0], feed)
    reports = store.polls.reports((first - timedelta(days=REPORT_DAYS)).isoformat(), feed)
    found: dict[str, FeedStats] = {}

    def stats(name: str) -> FeedStats:
        if name not in found:
            found[name] = FeedStats(name, days=[Day(d) for d in period])
        return found[name]

    for row in counts:
        _add_day(stats(row.feed), row, period)
    for name in {r.feed for r in reports}:
        stats(name)
    since = now - timedelta(hours=24)
    readers = store.polls.readers_since(since, feed)
    for name, entry in found.items():
        entry.readers = readers.get(name, 0)
        mine = [r for r in reports if r.feed == name]
        entry.aggregators = _latest(mine, now.date())
        entry.subscribers = sum(entry.aggregators.values()) + entry.readers
        for day in entry.days:
            day.subscribers = sum(_latest(mine, date.fromisoformat(day.day)).values())
            day.subscribers += day.readers
    for name, agent, clients, _polls in store.polls.top_agents(since, feed, limit=TOP):
        if name in found:
            found[name].top_readers.append((agent, clients))
    return [found[name] for name in sorted(found)]


def _add_day(entry: FeedStats, row: DayCounts, period: list[str]) -> None:
    if row.partner:
        polls = entry.partners.setdefault(row.partner, PartnerPolls())
        polls.polls += row.polls
        polls.clients = max(polls.clients, row.clients)
        polls.not_modified += row.not_modified
        return
    entry.polls += row.polls
    entry.conditional += row.conditional
    entry.not_modified += row.not_modified
    entry.bytes_sent += row.bytes_sent
    entry.bytes_saved += row.bytes_saved
    day = entry.days[period.index(row.day)] if row.day in period else None
    if day is not None:
        day.polls += row.polls
        day.not_modified += row.not_modified
        if not row.aggregators:
            day.readers += row.clients


def _latest(reports: list[Report], as_of: date) -> dict[str, int]:
    """Each aggregator's subscribers as of a day: its latest report per feed id within
    :data:`REPORT_DAYS` days before, summed over its feed ids."""
    oldest = (as_of - timedelta(days=REPORT_DAYS - 1)).isoformat()
    newest: dict[tuple[str, str], Report] = {}
    for report in reports:
        if not oldest <= report.day <= as_of.isoformat():
            continue
        key = (report.aggregator, report.ident)
        if key not in newest or report.reported >= newest[key].reported:
            newest[key] = report
    totals: dict[str, int] = defaultdict(int)
    for (aggregator, _ident), report in newest.items():
        totals[aggregator] += report.subscribers
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
