"""Supplier and auditor pages: declarations, their submission, and the review queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.decorators import organisation_kind_required
from carbon_platform.tenancy.selectors import audit_events_for, organisation_of

from . import selectors, services
from .choices import EDITABLE_STATUSES, DeclarationStatus, ImportStatus
from .filters import DeclarationFilter, ImportBatchFilter
from .forms import (
    DecisionForm,
    DeclarationForm,
    ImportUploadForm,
    PlantForm,
    ProductForm,
    WithdrawForm,
)
from .importers.tabular import template_csv, template_xlsx
from .models import Declaration, ImportBatch, Plant, Product

supplier_required = organisation_kind_required(OrganisationKind.SUPPLIER)
auditor_required = organisation_kind_required(OrganisationKind.AUDITOR)


def _error_text(error) -> str:
    return getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))


@login_required
@require_safe
@supplier_required
def supplier_dashboard(request):
    context = selectors.supplier_dashboard(organisation=organisation_of(request.user))
    return render(request, "disclosures/dashboard.html", context)


@login_required
@require_safe
@organisation_kind_required(OrganisationKind.SUPPLIER)
def declaration_list(request):
    organisation = organisation_of(request.user)
    filterset = DeclarationFilter(
        request.GET, queryset=selectors.declarations_of_supplier(organisation=organisation), request=request
    )
    status = request.GET.get("status", "")
    page = Paginator(filterset.qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosures/declaration_list.html",
        {
            "page": page,
            "filter": filterset,
            "status": status,
            "statuses": DeclarationStatus.choices,
            "products": selectors.products_of(organisation=organisation),
        },
    )


@login_required
@organisation_kind_required(OrganisationKind.SUPPLIER)
def declaration_create(request):
    organisation = organisation_of(request.user)
    bound = request.method == "POST"  # an empty POST is an empty form to refuse, not a blank one to show
    form = DeclarationForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        organisation=organisation,
        initial={"product": request.GET.get("product")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            declaration = services.declaration_create(
                actor=request.user, product=form.cleaned_data["product"], data=form.service_data()
            )
        except ValidationError as error:
            form.add_error(None, error)
        except ApplicationError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Draft saved. Check it, then submit it for review."))
            return redirect("disclosures:declaration-detail", pk=declaration.pk)
    return render(
        request, "disclosures/declaration_form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@supplier_required
def declaration_edit(request, pk: int):
    organisation = organisation_of(request.user)
    declaration = get_object_or_404(Declaration, pk=pk, product__supplier=organisation)
    if declaration.status not in EDITABLE_STATUSES:
        messages.error(request, _("Only drafts and declarations sent back for changes can be edited."))
        return redirect("disclosures:declaration-detail", pk=pk)
    form = DeclarationForm(
        request.POST or None, request.FILES or None, instance=declaration, organisation=organisation
    )
    form.fields["product"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_update(actor=request.user, declaration=declaration, data=form.service_data())
        except (ApplicationError, ValidationError) as error:
            form.add_error(getattr(error, "field", None), _error_text(error))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("disclosures:declaration-detail", pk=pk)
    return render(
        request,
        "disclosures/declaration_form.html",
        {"form": form, "declaration": declaration},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
@supplier_required
def declaration_new_version(request, pk: int):
    declaration = get_object_or_404(Declaration, pk=pk, product__supplier=organisation_of(request.user))
    try:
        draft = services.declaration_new_version(actor=request.user, declaration=declaration)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("disclosures:declaration-detail", pk=pk)
    messages.success(request, _("Version %(version)d started as a draft.") % {"version": draft.version})
    return redirect("disclosures:declaration-edit", pk=draft.pk)


@login_required
@require_POST
@supplier_required
def declaration_withdraw(request, pk: int):
    declaration = get_object_or_404(Declaration, pk=pk, product__supplier=organisation_of(request.user))
    form = WithdrawForm(request.POST)
    try:
        services.declaration_withdraw(
            actor=request.user, declaration=declaration, reason=form.data.get("reason", "")
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Withdrawn. The footprints that used it are being recomputed."))
    return redirect("disclosures:declaration-detail", pk=pk)


@login_required
@require_safe
def declaration_document(request, pk: int):
    organisation = organisation_of(request.user)
    declaration = selectors.declaration_visible_to(organisation=organisation, declaration_id=pk)
    if (
        declaration is None
        or not declaration.document
        or not selectors.sees_declaration_source(organisation=organisation, declaration=declaration)
    ):
        raise Http404
    return FileResponse(
        declaration.document.open("rb"),
        content_type="application/pdf",
        filename=f"{declaration.registration_number}-v{declaration.version}.pdf",
    )


@login_required
@require_safe
def declaration_detail(request, pk: int):
    organisation = organisation_of(request.user)
    declaration = selectors.declaration_visible_to(organisation=organisation, declaration_id=pk)
    if declaration is None:
        raise Http404
    distribution = selectors.a1_a3_distribution(declaration=declaration)
    is_supplier = declaration.product.supplier_id == organisation.id
    is_auditor = organisation.kind == OrganisationKind.AUDITOR
    sees_source = selectors.sees_declaration_source(organisation=organisation, declaration=declaration)
    return render(
        request,
        "disclosures/declaration_detail.html",
        {
            "declaration": declaration,
            "kg_co2e_per_kg": selectors.kg_co2e_per_kg_a1_a3(declaration),
            "can_submit": is_supplier and declaration.status in EDITABLE_STATUSES,
            "can_edit": is_supplier and declaration.status in EDITABLE_STATUSES,
            "can_new_version": is_supplier
            and declaration.status == DeclarationStatus.APPROVED
            and not declaration.superseded_by.exclude(status__in=services.CLOSED_STATUSES).exists(),
            "can_withdraw": is_supplier and declaration.status == DeclarationStatus.APPROVED,
            "findings": declaration.findings.all(),
            "distribution": distribution,
            "chart_x": distribution.x() if distribution else None,
            "is_auditor": is_auditor,
            "successor": declaration.superseded_by.order_by("-version").first(),
            "withdraw_form": WithdrawForm(),
            "can_decide": (
                organisation.kind == OrganisationKind.AUDITOR
                and not is_supplier
                and declaration.status == DeclarationStatus.SUBMITTED
            ),
            "decision_form": DecisionForm(),
            "reviews": declaration.reviews.select_related("reviewer", "reviewer_organisation"),
            "sees_source": sees_source,
            "history": audit_events_for(declaration) if sees_source else None,
        },
    )


@login_required
@require_POST
@organisation_kind_required(OrganisationKind.SUPPLIER)
def declaration_submit(request, pk: int):
    declaration = get_object_or_404(Declaration, pk=pk, product__supplier=organisation_of(request.user))
    try:
        services.declaration_submit(actor=request.user, declaration=declaration)
    except (ApplicationError, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Submitted for review."))
    return redirect("disclosures:declaration-detail", pk=pk)


# The review queue shows these filters of the shared DeclarationFilter, and sorts by waiting time.
QUEUE_FILTERS = ["status", "material", "route", "supplier", "min_age_days", "severity"]
QUEUE_SORTS = {"age": ["submitted_at", "id"], "-age": ["-submitted_at", "-id"]}


@login_required
@require_safe
@auditor_required
def review_queue(request):
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = DeclarationStatus.SUBMITTED  # the queue proper, unless asked otherwise
    sort = data.get("sort") if data.get("sort") in QUEUE_SORTS else "age"
    queue = DeclarationFilter(
        data,
        queryset=selectors.review_queue_base(organisation=organisation_of(request.user)),
        request=request,
    )
    page = Paginator(queue.qs.order_by(*QUEUE_SORTS[sort]), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disclosures/review_queue.html",
        {
            "page": page,
            "filter": queue,
            "fields": [queue.form[name] for name in QUEUE_FILTERS],
            "sort": sort,
            "sorts": [("age", _("Oldest first")), ("-age", _("Newest first"))],
            "querystring": query.urlencode(),
        },
    )


@login_required
@require_POST
@organisation_kind_required(OrganisationKind.AUDITOR)
def declaration_decide(request, pk: int):
    declaration = selectors.declaration_visible_to(
        organisation=organisation_of(request.user), declaration_id=pk
    )
    if declaration is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("disclosures:declaration-detail", pk=pk)
    try:
        review = services.declaration_decide(
            actor=request.user,
            declaration=declaration,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("disclosures:declaration-detail", pk=pk)
    messages.success(
        request, _("Decision recorded: %(decision)s.") % {"decision": review.get_decision_display()}
    )
    return redirect("disclosures:review-queue")


# --- Plants and products ------------------------------------------------------------------------------


def _catalogue_form(request, *, form, save, title: str):
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(getattr(error, "field", None), _error_text(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("disclosures:dashboard")
    return render(
        request,
        "disclosures/catalogue_form.html",
        {"form": form, "title": title},
        status=400 if form.errors else 200,
    )


@login_required
@supplier_required
def plant_create(request):
    form = PlantForm(request.POST or None)
    return _catalogue_form(
        request,
        form=form,
        save=lambda data: services.plant_create(actor=request.user, data=data),
        title=_("New plant"),
    )


@login_required
@supplier_required
def plant_edit(request, pk: int):
    plant = get_object_or_404(Plant, pk=pk, supplier=organisation_of(request.user))
    form = PlantForm(request.POST or None, instance=Plant.objects.get(pk=plant.pk))
    return _catalogue_form(
        request,
        form=form,
        save=lambda data: services.plant_update(actor=request.user, plant=plant, data=data),
        title=_("Edit plant"),
    )


@login_required
@supplier_required
def product_create(request):
    organisation = organisation_of(request.user)
    form = ProductForm(request.POST or None, organisation=organisation)
    return _catalogue_form(
        request,
        form=form,
        save=lambda data: services.product_create(actor=request.user, data=data),
        title=_("New product"),
    )


@login_required
@supplier_required
def product_edit(request, pk: int):
    organisation = organisation_of(request.user)
    product = get_object_or_404(Product, pk=pk, supplier=organisation)
    form = ProductForm(
        request.POST or None, instance=Product.objects.get(pk=product.pk), organisation=organisation
    )
    return _catalogue_form(
        request,
        form=form,
        save=lambda data: services.product_update(actor=request.user, product=product, data=data),
        title=_("Edit product"),
    )


# --- Imports ------------------------------------------------------------------------------------------


@login_required
@supplier_required
def import_list(request):
    organisation = organisation_of(request.user)
    bound = request.method == "POST"
    form = ImportUploadForm(
        request.POST if bound else None, request.FILES if bound else None, organisation=organisation
    )
    refused_errors = []
    if bound and form.is_valid():
        try:
            batch = services.import_batch_upload(
                actor=request.user, upload=form.cleaned_data["file"], product=form.cleaned_data["product"]
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            refused_errors = getattr(error, "errors", [])
        else:
            return redirect("disclosures:import-detail", pk=batch.pk)
    filterset = ImportBatchFilter(
        request.GET, queryset=selectors.import_batches_of(organisation=organisation), request=request
    )
    batches = Paginator(filterset.qs.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosures/import_list.html",
        {"form": form, "page": batches, "filter": filterset, "refused_errors": refused_errors},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
@supplier_required
def import_detail(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk, organisation=organisation_of(request.user))
    show = request.GET.get("show", "all")
    records = batch.records
    if show == "errors":
        records = [record for record in records if record["errors"]]
    elif show == "findings":
        records = [record for record in records if record["findings"]]
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosures/import_detail.html",
        {
            "batch": batch,
            "page": page,
            "show": show,
            "in_progress": batch.status in (ImportStatus.UPLOADED, ImportStatus.VALIDATING),
            "can_commit": batch.status == ImportStatus.VALIDATED
            and batch.rows_invalid == 0
            and batch.rows_total,
        },
    )


@login_required
@require_safe
@supplier_required
def import_progress(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk, organisation=organisation_of(request.user))
    return JsonResponse({"status": batch.status, "progress_pct": batch.progress_pct})


@login_required
@require_POST
@supplier_required
def import_commit(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk, organisation=organisation_of(request.user))
    try:
        created = services.import_batch_commit(actor=request.user, batch=batch)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("disclosures:import-detail", pk=pk)
    messages.success(
        request,
        ngettext(
            "%(count)d declaration saved as a draft. Check its findings, then submit it.",
            "%(count)d declarations saved as drafts. Check each one's findings, then submit it.",
            len(created),
        )
        % {"count": len(created)},
    )
    return redirect("disclosures:declaration-list")


@login_required
@require_safe
@supplier_required
def import_template(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if fmt == "xlsx":
        response = HttpResponse(
            template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="declarations-template.{fmt}"'
    return response
