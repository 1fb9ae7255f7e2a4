"""Enumerations of the supplier side: declaration status, units, standards, reviews, findings, imports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Statuses in which the supplier may still edit the content.
EDITABLE_STATUSES = {DeclarationStatus.DRAFT, DeclarationStatus.CHANGES_REQUESTED}


class DeclaredUnit(models.TextChoices):
    """The unit the GWP values are declared per; non-mass units need the mass per declared unit."""

    KG = "kg", _("kilogram (kg)")
    TONNE = "t", _("tonne (t)")
    M2 = "m2", _("square metre (m2)")
    PIECE = "piece", _("piece")


# Kilograms in one of each mass unit; a unit missing here is not a mass.
KG_PER_MASS_UNIT = {DeclaredUnit.KG: 1, DeclaredUnit.TONNE: 1000}


class Standard(models.TextChoices):
    EN_15804_A2 = "EN 15804+A2", "EN 15804+A2"
    EN_15804_A1 = "EN 15804+A1", "EN 15804+A1"
    ISO_14025 = "ISO 14025", "ISO 14025"
    ISO_14067 = "ISO 14067", "ISO 14067"
    GB_T_24067 = "GB/T 24067-2024", "GB/T 24067-2024"


class SourceFormat(models.TextChoices):
    FORM = "form", _("Web form")
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    OPENEPD = "openepd", "openEPD JSON"
    ILCD = "ilcd", "ILCD+EPD XML"
    API = "api", "API"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_CHANGES = "request_changes", _("Request changes")


class FindingSeverity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Validating")
    VALIDATED = "validated", _("Validated")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Failed")
