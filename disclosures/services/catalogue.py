"""Plants and products of a supplier: created and edited by the supplier's own members, every change audited."""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from carbon_platform.api import ApplicationError, reject_unknown_fields
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record

from ..models import Plant, Product

PLANT_FIELDS = ["name", "name_zh", "province", "city"]
PRODUCT_FIELDS = ["plant", "material", "route", "name", "grade", "declared_unit"]


def _supplier_of(actor):
    organisation = organisation_of(actor)
    if organisation is None or organisation.kind != OrganisationKind.SUPPLIER:
        raise ApplicationError(_("Only suppliers manage plants and products."), status_code=403)
    return organisation


def _save(*, actor, organisation, obj, data: dict, fields: list[str], created: bool):
    reject_unknown_fields(data, fields)
    before = None if created else model_to_dict(obj, fields=fields)
    for name, value in data.items():
        setattr(obj, name, value)
    with transaction.atomic():
        obj.full_clean()
        obj.save()
        after = model_to_dict(obj, fields=fields)
        if before is not None:
            changed = [name for name in fields if before.get(name) != after.get(name)]
            if not changed:
                return obj
            before, after = {n: before[n] for n in changed}, {n: after[n] for n in changed}
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED if created else AuditAction.UPDATED,
            obj=obj,
            before=before,
            after=after,
        )
    return obj


def plant_create(*, actor, data: dict) -> Plant:
    organisation = _supplier_of(actor)
    return _save(
        actor=actor,
        organisation=organisation,
        obj=Plant(supplier=organisation),
        data=data,
        fields=PLANT_FIELDS,
        created=True,
    )


def plant_update(*, actor, plant: Plant, data: dict) -> Plant:
    organisation = _supplier_of(actor)
    if plant.supplier_id != organisation.id:
        raise ApplicationError(_("This plant belongs to another supplier."), status_code=403)
    return _save(
        actor=actor, organisation=organisation, obj=plant, data=data, fields=PLANT_FIELDS, created=False
    )


def product_create(*, actor, data: dict) -> Product:
    organisation = _supplier_of(actor)
    return _save(
        actor=actor,
        organisation=organisation,
        obj=Product(supplier=organisation),
        data=data,
        fields=PRODUCT_FIELDS,
        created=True,
    )


def product_update(*, actor, product: Product, data: dict) -> Product:
    organisation = _supplier_of(actor)
    if product.supplier_id != organisation.id:
        raise ApplicationError(_("This product belongs to another supplier."), status_code=403)
    if "material" in data and data["material"] != product.material and product.declarations.exists():
        raise ApplicationError(
            _("The material of a product with declarations cannot change; create a new product."),
            field="material",
        )
    return _save(
        actor=actor, organisation=organisation, obj=product, data=data, fields=PRODUCT_FIELDS, created=False
    )
