"""Footprint pages: the vehicle model list with filters and a model's current footprint."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import selectors
from .choices import DataSourceLevel
from .filters import VehicleModelFilter
from .models import Contribution

SORTS = {
    "name": ["brand", "model_name", "variant", "model_year"],
    "footprint": ["footprint_total_kg_co2e"],
    "-footprint": ["-footprint_total_kg_co2e"],
    "primary": ["footprint_primary_data_share"],
    "-primary": ["-footprint_primary_data_share"],
}


@login_required
def vehicle_model_list(request):
    filterset = VehicleModelFilter(request.GET, queryset=selectors.vehicle_models_with_current_footprint())
    sort = request.GET.get("sort", "name")
    queryset = filterset.qs.order_by(*SORTS.get(sort, SORTS["name"]), "id")
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounting/vehicle_model_list.html",
        {
            "filter": filterset,
            "page": page,
            "sort": sort,
            "querystring": query.urlencode(),
        },
    )


@login_required
def vehicle_model_detail(request, pk: int):
    vehicle_model = get_object_or_404(selectors.vehicle_models_with_current_footprint(), pk=pk)
    footprint = selectors.current_footprint(vehicle_model=vehicle_model)
    contributions = []
    by_material = []
    by_level = []
    if footprint:
        total = float(footprint.total_kg_co2e) or 1.0
        by_material = sorted(
            ((code, value, 100 * value / total) for code, value in footprint.by_material.items()),
            key=lambda item: -item[1],
        )
        by_level = [
            (
                DataSourceLevel(int(level)).label,
                value,
                footprint.mass_by_data_source.get(level, 0),
                100 * value / total,
            )
            for level, value in sorted(footprint.by_data_source.items())
        ]
        contributions = (
            Contribution.objects.filter(footprint=footprint)
            .select_related("material", "supplier", "declaration")
            .order_by("-kg_co2e")
        )
    return render(
        request,
        "accounting/vehicle_model_detail.html",
        {
            "vehicle_model": vehicle_model,
            "footprint": footprint,
            "contributions": contributions,
            "by_material": by_material,
            "by_level": by_level,
            "kg_co2e_per_kg": (footprint.total_kg_co2e / vehicle_model.curb_mass_kg) if footprint else None,
        },
    )
