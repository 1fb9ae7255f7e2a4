"""Reads of the webhooks: an organisation's subscriptions and their delivery logs."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from carbon_platform.tenancy.models import Organisation

from .choices import DeliveryStatus
from .models import Delivery, Subscription


def subscriptions_of(*, organisation: Organisation) -> QuerySet[Subscription]:
    """The organisation's subscriptions that are not revoked, newest first, with their delivery counts."""
    return (
        Subscription.objects.filter(organisation=organisation, revoked_at__isnull=True)
        .select_related("created_by")
        .annotate(
            deliveries_total=Count("deliveries"),
            deliveries_failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("-created_at", "-id")
    )


def deliveries_of(*, subscription: Subscription) -> QuerySet[Delivery]:
    """A subscription's deliveries, newest first, each with the id of the delivery that sent it again (if
    any); the payload is left out (read one delivery for it)."""
    redelivery = Delivery.objects.filter(redelivery_of=OuterRef("pk")).order_by("id").values("id")[:1]
    return (
        Delivery.objects.filter(subscription=subscription)
        .annotate(redelivered_as=Subquery(redelivery))
        .defer("payload")
        .order_by("-created_at", "-id")
    )
