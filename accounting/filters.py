"""One FilterSet per list of the accounting side, shared by the browser page and the API where both list it."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carbon_platform.filters import IntegerFilter, UtcDateTimeFilter

from .choices import DataSourceLevel
from .models import BomLine, Contribution, DefaultFactor, Footprint, Material, RollupRun, VehicleModel


class VehicleModelFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    brand = django_filters.CharFilter(field_name="brand", lookup_expr="iexact")
    model_year = IntegerFilter(max_value=32767)  # PositiveSmallIntegerField
    carmaker = IntegerFilter(field_name="carmaker_id")

    class Meta:
        model = VehicleModel
        fields = ["q", "brand", "segment", "powertrain", "body_type", "model_year", "carmaker"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(brand__icontains=value)
            | Q(model_name__icontains=value)
            | Q(variant__icontains=value)
            | Q(external_id__iexact=value)
        )


class MaterialFilter(django_filters.FilterSet):
    class Meta:
        model = Material
        fields = ["family"]


class DefaultFactorFilter(django_filters.FilterSet):
    material = django_filters.CharFilter(field_name="material__code", label=_("Material code"))

    class Meta:
        model = DefaultFactor
        fields = ["material", "route", "province", "basis"]


class ContributionFilter(django_filters.FilterSet):
    material = django_filters.CharFilter(field_name="material__code", label=_("Material code"))
    supplier = IntegerFilter(field_name="supplier_id", label=_("Supplier id"))
    level = django_filters.TypedChoiceFilter(
        field_name="data_source_level", choices=DataSourceLevel.choices, coerce=int, label=_("Level")
    )
    declaration = IntegerFilter(field_name="declaration_id", label=_("Declaration id"))

    class Meta:
        model = Contribution
        fields = ["material", "supplier", "level", "declaration"]


class BomLineFilter(django_filters.FilterSet):
    material = django_filters.CharFilter(field_name="material__code", label=_("Material code"))
    supplier_product = IntegerFilter(field_name="supplier_product_id", label=_("Product id"))
    linked = django_filters.BooleanFilter(
        field_name="supplier_product", lookup_expr="isnull", exclude=True, label=_("Linked to a product")
    )

    class Meta:
        model = BomLine
        fields = ["system", "material", "supplier_product", "linked"]


class FootprintRevisionFilter(django_filters.FilterSet):
    computed_after = UtcDateTimeFilter(
        field_name="computed_at", lookup_expr="gte", label=_("Computed at or after")
    )
    computed_before = UtcDateTimeFilter(
        field_name="computed_at", lookup_expr="lt", label=_("Computed before")
    )

    class Meta:
        model = Footprint
        fields = ["computed_after", "computed_before"]


class RollupRunFilter(django_filters.FilterSet):
    """Shared by the recompute runs page and the API list."""

    class Meta:
        model = RollupRun
        fields = ["status", "trigger"]
