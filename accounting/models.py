"""Carmaker-side models: the material taxonomy, secondary factors, vehicles, BOMs and their footprints."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carbon_platform.tenancy.choices import Province

from .choices import (
    BodyType,
    DataSourceLevel,
    FactorBasis,
    MaterialFamily,
    Powertrain,
    ProductionRoute,
    RollupStatus,
    RollupTrigger,
    Segment,
    VehicleSystem,
)

MASS_DIGITS = {"max_digits": 14, "decimal_places": 4}
CO2E_DIGITS = {"max_digits": 18, "decimal_places": 4}
FACTOR_DIGITS = {"max_digits": 12, "decimal_places": 6}


class Material(models.Model):
    """A material of the taxonomy, e.g. `steel.hot_rolled_coil`; `other.*` codes keep a BOM complete."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    family = models.CharField(_("family"), max_length=16, choices=MaterialFamily.choices)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("material")

    def __str__(self) -> str:
        return self.code


class DefaultFactor(models.Model):
    """Secondary data: kg CO2e per kg of a material, optionally for one route and one province, with source."""

    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="default_factors")
    route = models.CharField(
        _("production route"), max_length=16, choices=ProductionRoute.choices, blank=True
    )
    province = models.CharField(_("province"), max_length=2, choices=Province.choices, blank=True)
    basis = models.CharField(_("basis"), max_length=16, choices=FactorBasis.choices)
    kg_co2e_per_kg = models.DecimalField(_("kg CO2e per kg"), **FACTOR_DIGITS)
    source = models.CharField(_("source"), max_length=300)
    year = models.PositiveSmallIntegerField(_("year"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["material__code", "basis", "route", "province"]
        verbose_name = _("default factor")
        constraints = [
            models.UniqueConstraint(
                fields=["material", "route", "province", "basis"], name="default_factor_unique"
            ),
            models.CheckConstraint(condition=Q(kg_co2e_per_kg__gte=0), name="default_factor_non_negative"),
            # A conservative default is a material-wide fallback: no route, no province.
            models.CheckConstraint(
                condition=~Q(basis=FactorBasis.CONSERVATIVE) | (Q(route="") & Q(province="")),
                name="default_factor_conservative_is_material_wide",
            ),
        ]

    def __str__(self) -> str:
        scope = "/".join(part for part in (self.route, self.province) if part) or "all"
        return f"{self.material.code} [{scope}] {self.basis}: {self.kg_co2e_per_kg}"


class VehicleModel(models.Model):
    """A passenger vehicle model variant of one carmaker; its BOM lines feed its footprint."""

    carmaker = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="vehicle_models"
    )
    brand = models.CharField(_("brand"), max_length=100)
    model_name = models.CharField(_("model"), max_length=100)
    variant = models.CharField(_("variant"), max_length=150, blank=True)
    model_year = models.PositiveSmallIntegerField(_("model year"))
    segment = models.CharField(_("segment"), max_length=4, choices=Segment.choices)
    body_type = models.CharField(_("body type"), max_length=16, choices=BodyType.choices)
    powertrain = models.CharField(_("powertrain"), max_length=4, choices=Powertrain.choices)
    curb_mass_kg = models.DecimalField(_("curb mass (kg)"), max_digits=8, decimal_places=1)
    external_id = models.CharField(_("external id"), max_length=100)
    bom_updated_at = models.DateTimeField(_("BOM updated at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "model_name", "variant", "model_year"]
        verbose_name = _("vehicle model")
        constraints = [
            models.UniqueConstraint(
                fields=["carmaker", "external_id"], name="vehicle_model_external_id_unique"
            ),
            models.CheckConstraint(condition=Q(curb_mass_kg__gt=0), name="vehicle_model_curb_mass_positive"),
        ]
        indexes = [models.Index(fields=["brand", "model_year"]), models.Index(fields=["powertrain"])]

    def __str__(self) -> str:
        return f"{self.brand} {self.model_name} {self.variant} ({self.model_year})".replace("  ", " ")


class BomLine(models.Model):
    """One line of a vehicle's bill of materials: a component's mass of one material.

    When a component is multi-sourced, there is one line per supplier product, each with its `share`
    of the mass (0-1); a line without a supplier product falls back to default factors.
    """

    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.CASCADE, related_name="bom_lines")
    component = models.CharField(_("component"), max_length=150)
    system = models.CharField(_("system"), max_length=24, choices=VehicleSystem.choices)
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="bom_lines")
    mass_kg = models.DecimalField(_("mass (kg)"), **MASS_DIGITS)
    supplier_product = models.ForeignKey(
        "disclosures.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="bom_lines"
    )
    share = models.DecimalField(
        _("share of the component"), max_digits=5, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = _("BOM line")
        constraints = [
            models.CheckConstraint(condition=Q(mass_kg__gte=0), name="bom_line_mass_non_negative"),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | (Q(share__gt=0) & Q(share__lte=1)),
                name="bom_line_share_in_0_1",
            ),
        ]
        indexes = [models.Index(fields=["vehicle_model", "material"])]

    def __str__(self) -> str:
        return f"{self.component}: {self.mass_kg} kg {self.material_id}"


class RollupRun(models.Model):
    """One recompute of footprints: what triggered it, which models, progress, timings and any error."""

    trigger = models.CharField(_("trigger"), max_length=24, choices=RollupTrigger.choices)
    trigger_object = models.CharField(_("trigger object"), max_length=100, blank=True)
    scope_model_ids = models.JSONField(_("model ids in scope (null: all)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RollupStatus.choices, default=RollupStatus.PENDING
    )
    models_total = models.PositiveIntegerField(default=0)
    models_done = models.PositiveIntegerField(default=0)
    footprints_written = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings_s = models.JSONField(_("timings (s)"), default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rollup run")

    def __str__(self) -> str:
        return f"run {self.pk} {self.trigger} {self.status}"


class RollupChunk(models.Model):
    """One slice of a run's models, computed by one task; a run's progress is the sum of its chunks'."""

    run = models.ForeignKey(RollupRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    model_ids = models.JSONField(_("model ids"))
    status = models.CharField(
        _("status"), max_length=10, choices=RollupStatus.choices, default=RollupStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    models_total = models.PositiveIntegerField(default=0)
    models_done = models.PositiveIntegerField(default=0)
    footprints_written = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings_s = models.JSONField(_("timings (s)"), default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="rollup_chunk_unique_index")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.index} {self.status}"


class Footprint(models.Model):
    """One revision of a vehicle model's cradle-to-gate material footprint; exactly one is current.

    `total_kg_co2e` is the material-production total (A1-A3 of every BOM line); module D is reported
    beside it in `module_d_kg_co2e` and never netted in.
    """

    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.CASCADE, related_name="footprints")
    revision = models.PositiveIntegerField(_("revision"))
    is_current = models.BooleanField(_("current"), default=True)
    computed_at = models.DateTimeField(_("computed at"))
    run = models.ForeignKey(
        RollupRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="footprints"
    )
    total_kg_co2e = models.DecimalField(_("total (kg CO2e)"), **CO2E_DIGITS)
    module_d_kg_co2e = models.DecimalField(_("module D (kg CO2e)"), **CO2E_DIGITS)
    by_material = models.JSONField(_("kg CO2e by material"), default=dict)
    by_module = models.JSONField(_("kg CO2e by lifecycle module"), default=dict)
    by_data_source = models.JSONField(_("kg CO2e by data source level"), default=dict)
    by_supplier = models.JSONField(_("kg CO2e by supplier id ('' = no supplier linked)"), default=dict)
    primary_data_share = models.DecimalField(_("primary data share"), max_digits=7, decimal_places=6)
    mass_total_kg = models.DecimalField(_("BOM mass (kg)"), **MASS_DIGITS)
    mass_by_data_source = models.JSONField(_("mass (kg) by data source level"), default=dict)
    conservative_line_count = models.PositiveIntegerField(_("lines on conservative defaults"), default=0)
    input_fingerprint = models.CharField(_("input fingerprint"), max_length=64)

    class Meta:
        ordering = ["vehicle_model", "-revision"]
        verbose_name = _("footprint")
        indexes = [
            # Covers the headline figures, so lists join and sort thousands of models by footprint from the
            # index alone. A separate index, not INCLUDE on the unique constraint: a database without
            # covering indexes (SQLite) would drop that constraint, this one only loses its INCLUDE.
            models.Index(
                fields=["vehicle_model"],
                condition=Q(is_current=True),
                include=["total_kg_co2e", "primary_data_share", "revision"],
                name="footprint_current_figures",
            ),
            # PACT lists footprints in (created, id) order: a page walks this index instead of sorting them all.
            models.Index(fields=["computed_at", "id"], name="footprint_computed_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["vehicle_model", "revision"], name="footprint_revision_unique"),
            models.UniqueConstraint(
                fields=["vehicle_model"], condition=Q(is_current=True), name="footprint_one_current_per_model"
            ),
            models.CheckConstraint(condition=Q(total_kg_co2e__gte=0), name="footprint_total_non_negative"),
            models.CheckConstraint(
                condition=Q(primary_data_share__gte=0) & Q(primary_data_share__lte=1),
                name="footprint_primary_share_in_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_model_id} r{self.revision}: {self.total_kg_co2e} kg CO2e"


class Contribution(models.Model):
    """Part of a footprint: the emissions of one material x supplier x data-source level x declaration.

    Rows are read through their footprint only; the other keys are constrained but not indexed, since
    ~300,000 rows are written per full rollup and each index costs the COPY time (the material, supplier
    and declaration rows they name are never deleted in use: PROTECT would scan, which is rare and right)."""

    footprint = models.ForeignKey(Footprint, on_delete=models.CASCADE, related_name="contributions")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+", db_index=False)
    supplier = models.ForeignKey(
        "tenancy.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    data_source_level = models.PositiveSmallIntegerField(
        _("data source level"), choices=DataSourceLevel.choices
    )
    declaration = models.ForeignKey(
        "disclosures.Declaration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributions",
        db_index=False,
    )
    mass_kg = models.DecimalField(_("mass (kg)"), **MASS_DIGITS)
    kg_co2e_per_kg = models.DecimalField(_("kg CO2e per kg (mass-weighted)"), **FACTOR_DIGITS)
    kg_co2e = models.DecimalField(_("kg CO2e"), **CO2E_DIGITS)

    class Meta:
        verbose_name = _("contribution")
        constraints = [
            models.CheckConstraint(condition=Q(mass_kg__gte=0), name="contribution_mass_non_negative")
        ]

    def __str__(self) -> str:
        return f"{self.material_id} L{self.data_source_level}: {self.kg_co2e}"
