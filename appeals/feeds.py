"""Atom feeds for journalists' feed readers: the site's new appeals and updates, and
each appeal's timeline (its updates and its delivery and response).

The site-wide feed mixes new appeals with updates, as the issue that added updates
asked: an update is news about an appeal, and a reader subscribed to the site wants
it. Its appeal entries stay as they were (same id, title, link, dates); every entry
carries a category, `appeal` or `update`, so a consumer that wants only new
appeals can keep to those. One more, `mirror`, names the newest archive of the
site's static copy with its SHA-256 (appeals.mirror): a reader who cannot reach
the site may still get its feed, and can check a copy with it.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from appeals.links import absolute_url
from appeals.mirror import ARCHIVE
from appeals.models import (
    Appeal,
    Authorship,
    DeliveryEvent,
    LogCheckpoint,
    MirrorExport,
    Update,
)
from appeals.services import signature_log
from appeals.timeline import timeline

ENTRIES = 50


@dataclass(frozen=True)
class Entry:
    """What a feed says of one item, whatever the item is."""

    title: str
    link: str
    published: datetime
    description: str = ""
    updated: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()


# Characters XML cannot hold at all: staff text pasted from a word processor may
# carry one (a manual line break is U+000B), and the whole feed would fail.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str | None) -> str | None:
    """Text a feed can carry: characters XML cannot hold become spaces."""
    return NOT_IN_XML.sub(" ", value) if value else value


class EntryFeed(Feed):
    """A feed of Entry items."""

    feed_type = Atom1Feed

    def item_title(self, entry):
        return xml_text(entry.title)

    def item_description(self, entry):
        return xml_text(entry.description)

    def item_link(self, entry):
        return entry.link

    def item_pubdate(self, entry):
        return entry.published

    def item_updateddate(self, entry):
        return entry.updated

    def item_author_name(self, entry):
        return xml_text(entry.author)

    def item_categories(self, entry):
        return entry.categories


def authors_of(appeal: Appeal) -> str:
    return ", ".join(organization.name for organization in appeal.ordered_authors)


def appeal_entry(appeal: Appeal) -> Entry:
    return Entry(
        title=appeal.title,
        link=appeal.canonical_url,
        published=appeal.published_at,
        description=appeal.summary,
        updated=appeal.updated_at,
        author=authors_of(appeal),
        categories=("appeal",),
    )


def update_entry(update: Update, *, appeal: Appeal, title: str | None = None) -> Entry:
    """An update, in the language version `appeal` (its text, its page)."""
    text = update.text_for(appeal)
    return Entry(
        title=title or text.title,
        link=text.canonical_url,
        published=update.published_at,
        description=text.body_html,  # Markdown rendered by our sanitizer.
        author=authors_of(update.appeal) or None,
        categories=("update",),
    )


class AppealFeed(EntryFeed):
    """Newly published appeals and the updates on them, newest first."""

    title = gettext_lazy("New appeals and updates")
    subtitle = gettext_lazy(
        "Open appeals by human-rights organizations, and what happened after, "
        "newest first."
    )

    def link(self):
        return absolute_url("/")

    def feed_url(self):
        return absolute_url(reverse("feed"))

    def items(self):
        appeals = (Appeal.objects.published().with_authors().order_by("-published_at"))[
            :ENTRIES
        ]
        updates = (
            Update.objects.public()
            .filter(appeal__in=Appeal.objects.published())
            .select_related("appeal")
            .prefetch_related(
                Prefetch(
                    "appeal__authorships",
                    queryset=Authorship.objects.select_related("organization"),
                )
            )
            .order_by("-published_at", "-pk")
        )[:ENTRIES]
        entries = [appeal_entry(appeal) for appeal in appeals]
        entries += [
            update_entry(
                update,
                appeal=update.appeal,
                title=_("Update on “%(appeal)s”: %(title)s")
                % {"appeal": update.appeal.title, "title": update.title},
            )
            for update in updates
        ]
        if export := MirrorExport.objects.newest_first().first():
            entries.append(mirror_entry(export))
        entries.sort(key=lambda entry: entry.published, reverse=True)
        return entries[:ENTRIES]


def mirror_entry(export: MirrorExport) -> Entry:
    """The newest archive of the static copy, with the SHA-256 to check one found
    elsewhere (appeals.mirror)."""
    date = formats.date_format(
        timezone.localtime(export.as_of), "DATETIME_FORMAT", use_l10n=True
    )
    return Entry(
        title=_("A copy of this site as of %(date)s") % {"date": date},
        # Its place in the page's list: an entry, and an id, of its own.
        link=absolute_url(f"{reverse('appeals:mirror')}#{export.anchor}"),
        published=export.created_at,
        description=format_html(
            "<p>{}</p><p><code>{}</code></p>",
            _(
                "Where this site is blocked, its copy can be read. SHA-256 of its "
                "archive, %(archive)s (%(size)s bytes):"
            )
            % {"archive": ARCHIVE, "size": export.size},
            export.sha256,
        ),
        categories=("mirror",),
    )


class AppealTimelineFeed(EntryFeed):
    """One appeal's updates and delivery events, newest first, in the language of
    the version asked for (its interface texts too, where the site speaks it)."""

    def get_object(self, request, appeal):
        return appeal

    def get_feed(self, appeal, request):
        if appeal.language in dict(settings.LANGUAGES):
            with translation.override(appeal.language):
                return super().get_feed(appeal, request)
        return super().get_feed(appeal, request)

    def title(self, appeal):
        return xml_text(_("Updates on “%(title)s”") % {"title": appeal.title})

    def subtitle(self, appeal):
        return xml_text(appeal.summary)

    def link(self, appeal):
        return appeal.canonical_url

    def feed_url(self, appeal):
        return absolute_url(reverse("appeals:feed", args=[appeal.slug]))

    def items(self, appeal):
        entries = []
        for step in timeline(appeal):
            if step.event is not None:
                entries.append(event_entry(step.event, appeal=appeal))
            else:
                entries.append(update_entry(step.update, appeal=appeal))
        if checkpoint := signature_log.latest_checkpoint(appeal):
            entries.insert(0, checkpoint_entry(checkpoint, appeal=appeal))
        return entries


def checkpoint_entry(checkpoint: LogCheckpoint, *, appeal: Appeal) -> Entry:
    """The latest signed checkpoint of the signature log: its count and root."""
    url = signature_log.checkpoints_url(appeal)
    description = format_html(
        "<p>{}</p><p><code>{}</code></p>",
        _(
            "%(count)s signatures in %(size)s log entries; the root hash of the "
            "signed log:"
        )
        % {"count": checkpoint.signature_count, "size": checkpoint.tree_size},
        bytes(checkpoint.root_hash).hex(),
    )
    return Entry(
        title=_("Signature log checkpoint"),
        link=f"{url}#{checkpoint.tree_size}",
        published=checkpoint.made_at,
        description=description,
        author=authors_of(appeal) or None,
        categories=("checkpoint",),
    )


def event_entry(event: DeliveryEvent, *, appeal: Appeal) -> Entry:
    """A delivery event, dated at the start of its day, linked to its place on
    the appeal's page."""
    if event.kind == DeliveryEvent.Kind.DELIVERED:
        title = _("Delivered to %(addressee)s") % {"addressee": appeal.addressee}
    else:
        title = event.get_kind_display()
    details = [event.channel] if event.channel else []
    if event.kind == DeliveryEvent.Kind.DELIVERED and event.signature_count:
        details.append(
            ngettext(
                "with %(counter)s signature",
                "with %(counter)s signatures",
                event.signature_count,
            )
            % {"counter": event.signature_count}
        )
    description = format_html("<p>{}</p>", ", ".join(details)) if details else ""
    if event.text:  # Staff's plain text, escaped.
        description += linebreaks(event.text, autoescape=True)
    published = timezone.make_aware(datetime.combine(event.occurred_on, time.min))
    return Entry(
        title=title,
        link=f"{appeal.canonical_url}#event-{event.pk}",
        published=published,
        description=description,
        updated=max(published, event.created_at),
        author=authors_of(appeal) or None,
        categories=(event.kind,),
    )
