from django.urls import path

from appeals.pagecache import cached_page
from community import views

app_name = "community"

urlpatterns = [
    path("typo/", cached_page(views.typo_report), name="typo_report"),
    path("join/", cached_page(views.join), name="join"),
    path("join/thank-you/", cached_page(views.join_thanks), name="join_thanks"),
]
