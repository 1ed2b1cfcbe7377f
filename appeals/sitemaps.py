from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from appeals.models import Appeal


class SiteURLSitemap(Sitemap):
    """Absolute addresses under SITE_URL, whatever host the request came to; each
    page in every interface language, naming the others."""

    i18n = True
    alternates = True

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class AppealSitemap(SiteURLSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Appeal.objects.published().order_by("pk")

    def lastmod(self, appeal):
        return appeal.last_changed_at


class SignatoryListSitemap(AppealSitemap):
    priority = 0.4

    def items(self):
        return Appeal.objects.published().originals().order_by("pk")

    def location(self, appeal):
        return reverse("appeals:signatures", kwargs={"slug": appeal.slug})


class PageSitemap(SiteURLSitemap):
    """The pages that are not an appeal's: the home page and "Join us"."""

    changefreq = "daily"

    def items(self):
        return ["appeals:list", "community:join"]

    def location(self, name):
        return reverse(name)

    def priority(self, name):
        return 1.0 if name == "appeals:list" else 0.5


SITEMAPS = {
    "pages": PageSitemap,
    "appeals": AppealSitemap,
    "signatories": SignatoryListSitemap,
}
