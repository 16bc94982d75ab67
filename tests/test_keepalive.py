"""``keep_working``: a queue worker's run started again after each loss of its database, until
SIGINT or SIGTERM (which end it at once, in the run or in the wait between runs)."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from syndicate.errors import QueueUnreachable
from syndicate.refresh.keepalive import keep_working


def terminate_soon(seconds: float) -> None:
    """SIGTERM to this process, from the event loop, while keep_working's handlers are on."""
    asyncio.get_running_loop().call_later(seconds, os.kill, os.getpid(), signal.SIGTERM)


def test_each_loss_is_followed_by_a_doubling_wait_and_a_new_run() -> None:
    starts: list[float] = []

    async def work() -> None:
        starts.append(time.monotonic())
        if len(starts) <= 3:
            raise QueueUnreachable("lost the task queue's database: connection refused")
        terminate_soon(0.05)
        await asyncio.sleep(60)  # cancelled by the signal

    restarts = asyncio.run(keep_working(work, base=0.1, ceiling=0.25))
    assert (restarts, len(starts)) == (3, 4)
    waits = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    # 0.1, 0.2, then the ceiling (0.25, not 0.4)
    assert waits[0] >= 0.1 and waits[1] >= 0.2 and 0.25 <= waits[2] < 0.38, waits


def test_a_run_that_ends_unasked_is_started_again() -> None:
    runs = 0

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs == 2:
            terminate_soon(0.05)
            await asyncio.sleep(60)

    assert asyncio.run(keep_working(work, base=0.01, ceiling=0.02)) == 1
    assert runs == 2


def test_a_signal_during_the_wait_stops_without_another_run() -> None:
    runs = 0

    async def work() -> None:
        nonlocal runs
        runs += 1
        terminate_soon(0.05)
        raise QueueUnreachable("lost the task queue's database: pool timeout")

    started = time.monotonic()
    assert asyncio.run(keep_working(work, base=30, ceiling=60)) == 0
    assert runs == 1 and time.monotonic() - started < 5


def test_the_work_cancelled_by_the_signal_finishes_first() -> None:
    finished = []

    async def work() -> None:
        terminate_soon(0.05)
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.1)  # procrastinate finishing the jobs in flight
            finished.append(True)
            raise

    assert asyncio.run(keep_working(work, base=1, ceiling=2)) == 0
    assert finished == [True]


def test_other_errors_are_not_a_loss_of_the_database() -> None:
    async def work() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        asyncio.run(keep_working(work, base=0.01, ceiling=0.02))
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handlers were removed
