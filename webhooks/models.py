"""Webhook subscriptions of carmakers and the log of every event delivered to them."""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import outbound
from .choices import SUBSCRIBABLE_EVENT_TYPES, DeliveryStatus, EventType


class Subscription(models.Model):
    """A carmaker's endpoint: the events it wants, POSTed as JSON signed with the subscription's secret.

    `footprint.changed` fires for a model whose new footprint revision moved by more than `threshold_pct`
    percent of the previous total or by more than `threshold_kg_co2e` kg CO2e (either one; with neither set,
    any change of the total). A revoked subscription is kept, without its secret, for its delivery log.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    target_url = models.URLField(_("target URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    threshold_pct = models.DecimalField(
        _("threshold (percent of the previous total)"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    threshold_kg_co2e = models.DecimalField(
        _("threshold (kg CO2e)"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_pct__isnull=True) | Q(threshold_pct__gte=0),
                name="webhook_subscription_threshold_pct_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(threshold_kg_co2e__isnull=True) | Q(threshold_kg_co2e__gte=0),
                name="webhook_subscription_threshold_kg_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.target_url}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def clean(self) -> None:
        """https only (plain http when WEBHOOKS_ALLOW_HTTP is on), no credentials in the URL, no host that is
        plainly not public, and at least one known event type."""
        errors = {}
        parts = urlsplit(self.target_url or "")
        if parts.scheme != "https" and not (parts.scheme == "http" and settings.WEBHOOKS_ALLOW_HTTP):
            errors["target_url"] = _("A webhook is sent over https only: give an https:// URL.")
        elif parts.username or parts.password:
            errors["target_url"] = _("Put no user name or password in the URL; check the signature instead.")
        elif outbound.literal_host_refused(self.target_url) and not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
            errors["target_url"] = _("This host is not reachable from the internet; give a public address.")
        if not isinstance(self.event_types, list) or not self.event_types:
            errors["event_types"] = _("Choose at least one event.")
        else:
            unknown = sorted(set(self.event_types) - set(SUBSCRIBABLE_EVENT_TYPES))
            if unknown:
                errors["event_types"] = _("Unknown event types: %(types)s") % {"types": ", ".join(unknown)}
            else:  # one order whatever the caller's, so that changes show only real differences
                self.event_types = [t for t in SUBSCRIBABLE_EVENT_TYPES if t in self.event_types]
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One event for one subscription and every attempt to deliver it: the last answer (status code, the
    first 2 KB of its body, or the error) on the row, each attempt in `attempt_log`.

    A redelivery of a failed delivery is a new row with the same `event_id` and payload, so that a receiver
    that did get the first one can tell."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    response_body_excerpt = models.TextField(_("response body (first 2 KB)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    attempt_log = models.JSONField(_("attempts log"), default=list, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["subscription", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"
