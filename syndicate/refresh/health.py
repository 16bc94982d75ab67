"""Source health for operators: what ``syndicate sources`` and the admin pages show.

Judged from the store (last success and failure, failures in a row, the run log, article
counts) and, for the next run, from a running scheduler when there is one (a
:class:`Timetable`), else from the store with the backoff rule (:func:`next_run`, which the
scheduler follows too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from syndicate.backoff import backoff_seconds
from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.store import Run, SourceState, Store
from syndicate.text.dates import utc_now


def next_run(
    source: SourceSettings, state: SourceState | None, schedule: ScheduleSettings, now: datetime
) -> datetime:
    """When a source is due, judged from the store alone (no scheduler needed).

    Never refreshed: now. Failing: its last failure plus the backoff. Otherwise its last
    success plus its interval. Never earlier than ``now``.
    """
    if state is None:
        return now
    if state.consecutive_failures and state.last_failure is not None:
        delay = backoff_seconds(source.interval, state.consecutive_failures, schedule.backoff_max)
        return max(now, state.last_failure + timedelta(seconds=delay))
    if state.last_success is not None:
        return max(now, state.last_success + timedelta(seconds=source.interval))
    return now


class Timetable(Protocol):
    """A running scheduler, as far as health is concerned (``RefreshScheduler`` is one)."""

    @property
    def running(self) -> bool:
        """True while it schedules."""

    def next_run_time(self, name: str) -> datetime | None:
        """When the source's job runs next; ``None`` when it has none."""


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What an operator wants to know about one source, for ``syndicate sources`` and admin."""

    name: str
    kind: str
    locations: tuple[str, ...]
    enabled: bool
    interval: int  # seconds
    articles: int
    consecutive_failures: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None
    failure_message: str = ""
    next_run: datetime | None = None  # None: disabled
    last_run: Run | None = None

    def as_json(self) -> dict[str, object]:
        """A JSON-ready mapping; datetimes as ISO 8601 strings."""
        data: dict[str, object] = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Run):
                value = {
                    "outcome": value.outcome,
                    "started": value.started.isoformat(),
                    "duration": value.duration,
                    "new": value.new,
                    "updated": value.updated,
                    "unchanged": value.unchanged,
                    "skipped": value.skipped,
                    "message": value.message,
                }
            elif isinstance(value, tuple):
                value = list(value)
            data[key] = value
        return data


def source_health(
    settings: Settings,
    store: Store,
    *,
    scheduler: Timetable | None = None,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """The health of every configured source, in config order.

    ``next_run`` comes from a running scheduler when one is given, else it is estimated from
    the store with :func:`next_run`.
    """
    now = now or utc_now()
    return [_health(source, store, settings, scheduler, now) for source in settings.sources]


def _health(
    source: SourceSettings,
    store: Store,
    settings: Settings,
    scheduler: Timetable | None,
    now: datetime,
) -> SourceHealth:
    state = store.source_state(source.name)
    runs = store.recent_runs(source.name, limit=1)
    due: datetime | None = None
    if source.enabled:
        live = scheduler.next_run_time(source.name) if scheduler and scheduler.running else None
        due = live or next_run(source, state, settings.schedule, now)
    return SourceHealth(
        name=source.name,
        kind=source.kind,
        locations=source.locations,
        enabled=source.enabled,
        interval=source.interval,
        articles=store.count(source.name),
        consecutive_failures=state.consecutive_failures if state else 0,
        last_success=state.last_success if state else None,
        last_failure=state.last_failure if state else None,
        failure_message=(state.failure_message or "") if state else "",
        next_run=due,
        last_run=runs[0] if runs else None,
    )
