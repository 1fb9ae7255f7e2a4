"""Admin for the operator: the material taxonomy, default factors, vehicles, footprints and runs."""

from django.contrib import admin

from .models import BomLine, Contribution, DefaultFactor, Footprint, Material, RollupRun, VehicleModel


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["code", "family", "name_en", "name_zh"]
    list_filter = ["family"]
    search_fields = ["code", "name_en", "name_zh"]


@admin.register(DefaultFactor)
class DefaultFactorAdmin(admin.ModelAdmin):
    list_display = ["material", "route", "province", "basis", "kg_co2e_per_kg", "source", "year"]
    list_filter = ["basis", "route", "material__family"]


class BomLineInline(admin.TabularInline):
    model = BomLine
    extra = 0
    raw_id_fields = ["supplier_product"]


@admin.register(VehicleModel)
class VehicleModelAdmin(admin.ModelAdmin):
    list_display = ["brand", "model_name", "variant", "model_year", "powertrain", "segment", "curb_mass_kg"]
    list_filter = ["powertrain", "segment", "body_type", "model_year"]
    search_fields = ["brand", "model_name", "variant", "external_id"]
    list_select_related = ["carmaker"]


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0
    can_delete = False
    readonly_fields = [
        "material",
        "supplier",
        "data_source_level",
        "declaration",
        "mass_kg",
        "kg_co2e_per_kg",
        "kg_co2e",
    ]


@admin.register(Footprint)
class FootprintAdmin(admin.ModelAdmin):
    list_display = [
        "vehicle_model",
        "revision",
        "is_current",
        "total_kg_co2e",
        "primary_data_share",
        "computed_at",
    ]
    list_filter = ["is_current"]
    raw_id_fields = ["vehicle_model", "run"]
    inlines = [ContributionInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RollupRun)
class RollupRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "trigger",
        "status",
        "models_done",
        "models_total",
        "footprints_written",
        "created_at",
    ]
    list_filter = ["trigger", "status"]
