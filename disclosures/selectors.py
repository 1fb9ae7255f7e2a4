"""Reads of the supplier side used by the pages and the API."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carbon_platform.tenancy.models import Organisation

from . import checks
from .choices import DeclarationStatus, FindingSeverity
from .models import Declaration, ImportBatch, Plant, Product


def products_of(*, organisation: Organisation) -> QuerySet[Product]:
    """The supplier's products, each annotated `has_approved_declaration` (any version approved now)."""
    approved = Declaration.objects.filter(product=OuterRef("pk"), status=DeclarationStatus.APPROVED)
    return (
        Product.objects.filter(supplier=organisation)
        .select_related("material", "plant")
        .annotate(has_approved_declaration=Exists(approved))
        .order_by("name", "pk")
    )


def declarations_of_supplier(*, organisation: Organisation) -> QuerySet[Declaration]:
    """Every declaration of the supplier's products, in every status."""
    return Declaration.objects.filter(product__supplier=organisation).select_related(
        "product", "product__material"
    )


def declarations_visible_to(*, organisation: Organisation) -> QuerySet[Declaration]:
    """Suppliers: their own, every status. Auditors: every non-draft one of other organisations.
    Carmakers: approved declarations of products in their own BOMs. Operators: all but drafts."""
    from accounting.selectors import products_bought_by

    declarations = Declaration.objects.all()
    if organisation.kind == "supplier":
        return declarations.filter(product__supplier=organisation)
    if organisation.kind == "auditor":
        return declarations.exclude(status=DeclarationStatus.DRAFT).exclude(product__supplier=organisation)
    if organisation.kind == "carmaker":
        return declarations.filter(
            product_id__in=products_bought_by(carmaker_id=organisation.id), status=DeclarationStatus.APPROVED
        )
    return declarations.exclude(status=DeclarationStatus.DRAFT)


def declaration_visible_to(*, organisation: Organisation | None, declaration_id: int) -> Declaration | None:
    """The declaration if this organisation may read it: the rule of `declarations_visible_to`, which the
    API applies too, so a page and the API never disagree about who reads what."""
    if organisation is None:
        return None
    return (
        declarations_visible_to(organisation=organisation)
        .select_related("product", "product__material", "product__supplier", "plant")
        .filter(pk=declaration_id)
        .first()
    )


def sees_declaration_source(*, organisation: Organisation, declaration: Declaration) -> bool:
    """Whether the organisation sees what lies behind the declared figures -- the EPD document, the plant
    by name and the audit history of the declaration's edits: its supplier and auditors. Carmakers and the
    operator read the declared figures, findings and reviews, as the API gives them (the plant by id only,
    no source document)."""
    return declaration.product.supplier_id == organisation.id or organisation.kind == "auditor"


def kg_co2e_per_kg_a1_a3(declaration: Declaration) -> Decimal | None:
    """The declaration's A1-A3 GWP converted from its declared unit to kg CO2e per kg of product."""
    return declaration.a1_a3_kg_co2e_per_kg


