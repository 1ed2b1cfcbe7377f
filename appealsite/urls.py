from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from appeals.feeds import AppealFeed
from appeals.sitemaps import SITEMAPS

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("feeds/appeals/", AppealFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("", include("appeals.urls")),  # Before the rest: its pages take a wave.
    path("", include("community.urls")),
]

handler500 = "appeals.errors.server_error"

if settings.BENCH_REFERENCE_VIEWS:
    urlpatterns.insert(0, path("", include("bench.reference.urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
