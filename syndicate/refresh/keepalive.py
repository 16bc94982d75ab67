"""A queue worker that outlives the database: run its work again after each loss of it.

procrastinate's worker ends when its database goes away for longer than its pool waits for a
connection: the heartbeat fails, the worker stops, and unregistering it fails in turn. A
worker that exits on that needs someone to restart it, and the guarantee is that everything
recovers by itself when the database returns. :func:`keep_working` runs the work until SIGINT
or SIGTERM; when it ends with :class:`~syndicate.errors.QueueUnreachable`, or ends without
being asked to, it waits by the one backoff rule and runs it again. The jobs the lost work
left running are taken up again as any dead worker's are (``RefreshQueue.retry_stalled``).

Signals are this module's: the first SIGINT or SIGTERM cancels the running work, which
procrastinate answers by finishing the jobs in flight, then the worker exits; a second one
ends the process at once (the handlers are removed after the first). No procrastinate here,
so its owner (``refresh.queue``) stays the only importer.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable

from syndicate.backoff import backoff_seconds
from syndicate.errors import QueueUnreachable

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stopper:
    """The stop signals of the running loop: the first one cancels the work it is given."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.requested = asyncio.Event()
        self.work: asyncio.Task[None] | None = None

    def __enter__(self) -> _Stopper:
        for sig in STOP_SIGNALS:
            self.loop.add_signal_handler(sig, self._stop, sig)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._remove()

    def _stop(self, sig: signal.Signals) -> None:
        log.info("%s: finishing the running jobs, then stopping", sig.name)
        self.requested.set()
        self._remove()  # a second signal ends the process at once
        if self.work is not None:
            self.work.cancel()

    def _remove(self) -> None:
        for sig in STOP_SIGNALS:
            self.loop.remove_signal_handler(sig)


def cause_of(exc: BaseException) -> str:
    """What a wrapped database error stands for: its cause (a pool's timeout, the server's
    refusal), as procrastinate's own message says only "Database error"."""
    cause = exc.__cause__ or exc
    return " ".join(str(cause).split()) or type(cause).__name__


async def keep_working(work: Callable[[], Awaitable[None]], *, base: float, ceiling: float) -> int:
    """Run ``work`` until a stop signal; after each loss of the database, run it again.

    The wait before running it again is ``base`` doubled per loss in a row, at most
    ``ceiling`` (:func:`~syndicate.backoff.backoff_seconds`); a run that lasted longer than
    ``ceiling`` before its loss starts the count again. Returns how many times the work was
    run again.
    """
    losses = restarts = 0
    with _Stopper() as stopper:
        while not stopper.requested.is_set():
            started = time.monotonic()
            stopper.work = asyncio.ensure_future(work())
            try:
                await stopper.work
                reason = "the worker stopped by itself (a heartbeat or listener failed)"
            except asyncio.CancelledError:
                if stopper.requested.is_set():
                    break
                raise
            except QueueUnreachable as exc:
                reason = str(exc)
            if stopper.requested.is_set():
                break
            losses = 1 if time.monotonic() - started > ceiling else losses + 1
            delay = backoff_seconds(base, losses - 1, ceiling)
            log.warning("%s; taking jobs again in %g s", reason, delay)
            try:
                await asyncio.wait_for(stopper.requested.wait(), delay)
            except TimeoutError:
                restarts += 1
    return restarts
