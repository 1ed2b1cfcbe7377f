from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("typo/", views.typo_report, name="typo_report"),
    path("join/", views.join, name="join"),
    path("join/thank-you/", views.join_thanks, name="join_thanks"),
]
