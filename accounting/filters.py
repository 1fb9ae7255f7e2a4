"""One FilterSet for vehicle models, shared by the browser list and the API list."""

import django_filters
from django.db.models import Q

from .models import VehicleModel


class VehicleModelFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    brand = django_filters.CharFilter(field_name="brand", lookup_expr="iexact")
    model_year = django_filters.NumberFilter()
    carmaker = django_filters.NumberFilter(field_name="carmaker_id")

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
