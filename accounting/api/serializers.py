"""Serializers of the carmaker-side API: vehicle models, footprints and their detail, BOMs, materials, runs."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carbon_platform.fast_serializers import FastRepresentation
from carbon_platform.tenancy.models import Organisation
from carbon_platform.text import text_problem
from disclosures.models import Product

from .. import selectors
from ..choices import VehicleSystem
from ..models import BomLine, Contribution, DefaultFactor, Footprint, Material, RollupRun, VehicleModel


class VehicleModelSerializer(FastRepresentation, serializers.ModelSerializer):
    carmaker = serializers.CharField(source="carmaker.name")
    current_footprint_kg_co2e = serializers.DecimalField(
        source="footprint_total_kg_co2e", max_digits=18, decimal_places=4, read_only=True, allow_null=True
    )
    current_kg_co2e_per_kg_curb_mass = serializers.DecimalField(
        source="footprint_kg_co2e_per_kg", max_digits=18, decimal_places=4, read_only=True, allow_null=True
    )
    current_primary_data_share = serializers.DecimalField(
        source="footprint_primary_data_share", max_digits=7, decimal_places=6, read_only=True, allow_null=True
    )

    class Meta:
        model = VehicleModel
        fields = [
            "id",
            "carmaker",
            "brand",
            "model_name",
            "variant",
            "model_year",
            "segment",
            "body_type",
            "powertrain",
            "curb_mass_kg",
            "external_id",
            "current_footprint_kg_co2e",
            "current_kg_co2e_per_kg_curb_mass",
            "current_primary_data_share",
        ]


class BySupplierRowSerializer(serializers.Serializer):
    supplier_id = serializers.IntegerField(allow_null=True, help_text="null: lines with no supplier linked")
    supplier = serializers.CharField(allow_null=True)
    kg_co2e = serializers.FloatField()


class FootprintSerializer(FastRepresentation, serializers.ModelSerializer):
    """The current footprint: totals and splits. `by_supplier` is null unless you are the carmaker that owns
    the model or an auditor (context `supplier_detail`)."""

    vehicle_model = serializers.IntegerField(source="vehicle_model_id")
    kg_co2e_per_kg_curb_mass = serializers.SerializerMethodField()
    by_material = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="kg CO2e by material code"
    )
    by_module = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="kg CO2e by lifecycle module (A1-A3, D, ...)",
    )
    by_data_source = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="kg CO2e by data-source level (0-4)"
    )
    mass_by_data_source = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="BOM mass (kg) by data-source level (0-4)"
    )
    by_supplier = serializers.SerializerMethodField()

    class Meta:
        model = Footprint
        fields = [
            "vehicle_model",
            "revision",
            "computed_at",
            "total_kg_co2e",
            "kg_co2e_per_kg_curb_mass",
            "module_d_kg_co2e",
            "by_material",
            "by_module",
            "by_data_source",
            "by_supplier",
            "primary_data_share",
            "mass_total_kg",
            "mass_by_data_source",
            "conservative_line_count",
            "input_fingerprint",
        ]

    @extend_schema_field(BySupplierRowSerializer(many=True, allow_null=True))
    def get_by_supplier(self, footprint: Footprint) -> list[dict] | None:
        """Largest first: supplier id (null for lines with no supplier linked), name and kg CO2e; null for
        anyone but the owner carmaker and auditors."""
        if not self.context.get("supplier_detail"):
            return None
        names = dict(
            Organisation.objects.filter(id__in=[int(k) for k in footprint.by_supplier if k]).values_list(
                "id", "name"
            )
        )
        return [
            {
                "supplier_id": int(key) if key else None,
                "supplier": names.get(int(key)) if key else None,
                "kg_co2e": value,
            }
            for key, value in sorted(footprint.by_supplier.items(), key=lambda item: -item[1])
        ]

    # a decimal string like the model's other figures (OpenApiTypes.DECIMAL would say a JSON number)
    @extend_schema_field(serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True))
    def get_kg_co2e_per_kg_curb_mass(self, footprint: Footprint) -> str:
        return str(round(footprint.total_kg_co2e / footprint.vehicle_model.curb_mass_kg, 4))


class ChangeSerializer(serializers.Serializer):
    material = serializers.CharField()
    supplier = serializers.CharField(help_text="empty: lines with no supplier linked")
    before = serializers.CharField(help_text="sources before, e.g. `L3: 100.00 kg x 2.1000`")
    after = serializers.CharField(help_text="sources after, e.g. `L1 EPD-0001 v1: 100.00 kg x 1.9000`")
    delta_kg_co2e = serializers.FloatField()


class FootprintRevisionSerializer(serializers.Serializer):
    """One revision of the history: its total, its change, its cause and (owner carmaker and auditors only)
    the change per material x supplier; `changes` is null for everyone else."""

    revision = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    total_kg_co2e = serializers.FloatField()
    delta_kg_co2e = serializers.FloatField(allow_null=True, help_text="null for the first revision listed")
    cause = serializers.CharField(help_text="the trigger of the run that computed it, e.g. `Full run`")
    run_id = serializers.IntegerField(allow_null=True)
    changes = ChangeSerializer(many=True, allow_null=True)


class ContributionSerializer(serializers.ModelSerializer):
    """Part of the current footprint: one material x supplier x data-source level x declaration."""

    material = serializers.CharField(source="material.code")
    supplier_id = serializers.IntegerField(allow_null=True)
    supplier = serializers.CharField(source="supplier.name", allow_null=True, default=None)
    level = serializers.IntegerField(source="data_source_level")
    level_label = serializers.CharField(source="get_data_source_level_display")
    declaration_id = serializers.IntegerField(allow_null=True)
    declaration = serializers.SerializerMethodField()

    class Meta:
        model = Contribution
        fields = [
            "id",
            "material",
            "supplier_id",
            "supplier",
            "level",
            "level_label",
            "declaration_id",
            "declaration",
            "mass_kg",
            "kg_co2e_per_kg",
            "kg_co2e",
        ]

    def get_declaration(self, contribution: Contribution) -> str | None:
        """Registration number and version, e.g. `EPD-0001 v2`."""
        return str(contribution.declaration) if contribution.declaration_id else None


class BomLineSerializer(serializers.ModelSerializer):
    material = serializers.CharField(source="material.code")
    supplier_product = serializers.IntegerField(source="supplier_product_id", allow_null=True)
    supplier = serializers.CharField(source="supplier_product.supplier.name", allow_null=True, default=None)

    class Meta:
        model = BomLine
        fields = ["id", "component", "system", "material", "mass_kg", "supplier_product", "supplier", "share"]


class BomLineInputSerializer(serializers.Serializer):
    component = serializers.CharField(max_length=150)
    system = serializers.ChoiceField(choices=VehicleSystem.choices)
    material = serializers.CharField(help_text="material code, e.g. `steel.hot_rolled_coil`")
    mass_kg = serializers.DecimalField(max_digits=14, decimal_places=4)
    supplier_product = serializers.IntegerField(
        required=False, allow_null=True, help_text="id of the supplier product this line is bought as"
    )
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        required=False,
        allow_null=True,
        help_text="share of a multi-sourced component, in (0, 1]; the shares of a component add up to 1",
    )

    def to_internal_value(self, data):
        # A misspelt key (say "mass" for "mass_kg") would otherwise be dropped without a word.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [
                        _("Unknown field; a BOM line has only: %(fields)s.")
                        % {"fields": ", ".join(self.fields)}
                    ]
                    for name in unknown
                }
            )
        return super().to_internal_value(data)

    def validate_component(self, value: str) -> str:
        problem = text_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class BomReplaceSerializer(serializers.Serializer):
    """The model's whole new BOM: every line, replacing all the old ones."""

    lines = BomLineInputSerializer(many=True, allow_empty=False)

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        """Material codes and product ids to objects, in two queries whatever the number of lines."""
        codes = {line["material"] for line in lines}
        materials = {m.code: m for m in Material.objects.filter(code__in=codes)}
        product_ids = {line["supplier_product"] for line in lines if line.get("supplier_product")}
        products = Product.objects.select_related("material").in_bulk(product_ids)
        errors, resolved = [], []
        for number, line in enumerate(lines, start=1):
            line = dict(line)
            if line["material"] not in materials:
                errors.append(
                    _("line %(n)d, material: unknown code %(code)s") % {"n": number, "code": line["material"]}
                )
                continue
            line["material"] = materials[line["material"]]
            if line.get("supplier_product") is not None:
                if line["supplier_product"] not in products:
                    errors.append(
                        _("line %(n)d, supplier_product: no product %(id)d")
                        % {"n": number, "id": line["supplier_product"]}
                    )
                    continue
                line["supplier_product"] = products[line["supplier_product"]]
            resolved.append(line)
        if errors:
            raise serializers.ValidationError(errors)
        return resolved


