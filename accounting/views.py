"""Footprint pages: the vehicle model list with filters, a model's current footprint, and the rollup runs."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import selectors
from .filters import VehicleModelFilter

SORTS = {
    "name": ["brand", "model_name", "variant", "model_year"],
    "footprint": ["footprint_total_kg_co2e"],
    "-footprint": ["-footprint_total_kg_co2e"],
    "per-kg": ["footprint_kg_co2e_per_kg"],
    "-per-kg": ["-footprint_kg_co2e_per_kg"],
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
            "brands": selectors.vehicle_brands(),
            "carmakers": selectors.carmakers_with_models(),
            "page": page,
            "sort": sort,
            "querystring": query.urlencode(),
        },
    )


@login_required
def vehicle_model_detail(request, pk: int):
    vehicle_model = get_object_or_404(selectors.vehicle_models_with_current_footprint(), pk=pk)
    footprint = selectors.current_footprint(vehicle_model=vehicle_model)
    context = {"vehicle_model": vehicle_model, "footprint": footprint}
    if footprint:
        context.update(
            selectors.footprint_breakdowns(footprint=footprint),
            contributions=footprint.contributions.select_related(
                "material", "supplier", "declaration"
            ).order_by("-kg_co2e"),
            conservative_lines=selectors.conservative_lines(vehicle_model=vehicle_model)[:50],
            history=selectors.footprint_history(vehicle_model=vehicle_model),
            kg_co2e_per_kg=footprint.total_kg_co2e / vehicle_model.curb_mass_kg,
        )
    return render(request, "accounting/vehicle_model_detail.html", context)


@login_required
def rollup_run_list(request):
    page = Paginator(selectors.rollup_runs_with_progress(), 50).get_page(request.GET.get("page"))
    for run in page:
        run.progress = selectors.rollup_run_progress(run)
    return render(request, "accounting/rollup_run_list.html", {"page": page, "querystring": ""})


@login_required
def rollup_run_detail(request, pk: int):
    run = get_object_or_404(selectors.rollup_runs_with_progress(), pk=pk)
    chunks = run.chunks.order_by("index").only(
        "index",
        "status",
        "models_total",
        "models_done",
        "footprints_written",
        "attempts",
        "timings_s",
        "error",
    )
    return render(
        request,
        "accounting/rollup_run_detail.html",
        {"run": run, "progress": selectors.rollup_run_progress(run), "chunks": chunks},
    )
