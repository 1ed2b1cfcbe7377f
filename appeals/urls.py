from django.urls import path

from appeals import views
from appeals.pagecache import cached_page

app_name = "appeals"

# The pages, under a language prefix (appealsite/urls.py). Those every anonymous
# reader gets the same copy of, kept by us and by caches on the way
# (appeals.pagecache), are chosen here, in one place.

urlpatterns = [
    # What a wave of readers and signers asks for, first: Django tries the patterns
    # in order, on every request.
    path("appeals/<slug:slug>/", cached_page(views.appeal_detail), name="detail"),
    path("appeals/<slug:slug>/sign/", views.sign, name="sign"),
    path(
        "appeals/<slug:slug>/sign/check-email/", views.check_email, name="check_email"
    ),
    path(
        "appeals/<slug:slug>/signatures/",
        cached_page(views.signature_list),
        name="signatures",
    ),
    path("", cached_page(views.AppealListView.as_view()), name="list"),
    path("privacy/", cached_page(views.privacy), name="privacy"),
    path("card.png", views.site_card, name="site_card"),
    path("mirror/", cached_page(views.mirror_page), name="mirror"),
    path("appeals/<slug:slug>/embed/", views.embed, name="embed"),
    # An update's page: its email sends every subscriber there at once.
    path(
        "appeals/<slug:slug>/updates/<int:pk>/",
        cached_page(views.update_detail),
        name="update",
    ),
    path("appeals/<slug:slug>/feed/", cached_page(views.appeal_feed), name="feed"),
    path("appeals/<slug:slug>/card.png", views.share_card, name="card"),
    path(
        "appeals/<slug:slug>/share/mastodon/",
        cached_page(views.share_mastodon),
        name="share_mastodon",
    ),
    path("my-data/", cached_page(views.my_data_request), name="my_data_request"),
    path("my-data/<str:token>/", views.my_data, name="my_data"),
    path("my-data/<str:token>/data.json", views.my_data_json, name="my_data_json"),
    path("appeals/<slug:slug>/thank-you/", views.thanks, name="thanks"),
    path("appeals/<slug:slug>/withdrawn/", views.withdrawn, name="withdrawn"),
    path(
        "appeals/<slug:slug>/organizations/sign/",
        cached_page(views.organization_sign),
        name="organization_sign",
    ),
    path(
        "appeals/<slug:slug>/organizations/thank-you/",
        views.organization_thanks,
        name="organization_thanks",
    ),
    path("signatures/confirm/<str:token>/", views.confirm, name="confirm"),
    path("signatures/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("signatures/receipt/<str:token>/", views.receipt, name="receipt"),
    path(
        "signatures/receipt/<str:token>/receipt.json",
        views.receipt_download,
        name="receipt_download",
    ),
    path(
        "appeals/<slug:slug>/log/check/",
        views.receipt_check,
        name="receipt_check",
    ),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
