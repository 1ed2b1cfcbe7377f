from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from appeals.links import absolute_url
from appeals.models import Appeal


class AppealFeed(Feed):
    """Newly published appeals, for journalists' feed readers."""

    feed_type = Atom1Feed
    title = _("New appeals")
    subtitle = _("Open appeals by human-rights organizations, newest first.")

    def link(self):
        return absolute_url("/")

    def feed_url(self):
        return absolute_url(reverse("feed"))

    def items(self):
        return Appeal.objects.published().with_authors().order_by("-published_at")[:50]

    def item_title(self, appeal):
        return appeal.title

    def item_description(self, appeal):
        return appeal.summary

    def item_link(self, appeal):
        return appeal.canonical_url

    def item_pubdate(self, appeal):
        return appeal.published_at

    def item_updateddate(self, appeal):
        return appeal.updated_at

    def item_author_name(self, appeal):
        return ", ".join(organization.name for organization in appeal.ordered_authors)
