"""Reads of the supplier side used by the pages and the API."""

from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from carbon_platform.tenancy.models import Organisation

from . import checks
from .choices import DeclarationStatus
from .models import Declaration, Product


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


def review_queue(*, organisation: Organisation) -> QuerySet[Declaration]:
    """Submitted declarations an auditor may decide: never those of the auditor's own organisation."""
    return (
        Declaration.objects.filter(status=DeclarationStatus.SUBMITTED)
        .exclude(product__supplier=organisation)
        .select_related("product", "product__material", "product__supplier")
        .order_by("submitted_at")
    )


def declaration_visible_to(*, organisation: Organisation | None, declaration_id: int) -> Declaration | None:
    """The declaration if this organisation may see it: its supplier always, auditors once submitted."""
    if organisation is None:
        return None
    queryset = Declaration.objects.select_related(
        "product", "product__material", "product__supplier", "plant"
    )
    declaration = queryset.filter(pk=declaration_id).first()
    if declaration is None:
        return None
    if declaration.product.supplier_id == organisation.id:
        return declaration
    if organisation.kind == "auditor" and declaration.status != DeclarationStatus.DRAFT:
        return declaration
    return None


def kg_co2e_per_kg_a1_a3(declaration: Declaration) -> Decimal | None:
    """The declaration's A1-A3 GWP converted from its declared unit to kg CO2e per kg of product."""
    return checks.a1_a3_kg_co2e_per_kg(
        {
            "declared_unit": declaration.declared_unit,
            "declared_amount": declaration.declared_amount,
            "mass_kg_per_declared_unit": declaration.mass_kg_per_declared_unit,
            "gwp_a1_a3_kg_co2e": declaration.gwp_a1_a3_kg_co2e,
        }
    )