def supplier_dashboard(*, organisation: Organisation, today: date | None = None) -> dict:
    """What a supplier sees first: counts by status, what needs their action, plants, products, imports."""
    today = today or timezone.localdate()
    declarations = Declaration.objects.filter(product__supplier=organisation)
    counts = dict(declarations.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    related = ("product", "product__material")
    return {
        "counts": [(value, label, counts.get(value, 0)) for value, label in DeclarationStatus.choices],
        "changes_requested": declarations.filter(status=DeclarationStatus.CHANGES_REQUESTED)
        .select_related(*related)
        .prefetch_related("reviews")
        .order_by("decided_at"),
        "drafts": declarations.filter(status=DeclarationStatus.DRAFT)
        .select_related(*related)
        .annotate(errors=Count("findings", filter=Q(findings__severity=FindingSeverity.ERROR)))
        .order_by("-updated_at")[:20],
        "expiring": declarations.filter(
            status=DeclarationStatus.APPROVED,
            valid_until__lte=today + timedelta(days=checks.EXPIRY_NOTICE_DAYS),
        )
        .select_related(*related)
        .order_by("valid_until"),
        "plants": Plant.objects.filter(supplier=organisation).annotate(product_count=Count("products")),
        "products": products_of(organisation=organisation),
        "imports": ImportBatch.objects.filter(organisation=organisation).order_by("-created_at")[:5],
    }


def review_queue(*, organisation: Organisation) -> QuerySet[Declaration]:
    """Submitted declarations an auditor may decide, oldest first: the queue before any filter."""
    return (
        review_queue_base(organisation=organisation)
        .filter(status=DeclarationStatus.SUBMITTED)
        .order_by("submitted_at")
    )


def review_queue_base(*, organisation: Organisation) -> QuerySet[Declaration]:
    """Every non-draft declaration an auditor may look at, with the severity counts the filters use."""
    return (
        Declaration.objects.exclude(status=DeclarationStatus.DRAFT)
        .exclude(product__supplier=organisation)
        .select_related("product", "product__material", "product__supplier")
        .annotate(
            error_count=Count("findings", filter=Q(findings__severity=FindingSeverity.ERROR), distinct=True),
            warning_count=Count(
                "findings", filter=Q(findings__severity=FindingSeverity.WARNING), distinct=True
            ),
        )
    )


MIN_PEERS = 3  # fewer approved peers than this and percentiles say nothing


@dataclass(frozen=True)
class Distribution:
    """Where one declaration's A1-A3 per kg sits among the approved declarations of the same material."""

    count: int
    same_route: bool
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    low: float
    high: float
    value: float | None
    percentile: float | None  # share of approved values below this one, 0-100

    def x(self, width: float = 560.0, pad: float = 20.0) -> dict[str, float]:
        """Horizontal positions of each statistic on a `width` wide chart, for the inline SVG."""
        span = (self.high - self.low) or 1.0
        scale = lambda v: round(pad + (v - self.low) / span * width, 1)  # noqa: E731
        names = ("p10", "p25", "p50", "p75", "p90", "low", "high")
        positions = {name: scale(getattr(self, name)) for name in names}
        positions["box_width"] = round(positions["p75"] - positions["p25"], 1)
        if self.value is not None:
            positions["value"] = scale(self.value)
        return positions


def a1_a3_distribution(*, declaration: Declaration) -> Distribution | None:
    """Percentiles of A1-A3 (kg CO2e per kg) over approved declarations of the material, as EC3 shows them."""
    approved = Declaration.objects.filter(
        product__material_id=declaration.product.material_id, status=DeclarationStatus.APPROVED
    )
    same_route = approved.filter(product__route=declaration.product.route)
    peers = same_route if same_route.count() >= MIN_PEERS else approved  # compare like with like when we can
    rows = peers.values_list(
        "gwp_a1_a3_kg_co2e", "declared_unit", "declared_amount", "mass_kg_per_declared_unit"
    )
    values = []
    for gwp, unit, amount, mass in rows:
        per_kg = checks.a1_a3_kg_co2e_per_kg(
            {
                "gwp_a1_a3_kg_co2e": gwp,
                "declared_unit": unit,
                "declared_amount": amount,
                "mass_kg_per_declared_unit": mass,
            }
        )
        if per_kg is not None:
            values.append(float(per_kg))
    if len(values) < MIN_PEERS:
        return None
    array = np.array(values)
    p10, p25, p50, p75, p90 = np.percentile(array, [10, 25, 50, 75, 90])
    own = kg_co2e_per_kg_a1_a3(declaration)
    value = float(own) if own is not None else None
    return Distribution(
        count=len(values),
        same_route=peers is same_route,
        p10=float(p10),
        p25=float(p25),
        p50=float(p50),
        p75=float(p75),
        p90=float(p90),
        low=float(min(array.min(), value if value is not None else array.min())),
        high=float(max(array.max(), value if value is not None else array.max())),
        value=value,
        percentile=float((array < value).mean() * 100) if value is not None else None,
    )


def import_batches_of(*, organisation: Organisation) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(organisation=organisation).select_related("uploaded_by", "product")
