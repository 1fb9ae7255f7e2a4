"""Footprint pages: the vehicle model list with filters, a model's current footprint, the rollup runs, and
the carmaker's BOM import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.decorators import organisation_kind_required
from carbon_platform.tenancy.selectors import organisation_of

from . import bom_files, selectors
from .bom_imports import BomImportError, bom_import
from .filters import RollupRunFilter, VehicleModelFilter
from .forms import BomImportForm

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
@require_safe
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
@require_safe
def vehicle_model_detail(request, pk: int):
    vehicle_model = get_object_or_404(selectors.vehicle_models_with_current_footprint(), pk=pk)
    footprint = selectors.current_footprint(vehicle_model=vehicle_model)
    # totals are public; what names suppliers is for the owner carmaker and auditors, as in the API
    supplier_detail = selectors.sees_supplier_detail(
        organisation=organisation_of(request.user), vehicle_model=vehicle_model
    )
    context = {"vehicle_model": vehicle_model, "footprint": footprint, "supplier_detail": supplier_detail}
    if footprint:
        breakdowns = selectors.footprint_breakdowns(footprint=footprint)
        context.update(
            by_material=breakdowns["by_material"],
            by_level=breakdowns["by_level"],
            history=selectors.footprint_history(vehicle_model=vehicle_model, supplier_detail=supplier_detail),
            kg_co2e_per_kg=footprint.total_kg_co2e / vehicle_model.curb_mass_kg,
        )
        if supplier_detail:
            context.update(
                by_supplier=breakdowns["by_supplier"],
                contributions=selectors.contributions_of(vehicle_model=vehicle_model),
                conservative_lines=selectors.conservative_lines(vehicle_model=vehicle_model)[:50],
            )
    return render(request, "accounting/vehicle_model_detail.html", context)


@login_required
@require_safe
def rollup_run_list(request):
    runs = RollupRunFilter(request.GET, queryset=selectors.rollup_runs_with_progress())
    page = Paginator(runs.qs, 50).get_page(request.GET.get("page"))
    for run in page:
        run.progress = selectors.rollup_run_progress(run)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounting/rollup_run_list.html",
        {"page": page, "filter": runs, "querystring": query.urlencode()},
    )


@login_required
@require_safe
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


carmaker_required = organisation_kind_required(OrganisationKind.CARMAKER)


@login_required
@carmaker_required
def bom_import_page(request):
    """Upload a BOM file; on success back here with the counts, on errors the table of row errors."""
    form = BomImportForm(request.POST or None, request.FILES or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            result = bom_import(actor=request.user, upload=form.cleaned_data["file"])
        except BomImportError as error:
            refused = error
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            summary = ngettext(
                "BOM of %(models)d model replaced (lines written: %(written)d, removed: %(deleted)d).",
                "BOMs of %(models)d models replaced (lines written: %(written)d, removed: %(deleted)d).",
                result.models_replaced,
            ) % {
                "models": result.models_replaced,
                "written": result.lines_written,
                "deleted": result.lines_deleted,
            }
            messages.success(
                request,
                format_html(
                    '{} <a href="{}">{}</a> · <a href="{}">{}</a>',
                    summary,
                    reverse("accounting:rollup-run-detail", args=[result.rollup_run_id]),
                    _("Follow the recompute run #%(id)d") % {"id": result.rollup_run_id},
                    reverse("accounting:vehicle-model-list"),
                    _("Vehicle footprints"),
                ),
            )
            return redirect("accounting:bom-import")
    return render(
        request,
        "accounting/bom_import.html",
        {
            "form": form,
            "refused": refused,
            "columns": [(column, bom_files.COLUMN_HELP[column.field]) for column in bom_files.COLUMNS],
            "max_file_mb": bom_files.MAX_BOM_FILE_BYTES // 1_000_000,
        },
        status=400 if form.errors or refused else 200,
    )


@login_required
@require_safe
@carmaker_required
def bom_template(request, fmt: str):
    if fmt not in bom_files.TEMPLATE_CONTENT_TYPES:
        raise Http404
    response = HttpResponse(bom_files.template_file(fmt), content_type=bom_files.TEMPLATE_CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="bom-template.{fmt}"'
    return response
