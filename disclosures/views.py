"""Supplier and auditor pages: declarations, their submission, and the review queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.decorators import organisation_kind_required
from carbon_platform.tenancy.selectors import audit_events_for, organisation_of

from . import selectors, services
from .choices import EDITABLE_STATUSES, DeclarationStatus
from .forms import DecisionForm, DeclarationForm
from .models import Declaration


@login_required
@organisation_kind_required(OrganisationKind.SUPPLIER)
def declaration_list(request):
    organisation = organisation_of(request.user)
    declarations = selectors.declarations_of_supplier(organisation=organisation).order_by("-created_at")
    status = request.GET.get("status", "")
    if status in DeclarationStatus.values:
        declarations = declarations.filter(status=status)
    page = Paginator(declarations, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosures/declaration_list.html",
        {
            "page": page,
            "status": status,
            "statuses": DeclarationStatus.choices,
            "products": selectors.products_of(organisation=organisation),
        },
    )


@login_required
@organisation_kind_required(OrganisationKind.SUPPLIER)
def declaration_create(request):
    organisation = organisation_of(request.user)
    form = DeclarationForm(request.POST or None, organisation=organisation)
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
def declaration_detail(request, pk: int):
    organisation = organisation_of(request.user)
    declaration = selectors.declaration_visible_to(organisation=organisation, declaration_id=pk)
    if declaration is None:
        raise Http404
    is_supplier = declaration.product.supplier_id == organisation.id
    return render(
        request,
        "disclosures/declaration_detail.html",
        {
            "declaration": declaration,
            "kg_co2e_per_kg": selectors.kg_co2e_per_kg_a1_a3(declaration),
            "can_submit": is_supplier and declaration.status in EDITABLE_STATUSES,
            "can_decide": (
                organisation.kind == OrganisationKind.AUDITOR
                and not is_supplier
                and declaration.status == DeclarationStatus.SUBMITTED
            ),
            "decision_form": DecisionForm(),
            "reviews": declaration.reviews.select_related("reviewer", "reviewer_organisation"),
            "history": audit_events_for(declaration),
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
        messages.error(request, getattr(error, "message", None) or "; ".join(error.messages))
    else:
        messages.success(request, _("Submitted for review."))
    return redirect("disclosures:declaration-detail", pk=pk)


@login_required
@organisation_kind_required(OrganisationKind.AUDITOR)
def review_queue(request):
    queue = selectors.review_queue(organisation=organisation_of(request.user))
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    return render(request, "disclosures/review_queue.html", {"page": page})


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
