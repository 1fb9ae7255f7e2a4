"""PACT URLs at the site root, as the spec places them: /auth/token, /.well-known/openid-configuration, /2/..."""

from django.urls import path

from . import views

app_name = "pact"

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
    path(".well-known/openid-configuration", views.openid_configuration, name="openid-configuration"),
    path("2/footprints", views.FootprintListView.as_view(), name="footprints"),
    path("2/footprints/<str:pf_id>", views.FootprintDetailView.as_view(), name="footprint"),
    path("2/events", views.EventsView.as_view(), name="events"),
]
