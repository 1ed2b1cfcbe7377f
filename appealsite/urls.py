from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.i18n import set_language

from appeals import views
from appeals.feeds import AppealFeed
from appeals.pagecache import cached_page
from appeals.sitemaps import SITEMAPS
from appealsite.crosssite import public_form
from appealsite.languages import language_neutral

# Addresses the same in every language first; the pages then, each under its
# language's prefix (/en/, /uk/: appealsite.languages).
urlpatterns = [
    path("", include("appeals.data_urls")),  # Before the rest: pollers in a wave.
    path(settings.ADMIN_URL, admin.site.urls),
    path("a/<int:number>/", views.short_link, name="short_link"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(".well-known/appealsite-log-keys.json", views.log_keys, name="log_keys"),
    path(
        "sitemap.xml",
        language_neutral(require_safe(cached_page(sitemap))),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    # The language form of pages cached before languages had addresses of their own.
    path("i18n/setlang/", public_form(set_language), name="set_language"),
    *i18n_patterns(
        path("", include("appeals.urls")),  # Before the rest: its pages take a wave.
        path("", include("community.urls")),
        path("feeds/appeals/", require_safe(cached_page(AppealFeed())), name="feed"),
    ),
]

handler500 = "appeals.errors.server_error"

if settings.BENCH_REFERENCE_VIEWS:
    urlpatterns.insert(0, path("", include("bench.reference.urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    from appealsite import devmail

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
    urlpatterns.append(path("dev/emails/", devmail.outbox, name="dev_emails"))
