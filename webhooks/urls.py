"""Browser routes of the webhook pages."""

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.subscription_list, name="subscription-list"),
    path("webhooks/<int:pk>/", views.subscription_detail, name="subscription-detail"),
    path("webhooks/<int:pk>/secret/", views.subscription_secret, name="subscription-secret"),
    path("webhooks/<int:pk>/test/", views.subscription_test, name="subscription-test"),
    path("webhooks/<int:pk>/revoke/", views.subscription_revoke, name="subscription-revoke"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.delivery_redeliver,
        name="delivery-redeliver",
    ),
]
