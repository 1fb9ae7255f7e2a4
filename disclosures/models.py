"""Supplier-side models: where metal is made, what is sold, and what its makers declare about it."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounting.choices import ProductionRoute
from carbon_platform.tenancy.choices import Province
from carbon_platform.text import text_problem

from .choices import (
    DeclarationStatus,
    DeclaredUnit,
    FindingSeverity,
    ImportStatus,
    ReviewDecision,
    SourceFormat,
    Standard,
)
from .rules import declaration_rule_errors

RULE_FIELDS = (
    "registration_number",
    "programme_operator",
    "verifier",
    "pcr",
    "issue_date",
    "valid_until",
    "gwp_a1_a3_kg_co2e",
    "declared_amount",
    "declared_unit",
    "mass_kg_per_declared_unit",
)


def text_errors(obj, names) -> dict[str, str]:
    """{field: message} for each named text field of `obj` that `text_problem` refuses."""
    problems = {name: text_problem(getattr(obj, name)) for name in names}
    return {name: problem for name, problem in problems.items() if problem}


GWP_DIGITS = {"max_digits": 16, "decimal_places": 6}
PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Plant(models.Model):
    """A supplier's production site; its province fixes the grid region used by regional default factors."""

    supplier = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="plants")
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    province = models.CharField(_("province"), max_length=2, choices=Province.choices)
    city = models.CharField(_("city"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("plant")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Names are shown to carmakers and auditors: nothing invisible or reordering in them."""
        errors = text_errors(self, ("name", "name_zh", "city"))
        if errors:
            raise ValidationError(errors)


class Product(models.Model):
    """A steel or aluminium product a supplier sells, made by one route at (optionally) one plant."""

    supplier = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="products")
    plant = models.ForeignKey(
        Plant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        verbose_name=_("plant"),
    )
    material = models.ForeignKey(
        "accounting.Material", on_delete=models.PROTECT, related_name="products", verbose_name=_("material")
    )
    route = models.CharField(_("production route"), max_length=16, choices=ProductionRoute.choices)
    name = models.CharField(_("name"), max_length=200)
    grade = models.CharField(_("grade or alloy"), max_length=100, blank=True)
    declared_unit = models.CharField(
        _("declared unit"), max_length=8, choices=DeclaredUnit.choices, default=DeclaredUnit.TONNE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The route must be one of the material family's routes, and the plant the supplier's own."""
        from accounting.choices import ROUTES_BY_FAMILY

        errors = text_errors(self, ("name", "grade"))
        if self.material_id and self.route:
            allowed = ROUTES_BY_FAMILY.get(self.material.family, set())
            if self.route not in allowed:
                errors["route"] = _("%(route)s is not a production route of %(material)s.") % {
                    "route": self.get_route_display(),
                    "material": self.material.name_en,
                }
        if self.plant_id and self.supplier_id and self.plant.supplier_id != self.supplier_id:
            errors["plant"] = _("The plant must be one of the supplier's own.")
        if errors:
            raise ValidationError(errors)


class Declaration(models.Model):
    """An environmental product declaration (EPD) of one product: GWP per lifecycle module per declared unit.

    GWP values are kg CO2e per declared unit (`declared_amount` x `declared_unit`); the rollup converts them
    to kg CO2e per kg once, explicitly, using the unit and, for non-mass units, `mass_kg_per_declared_unit`.
    """

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("product")
    )
    plant = models.ForeignKey(
        Plant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name=_("plant"),
    )
    registration_number = models.CharField(_("registration number"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeclarationStatus.choices, default=DeclarationStatus.DRAFT
    )
    standard = models.CharField(
        _("standard"), max_length=20, choices=Standard.choices, default=Standard.EN_15804_A2
    )
    programme_operator = models.CharField(_("programme operator"), max_length=200, blank=True)
    verifier = models.CharField(_("verifier"), max_length=200, blank=True)
    pcr = models.CharField(_("product category rules (PCR)"), max_length=200, blank=True)
    issue_date = models.DateField(_("issue date"))
    valid_until = models.DateField(_("valid until"))
    declared_unit = models.CharField(_("declared unit"), max_length=8, choices=DeclaredUnit.choices)
    declared_amount = models.DecimalField(
        _("declared amount"), max_digits=12, decimal_places=4, default=Decimal(1)
    )
    mass_kg_per_declared_unit = models.DecimalField(
        _("mass per declared unit (kg)"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    gwp_a1_a3_kg_co2e = models.DecimalField(_("GWP A1-A3 (kg CO2e per declared unit)"), **GWP_DIGITS)
    gwp_a4_kg_co2e = models.DecimalField(_("GWP A4"), null=True, blank=True, **GWP_DIGITS)
    gwp_c1_kg_co2e = models.DecimalField(_("GWP C1"), null=True, blank=True, **GWP_DIGITS)
    gwp_c2_kg_co2e = models.DecimalField(_("GWP C2"), null=True, blank=True, **GWP_DIGITS)
    gwp_c3_kg_co2e = models.DecimalField(_("GWP C3"), null=True, blank=True, **GWP_DIGITS)
    gwp_c4_kg_co2e = models.DecimalField(_("GWP C4"), null=True, blank=True, **GWP_DIGITS)
    gwp_d_kg_co2e = models.DecimalField(_("GWP D"), null=True, blank=True, **GWP_DIGITS)
    gwp_total_declared_kg_co2e = models.DecimalField(
        _("declared GWP total"), null=True, blank=True, **GWP_DIGITS
    )
    recycled_content_pct = models.DecimalField(
        _("recycled content (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )
    renewable_electricity_pct = models.DecimalField(
        _("renewable electricity share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )
    document = models.FileField(_("EPD document (PDF)"), upload_to="epd/%Y/%m/", blank=True)
    source_format = models.CharField(
        _("source format"), max_length=10, choices=SourceFormat.choices, default=SourceFormat.FORM
    )
    source_document = models.TextField(_("raw source document"), blank=True)
    import_batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="declarations",
        verbose_name=_("import batch"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("declaration")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("issue_date")), name="declaration_valid_until_after_issue_date"
            ),
            models.CheckConstraint(
                condition=Q(gwp_a1_a3_kg_co2e__gte=0), name="declaration_gwp_a1_a3_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(declared_amount__gt=0), name="declaration_declared_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(mass_kg_per_declared_unit__isnull=True) | Q(mass_kg_per_declared_unit__gt=0),
                name="declaration_mass_per_unit_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"]),
            models.Index(fields=["registration_number"]),
        ]

    def __str__(self) -> str:
        return f"{self.registration_number} v{self.version}"

    @property
    def a1_a3_kg_co2e_per_kg(self) -> Decimal | None:
        """A1-A3 converted from the declared unit to kg CO2e per kg of product (t -> 1000 kg, explicitly)."""
        from .checks import a1_a3_kg_co2e_per_kg

        return a1_a3_kg_co2e_per_kg({name: getattr(self, name) for name in RULE_FIELDS})

    def clean(self) -> None:
        """Cross-field rules every path into a declaration shares (form, import, API)."""
        errors = declaration_rule_errors({name: getattr(self, name) for name in RULE_FIELDS})
        if errors:
            raise ValidationError(errors)


class Review(models.Model):
    """An auditor's decision on a submitted declaration; a comment is required except on approval."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer_organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("review")

    def __str__(self) -> str:
        return f"{self.decision} {self.declaration}"


class Finding(models.Model):
    """An automated plausibility finding on a declaration, shown to its supplier and to the auditor."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(_("code"), max_length=50)
    severity = models.CharField(_("severity"), max_length=10, choices=FindingSeverity.choices)
    field = models.CharField(_("field"), max_length=50, blank=True)
    message_en = models.TextField(_("message (English)"))
    message_zh = models.TextField(_("message (Chinese)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["severity", "code"]
        verbose_name = _("finding")

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"

    @property
    def message(self) -> str:
        """The message in the language of the current request."""
        return self.message_zh if (get_language() or "").startswith("zh") else self.message_en


class ImportBatch(models.Model):
    """One uploaded file of declarations: who sent what, how many rows, per-row errors, and progress."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="import_batches"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_format = models.CharField(_("format"), max_length=10, choices=SourceFormat.choices)
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    row_errors = models.JSONField(default=list, blank=True)
    # One entry per parsed record: location, product, fields (as text), errors and findings: the preview.
    records = models.JSONField(default=list, blank=True)
    # For openEPD and ILCD files, which carry no product of ours: the product the uploader chose.
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_batches"
    )
    error = models.TextField(_("file error"), blank=True)
    declarations_created = models.PositiveIntegerField(default=0)
    progress_pct = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    # The uploader's language ("zh-hans"): the preview's messages are written in it, also by the background
    # task that validates large files outside any request. Empty: the site's default language.
    language = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
