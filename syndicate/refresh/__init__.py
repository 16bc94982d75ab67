"""Keeping the store current: the per-source seam and the processes around it.

- :mod:`.seam`: :class:`Refresher`, one run of one source, every failure recorded;
- :mod:`.harvest` and one module per source kind: :mod:`.folder_source`, :mod:`.page_source`,
  :mod:`.feed_source`;
- :mod:`.health`: what operators see of each source, and when it is due (the backoff rule of
  :mod:`syndicate.backoff`);
- :mod:`.ingest`: local files, the counterpart of a refresh;
- :mod:`.schedule` (APScheduler) and :mod:`.queue` (procrastinate): when refreshes run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syndicate.refresh.seam import OnChange, Outcome, Refresher, RunResult

__all__ = ["OnChange", "Outcome", "Refresher", "RunResult"]


def __getattr__(name: str) -> Any:
    """The seam's names, imported on first use: it brings every source parser (trafilatura,
    feedparser), which processes that only read ``refresh.health`` or ``refresh.roster`` (the
    web's admin pages) need not load."""
    if name in __all__:
        from syndicate.refresh import seam

        return getattr(seam, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
