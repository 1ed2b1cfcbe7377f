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
    path("appeals/<slug:slug>.json", views.appeal_json, name="json"),
    # The archives of the static copy, to check one found elsewhere.
    path("mirror.json", views.mirror_json, name="mirror_json"),
]
