"""The admin's charts as inline SVG geometry: bars of a feed's days, computed here, drawn by a
template (``_chart.html``) with classes the stylesheet colours (no script, no inline style:
the admin's CSP allows neither).

:func:`day_bars` gives one bar per day, oldest on the left, its height the day's subscribers
(the tallest day at full height), with a label for the bar's ``<title>`` that a screen reader
and a mouse over it both get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHART_WIDTH, CHART_HEIGHT = 600, 120
GAP = 2  # pixels between bars


@dataclass(frozen=True, slots=True)
class DayBar:
    """One day of a chart: where its bar is and what it says."""

    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart's size, its bars and its summary (the SVG's ``<title>``)."""

    width: int
    height: int
    bars: tuple[DayBar, ...]
    title: str
    most: int


def day_bars(days: Sequence[Any], what: str = "subscribers") -> Chart:
    """Bars of ``days`` (each with ``day``, ``subscribers`` and ``polls``), oldest first."""
    count = max(len(days), 1)
    step = CHART_WIDTH / count
    most = max((int(getattr(d, what)) for d in days), default=0)
    bars = []
    for index, day in enumerate(days):
        value = int(getattr(day, what))
        height = 0.0 if not value else max(1.0, (CHART_HEIGHT - 4) * value / most)
        bars.append(
            DayBar(
                x=round(index * step, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(max(step - GAP, 1.0), 2),
                height=round(height, 2),
                label=f"{day.day}: {value} {what}, {day.polls} polls",
            )
        )
    first, last = (days[0].day, days[-1].day) if days else ("", "")
    title = f"{what.capitalize()} per day from {first} to {last}; the most on one day: {most}"
    return Chart(CHART_WIDTH, CHART_HEIGHT, tuple(bars), title, most)
