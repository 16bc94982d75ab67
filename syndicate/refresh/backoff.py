"""The one backoff rule: wait twice as long after each failure in a row, up to a ceiling.

Every retry in syndicate follows it (:func:`backoff_seconds`): a failing source waits
``interval * 2**failures`` (at most ``schedule.backoff_max``) before its next refresh, in
process and in queue mode; a refresh job that raised is run again after 10, then 20 seconds;
a WebSub ping that failed is sent again after 2, 4, 8 ... seconds, at most 5 minutes. Only the
base and the ceiling differ.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from syndicate.config import ScheduleSettings, SourceSettings
from syndicate.store import SourceState

JOB_RETRY_BASE = 10  # seconds before the first retry of a refresh job that raised
MAX_DOUBLINGS = 32  # past this the ceiling has long won; keeps the power finite


def backoff_seconds(base: float, failures: int, ceiling: float) -> float:
    """How long to wait after ``failures`` failures in a row: ``base`` doubled per failure,
    never more than ``ceiling`` (nor less than ``base``).

    ``failures`` counts the failures so far, the last one included; 0 means healthy (wait
    ``base``). Integer arguments give an integer.
    """
    if failures <= 0:
        return base
    grown: float = base * 2 ** min(failures, MAX_DOUBLINGS)
    return min(grown, max(ceiling, base))


def retry_delay(attempt: int) -> int:
    """Seconds to wait before running a refresh job again after its ``attempt``-th run raised."""
    return int(backoff_seconds(JOB_RETRY_BASE, attempt - 1, float("inf")))


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
