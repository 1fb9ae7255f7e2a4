"""Enumerations of the webhooks: the events a carmaker subscribes to and the states of a delivery."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    FOOTPRINT_CHANGED = "footprint.changed", _("A model's footprint changed by more than the threshold")
    DECLARATION_APPROVED = "declaration.approved", _("A declaration in the supply chain was approved")
    DECLARATION_EXPIRED = "declaration.expired", _("A declaration in the supply chain expired")
    # Sent on request to check an endpoint and its signature check; nobody subscribes to it.
    TEST = "webhook.test", _("Test event")


SUBSCRIBABLE_EVENT_TYPES = [
    EventType.FOOTPRINT_CHANGED,
    EventType.DECLARATION_APPROVED,
    EventType.DECLARATION_EXPIRED,
]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