class BomReplaceResultSerializer(serializers.Serializer):
    vehicle_model = serializers.IntegerField()
    lines_written = serializers.IntegerField()
    mass_total_kg = serializers.DecimalField(max_digits=14, decimal_places=4)
    rollup_run = serializers.IntegerField(allow_null=True, help_text="the recompute run the change enqueued")


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Material
        fields = ["id", "code", "family", "name_en", "name_zh"]


class DefaultFactorSerializer(serializers.ModelSerializer):
    material = serializers.CharField(source="material.code")

    class Meta:
        model = DefaultFactor
        fields = [
            "id",
            "material",
            "route",
            "province",
            "basis",
            "kg_co2e_per_kg",
            "source",
            "year",
            "updated_at",
        ]


class RollupRunSerializer(serializers.ModelSerializer):
    """A recompute: its trigger, status, live progress over its chunks, timings (seconds) and any error."""

    models_done = serializers.SerializerMethodField()
    progress_pct = serializers.SerializerMethodField()
    chunks_total = serializers.IntegerField(read_only=True)
    chunks_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = RollupRun
        fields = [
            "id",
            "trigger",
            "trigger_object",
            "status",
            "models_total",
            "models_done",
            "progress_pct",
            "chunks_total",
            "chunks_done",
            "footprints_written",
            "created_at",
            "started_at",
            "finished_at",
            "timings_s",
            "error",
        ]

    def get_models_done(self, run: RollupRun) -> int:
        return selectors.rollup_run_progress(run)["models_done"]

    def get_progress_pct(self, run: RollupRun) -> int:
        return selectors.rollup_run_progress(run)["progress_pct"]


class BomImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class BomImportResultSerializer(serializers.Serializer):
    """What a BOM import replaced, and the recompute run that follows it."""

    models_replaced = serializers.IntegerField()
    lines_written = serializers.IntegerField()
    lines_deleted = serializers.IntegerField()
    vehicle_model_ids = serializers.ListField(child=serializers.IntegerField())
    rollup_run = serializers.IntegerField(source="rollup_run_id", allow_null=True)
