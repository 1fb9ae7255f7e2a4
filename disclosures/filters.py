"""The auditor's review queue filters (django-filter): status, material, route, supplier, age, findings, sort."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting.choices import ProductionRoute
from accounting.models import Material
from carbon_platform.tenancy.models import Organisation

from .choices import DeclarationStatus
from .models import Declaration

SEVERITY_CHOICES = [
    ("error", _("Has errors")),
    ("warning", _("Has warnings")),
    ("clean", _("No errors or warnings")),
]


class ReviewQueueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[c for c in DeclarationStatus.choices if c[0] != DeclarationStatus.DRAFT],
        empty_label=_("Any status"),
        label=_("Status"),
    )
    material = django_filters.ModelChoiceFilter(
        field_name="product__material",
        queryset=Material.objects.exclude(family="other").order_by("code"),
        empty_label=_("Any material"),
        label=_("Material"),
    )
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
    min_age_days = django_filters.NumberFilter(method="filter_min_age", label=_("Waiting at least (days)"))
    severity = django_filters.ChoiceFilter(
        choices=SEVERITY_CHOICES, method="filter_severity", empty_label=_("Any findings"), label=_("Findings")
    )
    sort = django_filters.OrderingFilter(
        fields=(("submitted_at", "age"),),
        field_labels={"submitted_at": _("Oldest first")},
        label=_("Sort"),
        choices=[("age", _("Oldest first")), ("-age", _("Newest first"))],
        empty_label=None,
    )

    class Meta:
        model = Declaration
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status") and "status" not in data:
            data["status"] = DeclarationStatus.SUBMITTED  # the queue proper, unless asked otherwise
        data.setdefault("sort", "age")
        super().__init__(data, *args, **kwargs)

    def filter_min_age(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(submitted_at__lte=timezone.now() - timedelta(days=int(value)))

    def filter_severity(self, queryset, name, value):
        if value == "error":
            return queryset.filter(error_count__gt=0)
        if value == "warning":
            return queryset.filter(warning_count__gt=0)
        if value == "clean":
            return queryset.filter(Q(error_count=0) & Q(warning_count=0))
        return queryset
