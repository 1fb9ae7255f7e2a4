"""Output serializers of the vehicle model and footprint endpoints."""

from rest_framework import serializers

from carbon_platform.tenancy.models import Organisation

from .. import selectors
from ..models import Footprint, RollupRun, VehicleModel


class VehicleModelSerializer(serializers.ModelSerializer):
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


class FootprintSerializer(serializers.ModelSerializer):
    vehicle_model = serializers.IntegerField(source="vehicle_model_id")
    kg_co2e_per_kg_curb_mass = serializers.SerializerMethodField()
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

    def get_by_supplier(self, footprint: Footprint) -> list[dict]:
        """Largest first: supplier id (null for lines with no supplier linked), name and kg CO2e."""
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

    def get_kg_co2e_per_kg_curb_mass(self, footprint: Footprint) -> str:
        return str(round(footprint.total_kg_co2e / footprint.vehicle_model.curb_mass_kg, 4))


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
