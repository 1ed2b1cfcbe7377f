"""Keyset (seek) pagination: the last page of a million rows is as fast as the first."""

from dataclasses import dataclass

from django import forms
from django.db.models import QuerySet


class KeysetQueryForm(forms.Form):
    """The page a visitor asked for, from the query string."""

    before = forms.IntegerField(min_value=1, required=False)
    after = forms.IntegerField(min_value=1, required=False)
    oldest = forms.BooleanField(required=False)


@dataclass
class KeysetPage:
    items: list
    newer_cursor: int | None  # ?after=... shows the next newer page
    older_cursor: int | None  # ?before=... shows the next older page
    is_newest: bool
    is_oldest: bool


def newest_first_page(
    queryset: QuerySet,
    *,
    before: int | None = None,
    after: int | None = None,
    oldest: bool = False,
    size: int = 50,
) -> KeysetPage:
    """Return one page of rows, newest (highest id) first, seeking by id."""
    if oldest or after is not None:
        ascending = queryset.order_by("pk")
        if after is not None:
            ascending = ascending.filter(pk__gt=after)
        rows = list(ascending[: size + 1])
        has_newer = len(rows) > size
        items = rows[:size][::-1]
        has_older = not oldest and bool(items)
    else:
        descending = queryset.order_by("-pk")
        if before is not None:
            descending = descending.filter(pk__lt=before)
        rows = list(descending[: size + 1])
        has_older = len(rows) > size
        items = rows[:size]
        has_newer = before is not None and bool(items)
    return KeysetPage(
        items=items,
        newer_cursor=items[0].pk if has_newer else None,
        older_cursor=items[-1].pk if has_older else None,
        is_newest=not has_newer,
        is_oldest=not has_older,
    )
