"""Signatures per hour over the last week, per open appeal: a spam wave at a glance.

One grouped query counts every open appeal's signatures by hour of the site's time
zone (Signature.objects.per_hour); on PostgreSQL a BRIN index on the signing time
finds the week's rows (migration 0042). The chart is SVG drawn on the server: no
script and no style attribute, so the admin's strict CSP holds; a table beside it
says the same for screen readers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from appeals.models import Appeal, Signature

DAYS = 7
HOURS = 24 * DAYS
# The chart's own units (an SVG viewBox): the page scales it to its width.
BAR_WIDTH = 4
CHART_WIDTH = BAR_WIDTH * HOURS
CHART_HEIGHT = 60
LABEL_HEIGHT = 14


@dataclass
class Hour:
    start: datetime
    count: int = 0
    quarantined: int = 0


@dataclass
class Bar:
    x: int
    y: float
    height: float
    quarantined_y: float
    quarantined_height: float
    hour: Hour


# A day needs this many hours on the chart for its name to fit under them.
HOURS_FOR_A_LABEL = 6


@dataclass
class Day:
    start: datetime
    x: int
    hours: int
    count: int
    quarantined: int
    busiest: Hour

    @property
    def has_room_for_label(self) -> bool:
        return self.hours >= HOURS_FOR_A_LABEL


@dataclass
class AppealActivity:
    """One appeal's last week, hour by hour, oldest first."""

    appeal: Appeal
    hours: list[Hour]

    width = CHART_WIDTH
    height = CHART_HEIGHT + LABEL_HEIGHT
    chart_height = CHART_HEIGHT
    bar_width = BAR_WIDTH - 1

    @property
    def total(self) -> int:
        return sum(hour.count for hour in self.hours)

    @property
    def quarantined(self) -> int:
        return sum(hour.quarantined for hour in self.hours)

    @property
    def busiest(self) -> Hour:
        return max(self.hours, key=lambda hour: hour.count)

    def bars(self) -> list[Bar]:
        """A bar for each hour with signatures, scaled to the busiest hour."""
        scale = CHART_HEIGHT / max(self.busiest.count, 1)
        bars = []
        for position, hour in enumerate(self.hours):
            if not hour.count:
                continue
            height = max(hour.count * scale, 1)
            quarantined_height = hour.quarantined * scale
            bars.append(
                Bar(
                    x=position * BAR_WIDTH,
                    y=round(CHART_HEIGHT - height, 1),
                    height=round(height, 1),
                    quarantined_y=round(CHART_HEIGHT - quarantined_height, 1),
                    quarantined_height=round(quarantined_height, 1),
                    hour=hour,
                )
            )
        return bars

    def days(self) -> list[Day]:
        """The week day by day (of the site's time zone), for labels and the table."""
        days: dict = {}
        for position, hour in enumerate(self.hours):
            days.setdefault(timezone.localdate(hour.start), []).append((position, hour))
        return [
            Day(
                start=hours[0][1].start,
                x=hours[0][0] * BAR_WIDTH,
                hours=len(hours),
                count=sum(hour.count for _position, hour in hours),
                quarantined=sum(hour.quarantined for _position, hour in hours),
                busiest=max((hour for _position, hour in hours), key=lambda h: h.count),
            )
            for hours in days.values()
        ]


def week_hours(now: datetime) -> list[datetime]:
    """The starts of the last week's hours in the current time zone, this one last.

    Counted back in UTC: back from a local time, an hour is a step of its clock,
    which skips one and names one that never was when the clocks change.
    """
    this_hour = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    this_hour = this_hour.astimezone(UTC)
    return [
        timezone.localtime(this_hour - timedelta(hours=back))
        for back in reversed(range(HOURS))
    ]


def signing_activity(*, now: datetime | None = None) -> list[AppealActivity]:
    """Every open appeal's signatures per hour over the last week, busiest first."""
    starts = week_hours(now or timezone.now())
    appeals = list(Appeal.objects.open().originals().order_by("-published_at"))
    counts = {
        (row["appeal_id"], row["hour"].timestamp()): row
        for row in Signature.objects.filter(appeal__in=appeals).per_hour(
            since=starts[0]
        )
    }
    activity = []
    for appeal in appeals:
        hours = []
        for start in starts:
            row = counts.get((appeal.pk, start.timestamp()), {})
            hours.append(
                Hour(
                    start=start,
                    count=row.get("count", 0),
                    quarantined=row.get("quarantined", 0),
                )
            )
        activity.append(AppealActivity(appeal=appeal, hours=hours))
    return sorted(activity, key=lambda item: -item.total)
