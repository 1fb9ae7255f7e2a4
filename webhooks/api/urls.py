"""Routes of the webhooks API under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import DeliveryViewSet, SubscriptionViewSet

router = DefaultRouter()
router.register("webhook-subscriptions", SubscriptionViewSet, basename="webhook-subscription")
urlpatterns = [
    path(
        "webhook-subscriptions/<int:subscription_id>/deliveries/",
        DeliveryViewSet.as_view({"get": "list"}, basename="webhook-delivery"),
        name="webhook-delivery-list",
    ),
    path(
        "webhook-subscriptions/<int:subscription_id>/deliveries/<int:pk>/",
        DeliveryViewSet.as_view({"get": "retrieve"}, basename="webhook-delivery"),
        name="webhook-delivery-detail",
    ),
    path(
        "webhook-subscriptions/<int:subscription_id>/deliveries/<int:pk>/redeliver/",
        DeliveryViewSet.as_view({"post": "redeliver"}, basename="webhook-delivery"),
        name="webhook-delivery-redeliver",
    ),
    *router.urls,
]
