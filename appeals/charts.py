"""The signatories page's charts: SVG drawn on our server, no script, no library.

This module only measures: where each bar, line and label goes, in the units of
the chart's viewBox, as text ready for an SVG attribute (a template would write a
decimal comma in some languages). The templates (appeals/_chart_*.html) draw,
name and describe them; colours and type sizes come from charts.css (a strict
Content-Security-Policy allows no style attribute). Each chart has a table of the
same figures beside it, for screen readers and for anyone who wants the numbers.
"""

import math
from dataclasses import dataclass

from appeals.stats import AppealStats, CountryCount, Day

WIDTH = 400
COUNTRIES_DRAWN = 10
COUNTRY_ROW = 36  # A name with its count, and its bar under them.
COUNTRY_BAR = 10
# The charts over time: room for the counts at the left, the dates under them.
HEIGHT = 160
LEFT, RIGHT, TOP, BOTTOM = 56, 6, 10, 24


def number(value: float) -> str:
    """Write a coordinate for an SVG attribute: a dot, at most one decimal."""
    return f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True)
class CountryBar:
    country: CountryCount
    label_y: str
    bar_y: str
    width: str


@dataclass(frozen=True)
class CountryChart:
    bars: list[CountryBar]
    height: str
    width: str = str(WIDTH)
    bar_height: str = str(COUNTRY_BAR)


def country_chart(stats: AppealStats) -> CountryChart | None:
    """Bars for the COUNTRIES_DRAWN countries with the most signatures; those
    under five have no count to draw."""
    shown = stats.shown_countries[:COUNTRIES_DRAWN]
    if not shown:
        return None
    largest = shown[0].count
    bars = [
        CountryBar(
            country=country,
            label_y=number(row * COUNTRY_ROW + 15),
            bar_y=number(row * COUNTRY_ROW + 21),
            width=number(max(1, WIDTH * country.count / largest)),
        )
        for row, country in enumerate(shown)
    ]
    return CountryChart(bars=bars, height=number(len(shown) * COUNTRY_ROW))


@dataclass(frozen=True)
class Tick:
    value: int
    y: str


@dataclass(frozen=True)
class TimeChart:
    """One chart over the days: the running total as an area, or each day's
    count as bars; ticks up the left, the first and last day under it."""

    days: list[Day]
    ticks: list[Tick]
    area: str = ""  # The path under the running total...
    line: str = ""  # ...and its top edge.
    bars: str = ""  # Each day's bar, as one path.
    width: str = str(WIDTH)
    height: str = str(HEIGHT)
    left: str = str(LEFT)
    right: str = str(WIDTH - RIGHT)
    base: str = str(HEIGHT - BOTTOM)
    label_y: str = str(HEIGHT - 4)

    @property
    def first(self) -> Day:
        return self.days[0]

    @property
    def last(self) -> Day:
        return self.days[-1]


ROUND_STEPS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def nice_ceiling(value: int) -> int:
    """The top of a chart's scale: a round number at or above value, even, so
    that its half (the middle tick) is whole too."""
    if value <= 2:
        return 2
    power = 10 ** math.floor(math.log10(value))
    for step in ROUND_STEPS:
        top = step * power
        if top >= value and top % 2 == 0:
            return int(top)
    return 10 * power


def _scale(days: list[Day], top_value: int):
    """Functions from a day's position and a count to x and y."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / len(days)

    def x(position: float) -> float:
        return LEFT + position * step

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - plot_height * value / top_value

    return x, y, step


def _ticks(top_value: int, y) -> list[Tick]:
    values = sorted({0, top_value // 2, top_value})
    return [Tick(value=value, y=number(y(value))) for value in values]


def total_chart(stats: AppealStats) -> TimeChart | None:
    """The running total, day by day: each day's total at the middle of its day."""
    days = list(stats.days)
    if not days:
        return None
    top_value = nice_ceiling(days[-1].total)
    x, y, step = _scale(days, top_value)
    points = [
        f"{number(x(position + 0.5))},{number(y(day.total))}"
        for position, day in enumerate(days)
    ]
    base = number(y(0))
    start, end = number(x(0.5)), number(x(len(days) - 0.5))
    return TimeChart(
        days=days,
        ticks=_ticks(top_value, y),
        line="M" + " L".join(points),
        area=f"M{start},{base} L" + " L".join(points) + f" L{end},{base} Z",
    )


def daily_chart(stats: AppealStats) -> TimeChart | None:
    """Each day's new signatures, as bars."""
    days = list(stats.days)
    if not days:
        return None
    top_value = nice_ceiling(max(day.count for day in days))
    x, y, step = _scale(days, top_value)
    gap = step * 0.15 if step >= 3 else 0  # Thin bars touch rather than vanish.
    width = number(step - gap)
    bars = "".join(
        f"M{number(x(position) + gap / 2)},{number(y(0))}"
        f"v-{number(y(0) - y(day.count))}h{width}v{number(y(0) - y(day.count))}z"
        for position, day in enumerate(days)
        if day.count
    )
    return TimeChart(days=days, ticks=_ticks(top_value, y), bars=bars)
