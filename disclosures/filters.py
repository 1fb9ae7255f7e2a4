"""One FilterSet per list of the supplier side, shared by the browser page and the API where both list it."""

from datetime import timedelta

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting.choices import ProductionRoute
from accounting.models import Material
from carbon_platform.filters import IntegerFilter
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.models import Organisation
from carbon_platform.tenancy.selectors import organisation_of

from .choices import DeclarationStatus, FindingSeverity
from .models import Declaration, Finding, ImportBatch, Plant, Product

SEVERITY_CHOICES = [
    ("error", _("Has errors")),
    ("warning", _("Has warnings")),
    ("clean", _("No errors or warnings")),
]


class DeclarationFilter(django_filters.FilterSet):
    """The declarations list of the API (each organisation its own slice), the supplier's declaration page
    and the auditor's review queue: status, product, material, route, supplier, waiting time, findings."""

    status = django_filters.ChoiceFilter(
        choices=DeclarationStatus.choices, empty_label=_("Any status"), label=_("Status")
    )
    product = IntegerFilter(field_name="product_id", label=_("Product id"))
    material = django_filters.ModelChoiceFilter(
        field_name="product__material",
        queryset=Material.objects.exclude(family="other").order_by("code"),
        empty_label=_("Any material"),
        label=_("Material"),
    )
    material_code = django_filters.CharFilter(field_name="product__material__code", label=_("Material code"))
    route = django_filters.ChoiceFilter(
        field_name="product__route",
        choices=ProductionRoute.choices,
        empty_label=_("Any route"),
        label=_("Route"),
    )
    supplier = django_filters.ModelChoiceFilter(
        field_name="product__supplier",
        queryset=Organisation.objects.filter(kind="supplier").order_by("name"),
        empty_label=_("Any supplier"),
        label=_("Supplier"),
    )
    min_age_days = IntegerFilter(method="filter_min_age", max_value=36500, label=_("Waiting at least (days)"))
    severity = django_filters.ChoiceFilter(
        choices=SEVERITY_CHOICES, method="filter_severity", empty_label=_("Any findings"), label=_("Findings")
    )

    class Meta:
        model = Declaration
        fields = ["status", "product", "material", "material_code", "route", "supplier"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        organisation = organisation_of(request.user) if request is not None else None
        if organisation is not None and organisation.kind != OrganisationKind.SUPPLIER:
            # only a supplier ever sees drafts, its own
            status = self.filters["status"]
            status.extra["choices"] = [
                choice for choice in DeclarationStatus.choices if choice[0] != DeclarationStatus.DRAFT
            ]
            # A filter builds its form field once and keeps it; if the class's own filter was built before
            # (the OpenAPI schema reads it), this copy carries that field: drop it to rebuild with the choices.
            status.__dict__.pop("_field", None)

    def filter_min_age(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(submitted_at__lte=timezone.now() - timedelta(days=int(value)))

    def filter_severity(self, queryset, name, value):
        def has(severity):
            return Exists(Finding.objects.filter(declaration=OuterRef("pk"), severity=severity))

        if value == "error":
            return queryset.filter(has(FindingSeverity.ERROR))
        if value == "warning":
            return queryset.filter(has(FindingSeverity.WARNING))
        if value == "clean":
            return queryset.filter(~has(FindingSeverity.ERROR), ~has(FindingSeverity.WARNING))
        return queryset


class ImportBatchFilter(django_filters.FilterSet):
    """The supplier's imports: the import page and the API list."""

    class Meta:
        model = ImportBatch
        fields = ["status", "source_format"]


class PlantFilter(django_filters.FilterSet):
    class Meta:
        model = Plant
        fields = ["province"]


class ProductFilter(django_filters.FilterSet):
    material = django_filters.CharFilter(field_name="material__code", label=_("Material code"))

    class Meta:
        model = Product
        fields = ["material", "route", "plant"]
