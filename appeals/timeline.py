"""What happened after the signatures: an appeal's delivery events (delivered, reply
received, follow-up) and its published updates, as one timeline.

The appeal page, its feed and its JSON read the same two lists, fetched once for a
page and in a fixed number of queries for a list of appeals (TIMELINE_PREFETCHES).
Newest first: the timeline stands above the letter on the appeal's page, and a
reader or a journalist coming back wants what is new; the response clock above it
already tells the story so far in one line. The feeds and the JSON's `updates` run
newest first too, so every place lists the same thing in the same order.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from appeals.models import Appeal, DeliveryEvent, Update, UpdateText


def public_updates_prefetch(lookup: str = "updates") -> Prefetch:
    """The updates readers may see, newest first, with their other language texts,
    as `public_updates` on each appeal."""
    return Prefetch(
        lookup,
        queryset=Update.objects.public().prefetch_related("versions"),
        to_attr="public_updates",
    )


def timeline_prefetches() -> tuple:
    """For a list of originals: their timelines without a query per appeal (built
    anew each time: "public" means published by now)."""
    return ("delivery_events", public_updates_prefetch())


def public_updates(appeal: Appeal) -> list[Update]:
    """The published updates of the appeal (shared by its language versions)."""
    original = appeal.original
    if not hasattr(original, "public_updates"):
        prefetch_related_objects([original], public_updates_prefetch())
    return original.public_updates


def delivery_events(appeal: Appeal) -> list[DeliveryEvent]:
    """The appeal's delivery events, oldest first (shared by its language versions)."""
    return list(appeal.original.delivery_events.all())


@dataclass(frozen=True)
class Entry:
    """One step on the timeline: a delivery event, or an update in the version read."""

    on: date
    event: DeliveryEvent | None = None
    text: UpdateText | None = None

    @property
    def update(self) -> Update | None:
        return self.text.update if self.text else None

    @property
    def sort_key(self) -> tuple:
        # On the same day an update comes after the event it is usually about.
        if self.event is not None:
            return (self.on, 0, self.event.pk)
        return (self.on, 1, self.update.published_at.timestamp())


def timeline(appeal: Appeal) -> list[Entry]:
    """The appeal's timeline, newest first, updates in this version's language."""
    entries = [
        Entry(on=event.occurred_on, event=event) for event in delivery_events(appeal)
    ]
    entries += [
        Entry(on=timezone.localdate(update.published_at), text=update.text_for(appeal))
        for update in public_updates(appeal)
    ]
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=True)
