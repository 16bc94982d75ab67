"""The one backoff rule: wait twice as long after each failure in a row, up to a ceiling.

Every retry in syndicate follows :func:`backoff_seconds`: a failing source waits
``interval * 2**failures`` (at most ``schedule.backoff_max``) before its next refresh, in
process and in queue mode; a refresh job that raised is run again after 10, then 20 seconds;
a queue worker that lost its database takes jobs again after ``schedule.heartbeat`` seconds,
doubled per loss in a row up to ``schedule.stalled_after``; a WebSub ping that failed is sent
again after 2, 4, 8 ... seconds, at most 5 minutes. Only the base and the ceiling differ.
"""

from __future__ import annotations

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
