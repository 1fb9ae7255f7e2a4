"""Tenancy models: who belongs where, which machine clients act for whom, and what happened."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ApiScope, AuditAction, MembershipRole, OrganisationKind, Province
from .validators import validate_api_scopes, validate_uscc


class Organisation(models.Model):
    """A company on the platform: a supplier, a carmaker, an auditor (verification body) or the operator."""

    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    uscc = models.CharField(
        _("Unified Social Credit Code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    province = models.CharField(_("province"), max_length=2, choices=Province.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Ties a user to their one organisation, with a role inside it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class ApiClient(models.Model):
    """An OAuth2 client-credentials application that acts for an organisation (machine-to-machine).

    Its tokens act as its service user: a user of its own, member of the organisation, who cannot sign in
    (no usable password), so the API scopes a machine client's request by organisation exactly as a
    person's. Revoking the client deletes the application with its tokens and deactivates the service
    user, which stays because audit events name it as the actor of what the client did."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_clients")
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="api_client"
    )
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.CharField(
        _("scopes"),
        max_length=32,
        default=ApiScope.READ,
        validators=[validate_api_scopes],
        help_text=_("The scopes its tokens may carry, separated by spaces: read, write or both."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API client")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    @property
    def granted_scopes(self) -> list[str]:
        return self.scopes.split()


class AuditEvent(models.Model):
    """One append-only entry of the audit trail, chained to the previous entry by its hash.

    `event_hash` is SHA-256 over the previous hash and this event's canonical content, so editing or
    deleting any row breaks every later link. Rows are never updated or deleted by the application.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    event_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only and cannot be deleted.")
