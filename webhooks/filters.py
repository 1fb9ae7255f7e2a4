"""One FilterSet per list of the webhooks, shared by the browser pages and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import DeliveryStatus, EventType
from .models import Delivery, Subscription


class SubscriptionFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Subscription
        fields = ["is_active"]


class DeliveryFilter(django_filters.FilterSet):
    """A subscription's delivery log: the deliveries page and the API list."""

    status = django_filters.ChoiceFilter(
        choices=DeliveryStatus.choices, empty_label=_("Any status"), label=_("Status")
    )
    event_type = django_filters.ChoiceFilter(
        choices=EventType.choices, empty_label=_("Any event"), label=_("Event")
    )

    class Meta:
        model = Delivery
        fields = ["status", "event_type"]
