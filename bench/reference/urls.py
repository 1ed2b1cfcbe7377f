from django.urls import path

from bench.reference import views

urlpatterns = [
    path("bench/r1/<int:size>/", views.prebuilt),
    path("bench/r2/", views.insert),
    path("bench/f1/<slug:slug>/sign/", views.sign_floor),
]
