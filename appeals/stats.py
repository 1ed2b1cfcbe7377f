"""Signatures by country and day by day: the signatories page's charts and tables,
`stats.json` and `stats.csv`.

What is counted is what the appeal's count counts: confirmed signatures, listed or
not (pending, withdrawn, rejected and quarantined ones are not). A high-risk
appeal's signatures keep their country (appeals.services.highrisk), so its figures
are there too. A signature is counted on the day it was confirmed, in the site's
time zone; a withdrawn one leaves the day it was counted on.

Small counts can identify people: a country with fewer than SMALLEST_SHOWN
signatures is named with "fewer than 5", never its count. The total is public
(it is the appeal's count), so the total less the countries shown gives away the
sum of those not shown; and the signatories page lists the signers who chose to
be named, with their country, so each country has at least that many. Their
names are left out too whenever the sum alone would give away any one country's
count (when only one country is under five, and when every one of them has one
signature or four), and whenever the sum with that list would give away how many
signed in a country without being named (4 not shown, by two countries, and 3
named in one: the other's 1 would be known). They are then one row, "other
countries". Otherwise each of them stays between two counts at least, or is
known to have only signers who chose to be named. This holds for one copy of
the figures; comparing copies from different days can narrow a count down
further.

Each figure is one grouped query over the appeal's signatures. They run at most
once per STATS_SECONDS per appeal, whatever the number of servers and readers:
the result is kept in the shared cache, and an old copy is served while one
process makes the next (as appeals.pagecache does with pages).
"""

import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries.fields import Country

from appeals.models import Appeal, Signature

SMALLEST_SHOWN = 5
STATS_SECONDS = 60
# How long past its time an old copy may still be served while a new one is made.
STALE_SECONDS = 60
# Part of each key: copies in another shape (an older release's) are not read.
COPY_FORMAT = 1


@dataclass(frozen=True)
class CountryCount:
    """A country's signatures: `count` is None below SMALLEST_SHOWN; `code` is
    None for the row of countries left unnamed (see the module's docstring)."""

    code: str | None
    count: int | None

    @property
    def name(self) -> str:
        if self.code is None:
            return _("Other countries")
        if not self.code:
            return _("Country not given")
        return Country(self.code).name

    @property
    def is_suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Day:
    """Signatures confirmed on one day, and all of them up to its end."""

    date: date
    count: int
    total: int


@dataclass(frozen=True)
class AppealStats:
    total: int
    countries: tuple[CountryCount, ...]  # Largest first; those under 5 after.
    days: tuple[Day, ...]  # Every day from the first signature, none skipped.
    made_at: float  # A timestamp: the figures are as old as this.

    @property
    def shown_countries(self) -> list[CountryCount]:
        return [country for country in self.countries if not country.is_suppressed]

    @property
    def busiest_day(self) -> Day | None:
        return max(self.days, key=lambda day: day.count, default=None)


def appeal_stats(appeal: Appeal) -> AppealStats:
    """The appeal's figures (a translation's are its original's), made at most
    STATS_SECONDS ago, or a little more while a new copy is being made."""
    original = appeal.original
    key = f"appeals:stats:{COPY_FORMAT}:{original.pk}"
    old = cache.get(key)
    lock = f"{key}:making"
    if old is not None and (
        old.made_at + STATS_SECONDS >= time.time() or not cache.add(lock, True, 30)
    ):
        return old
    try:
        stats = count_signatures(original)
        cache.set(key, stats, STATS_SECONDS + STALE_SECONDS)
        return stats
    finally:
        if old is not None:  # This process took the lock.
            cache.delete(lock)


def count_signatures(appeal: Appeal) -> AppealStats:
    """Count the appeal's confirmed signatures by country (all, and those listed
    by name) and by day: three queries."""
    signatures = Signature.objects.filter(appeal=appeal).confirmed().order_by()
    by_country = confirmed_by_country(appeal)
    listed = dict(
        signatures.public().values_list("country").annotate(count=Count("pk"))
    )
    by_day = dict(
        signatures.annotate(day=TruncDate(Coalesce("confirmed_at", "created_at")))
        .values_list("day")
        .annotate(count=Count("pk"))
    )
    last_day = timezone.localdate() if appeal.is_open else None
    return AppealStats(
        total=sum(by_country.values()),
        countries=tuple(suppress_small_counts(by_country, listed=listed)),
        days=tuple(every_day(by_day, until=last_day)),
        made_at=time.time(),
    )


def confirmed_by_country(appeal: Appeal) -> dict[str, int]:
    """Confirmed signatures per country code: one grouped query."""
    signatures = Signature.objects.filter(appeal=appeal).confirmed().order_by()
    return dict(signatures.values_list("country").annotate(count=Count("pk")))


def suppress_small_counts(
    counts: dict[str, int], *, listed: dict[str, int] | None = None
) -> list[CountryCount]:
    """Countries largest first, each under SMALLEST_SHOWN without its count, and
    without its name where the total, with the signatures `listed` by name per
    country, would give its count away."""
    shown = sorted(
        ((code, count) for code, count in counts.items() if count >= SMALLEST_SHOWN),
        key=lambda item: (-item[1], item[0]),
    )
    rows = [CountryCount(code, count) for code, count in shown]
    small = {code: count for code, count in counts.items() if count < SMALLEST_SHOWN}
    if not small:
        return rows
    if gives_a_count_away(small, listed=listed or {}):
        return [*rows, CountryCount(None, None)]
    return [*rows, *(CountryCount(code, None) for code in sorted(small))]


def gives_a_count_away(small: dict[str, int], *, listed: dict[str, int]) -> bool:
    """Whether naming these countries, each under SMALLEST_SHOWN, gives away a
    count: by the figures alone, or by the figures with the signatures listed by
    name, a count above those listed (signers who chose not to be named)."""
    if single_counts(small, least=dict.fromkeys(small, 1)):
        return True
    least = {code: max(1, listed.get(code, 0)) for code in small}
    return any(
        count > listed.get(code, 0)
        for code, count in single_counts(small, least=least).items()
    )


def single_counts(small: dict[str, int], *, least: dict[str, int]) -> dict[str, int]:
    """The countries left with one possible count, knowing only the sum of the
    counts, that each is under SMALLEST_SHOWN and at least its `least`."""
    hidden, most, others = sum(small.values()), SMALLEST_SHOWN - 1, len(small) - 1
    found = {}
    for code in small:
        at_least = max(least[code], hidden - most * others)
        at_most = min(most, hidden - (sum(least.values()) - least[code]))
        if at_least >= at_most:
            found[code] = at_most
    return found


def every_day(counts: dict[date, int], *, until: date | None = None) -> list[Day]:
    """Each day from the first with signatures to the last (or `until`), with
    its count and the running total."""
    if not counts:
        return []
    day, last = min(counts), max(max(counts), until or date.min)
    days, total = [], 0
    while day <= last:
        count = counts.get(day, 0)
        total += count
        days.append(Day(date=day, count=count, total=total))
        day += timedelta(days=1)
    return days
