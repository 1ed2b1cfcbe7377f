from django.urls import path

from appeals import views

app_name = "data"

# The same in every language, so without a language prefix (appealsite/urls.py):
# the open data, and the count that pollers and widgets read.

urlpatterns = [
    path("appeals/<slug:slug>/count.json", views.count_json, name="count_json"),
    path("appeals/<slug:slug>/stats.json", views.stats_json, name="stats_json"),
    path("appeals/<slug:slug>/stats.csv", views.stats_csv, name="stats_csv"),
    path("appeals.json", views.appeals_json, name="list_json"),
    # The signature log (README, "How to check our counts").
    path(
        "appeals/<slug:slug>/log/checkpoints",
        views.log_checkpoints,
        name="log_checkpoints",
    ),
    path("appeals/<slug:slug>/log/proof", views.log_proof, name="log_proof"),
    path(
        "appeals/<slug:slug>/log/consistency",
        views.log_consistency,
        name="log_consistency",
    ),
    path("appeals/<slug:slug>/log/entries", views.log_entries, name="log_entries"),
    path("appeals/<slug:slug>/log/cosign", views.log_cosign, name="log_cosign"),
    path("appeals/<slug:slug>.json", views.appeal_json, name="json"),
    # The archives of the static copy, to check one found elsewhere.
    path("mirror.json", views.mirror_json, name="mirror_json"),
]
