from django.urls import path

from appeals import views

app_name = "appeals"

urlpatterns = [
    path("", views.AppealListView.as_view(), name="list"),
    path("appeals/<slug:slug>/", views.AppealDetailView.as_view(), name="detail"),
    path("appeals/<slug:slug>/sign/", views.sign, name="sign"),
]
