"""PACT-side records: the stable id of each ProductFootprint, the partner hosts we answer, received events."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import EventType, FootprintRequestStatus


class ProductFootprintId(models.Model):
    """The PACT id (a UUID v4) of one ProductFootprint: a vehicle footprint revision or an approved declaration.

    Assigned the first time the footprint is read through PACT and never changed. Footprints are written in bulk
    by the rollup (COPY), so the id lives here, one row per footprint, rather than on the footprint's own row.
    """

    pf_id = models.UUIDField(_("PACT id"), unique=True, default=uuid.uuid4, editable=False)
    footprint = models.OneToOneField(
        "accounting.Footprint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pact_identity",
    )
    declaration = models.OneToOneField(
        "disclosures.Declaration",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pact_identity",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ProductFootprint id")
        constraints = [
            models.CheckConstraint(
                condition=Q(footprint__isnull=False, declaration__isnull=True)
                | Q(footprint__isnull=True, declaration__isnull=False),
                name="pact_pf_id_exactly_one_source",
            )
        ]

    def __str__(self) -> str:
        source = (
            f"footprint {self.footprint_id}" if self.footprint_id else f"declaration {self.declaration_id}"
        )
        return f"{self.pf_id} ({source})"


class Partner(models.Model):
    """Another PACT host acting for an organisation of this platform: its events endpoint and the client
    credentials it issued to us, so that we can answer the footprint requests that organisation sends."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="pact_partners"
    )
    name = models.CharField(_("name"), max_length=200)
    base_url = models.URLField(
        _("base URL"),
        help_text=_("Scheme, host and subpath of its PACT actions; events are sent to <base URL>/2/events."),
    )
    auth_base_url = models.URLField(
        _("authentication base URL"),
        blank=True,
        help_text=_(
            "Where its /.well-known/openid-configuration or /auth/token is served, if not under the base URL."
        ),
    )
    client_id = models.CharField(_("client id"), max_length=255)
    client_secret = models.CharField(_("client secret"), max_length=255)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("PACT partner")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "base_url"], name="pact_partner_unique_base_url")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.base_url})"

    def clean(self) -> None:
        """PACT hosts serve their actions over HTTPS only; plain http is allowed for local testing when set."""
        errors = {}
        for field in ("base_url", "auth_base_url"):
            value = getattr(self, field)
            if value:
                value = value.rstrip("/")
                setattr(self, field, value)
                if not value.startswith("https://") and not settings.PACT_ALLOW_HTTP_PARTNERS:
                    errors[field] = _("A PACT host must be reached over https.")
        if errors:
            raise ValidationError(errors)

    @property
    def events_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/2/events"

    @property
    def auth_url(self) -> str:
        return (self.auth_base_url or self.base_url).rstrip("/")


class InboundEvent(models.Model):
    """A CloudEvent a client of this host posted to /2/events and the host accepted."""

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    type = models.CharField(_("type"), max_length=100, choices=EventType.choices)
    event_id = models.CharField(_("event id"), max_length=255)
    source = models.CharField(_("source"), max_length=500)
    time = models.DateTimeField(_("event time"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("received PACT event")
        constraints = [
            # CloudEvents: source and id identify an event; a redelivered event is the same event.
            models.UniqueConstraint(
                fields=["organisation", "source", "event_id"], name="pact_inbound_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.event_id} from {self.source}"


class FootprintRequest(models.Model):
    """The answer to a received RequestCreated event: the Fulfilled or Rejected event and its delivery."""

    event = models.OneToOneField(InboundEvent, on_delete=models.CASCADE, related_name="footprint_request")
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="footprint_requests"
    )
    # Our CloudEvents `source` for the answer: the host the requester reached us on, and our events path.
    reply_source = models.CharField(max_length=500)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=FootprintRequestStatus.choices,
        default=FootprintRequestStatus.PENDING,
    )
    response_type = models.CharField(
        _("response type"), max_length=100, choices=EventType.choices, blank=True
    )
    # The response event as first built; every delivery attempt sends exactly this body (same CloudEvents id).
    response_event = models.JSONField(_("response event"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=20, blank=True)
    attempts = models.PositiveIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last delivery error"), blank=True)
    responded_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("PACT footprint request")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"request {self.event.event_id} ({self.status})"
