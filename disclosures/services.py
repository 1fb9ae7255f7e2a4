"""Writes of the supplier side: declarations through their workflow, each step audited."""

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.choices import RollupTrigger
from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record

from .choices import EDITABLE_STATUSES, DeclarationStatus, ReviewDecision
from .models import Declaration, Product, Review

# Content fields a supplier sets; everything else is workflow state owned by the services.
DECLARATION_CONTENT_FIELDS = [
    "plant",
    "registration_number",
    "standard",
    "programme_operator",
    "verifier",
    "pcr",
    "issue_date",
    "valid_until",
    "declared_unit",
    "declared_amount",
    "mass_kg_per_declared_unit",
    "gwp_a1_a3_kg_co2e",
    "gwp_a4_kg_co2e",
    "gwp_c1_kg_co2e",
    "gwp_c2_kg_co2e",
    "gwp_c3_kg_co2e",
    "gwp_c4_kg_co2e",
    "gwp_d_kg_co2e",
    "gwp_total_declared_kg_co2e",
    "recycled_content_pct",
    "renewable_electricity_pct",
    "document",
    "source_format",
    "source_document",
]


def _snapshot(declaration: Declaration) -> dict:
    data = model_to_dict(declaration, fields=["status", "version", *DECLARATION_CONTENT_FIELDS])
    data["document"] = declaration.document.name if declaration.document else ""
    data.pop("source_document", None)
    return data


def _supplier_org_of(user, product: Product):
    organisation = organisation_of(user)
    if organisation is None or organisation.id != product.supplier_id:
        raise ApplicationError(
            _("Only the supplier of this product can change its declarations."), status_code=403
        )
    return organisation


def declaration_create(*, actor, product: Product, data: dict) -> Declaration:
    """Create a draft declaration of one of the actor's organisation's products."""
    organisation = _supplier_org_of(actor, product)
    unknown = set(data) - set(DECLARATION_CONTENT_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    plant = data.get("plant")
    if plant is not None and plant.supplier_id != product.supplier_id:
        raise ApplicationError(_("The plant must belong to the product's supplier."), field="plant")
    declaration = Declaration(product=product, created_by=actor, status=DeclarationStatus.DRAFT, **data)
    with transaction.atomic():
        declaration.full_clean()
        declaration.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED,
            obj=declaration,
            after=_snapshot(declaration),
        )
    return declaration


def declaration_submit(*, actor, declaration: Declaration) -> Declaration:
    """Send a draft (or a declaration sent back for changes) to the auditors' queue."""
    organisation = _supplier_org_of(actor, declaration.product)
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if declaration.status not in EDITABLE_STATUSES:
            raise ApplicationError(
                _(
                    "Only a draft or a declaration with changes requested can be submitted; this one is %(status)s."
                )
                % {"status": declaration.get_status_display()}
            )
        before = _snapshot(declaration)
        declaration.full_clean()
        declaration.status = DeclarationStatus.SUBMITTED
        declaration.submitted_at = timezone.now()
        declaration.save(update_fields=["status", "submitted_at", "updated_at"])
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.SUBMITTED,
            obj=declaration,
            before=before,
            after=_snapshot(declaration),
        )
    return declaration


_DECISION_OUTCOME = {
    ReviewDecision.APPROVE: (DeclarationStatus.APPROVED, AuditAction.APPROVED),
    ReviewDecision.REJECT: (DeclarationStatus.REJECTED, AuditAction.REJECTED),
    ReviewDecision.REQUEST_CHANGES: (DeclarationStatus.CHANGES_REQUESTED, AuditAction.CHANGES_REQUESTED),
}


def declaration_decide(*, actor, declaration: Declaration, decision: str, comment: str = "") -> Review:
    """An auditor approves, rejects or sends back a submitted declaration.

    Approval supersedes the declaration it replaces and, once committed, recomputes the footprints of
    every model the product's declarations can reach.
    """
    organisation = organisation_of(actor)
    if organisation is None or organisation.kind != OrganisationKind.AUDITOR:
        raise ApplicationError(_("Only auditors review declarations."), status_code=403)
    if decision not in _DECISION_OUTCOME:
        raise ApplicationError(_("Unknown decision %(decision)s.") % {"decision": decision}, field="decision")
    comment = (comment or "").strip()
    if decision != ReviewDecision.APPROVE and not comment:
        raise ApplicationError(_("A comment is required to reject or request changes."), field="comment")
    new_status, action = _DECISION_OUTCOME[decision]
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().select_related("product").get(pk=declaration.pk)
        if declaration.product.supplier_id == organisation.id:
            raise ApplicationError(
                _("Nobody reviews their own organisation's declarations."), status_code=403
            )
        if declaration.status != DeclarationStatus.SUBMITTED:
            raise ApplicationError(
                _("Only submitted declarations can be reviewed; this one is %(status)s.")
                % {"status": declaration.get_status_display()}
            )
        before = _snapshot(declaration)
        declaration.status = new_status
        declaration.decided_at = timezone.now()
        declaration.save(update_fields=["status", "decided_at", "updated_at"])
        review = Review(
            declaration=declaration,
            reviewer=actor,
            reviewer_organisation=organisation,
            decision=decision,
            comment=comment,
        )
        review.full_clean()
        review.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            action=action,
            obj=declaration,
            before=before,
            after={**_snapshot(declaration), "comment": comment},
        )
        if decision == ReviewDecision.APPROVE:
            _supersede_previous(actor=actor, organisation=organisation, declaration=declaration)
            _enqueue_recompute(
                product=declaration.product,
                trigger=RollupTrigger.DECLARATION_APPROVED,
                trigger_object=f"declaration:{declaration.pk}",
            )
    return review


def _supersede_previous(*, actor, organisation, declaration: Declaration) -> None:
    previous = declaration.supersedes
    if previous is None or previous.status != DeclarationStatus.APPROVED:
        return
    before = _snapshot(previous)
    previous.status = DeclarationStatus.SUPERSEDED
    previous.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        action=AuditAction.SUPERSEDED,
        obj=previous,
        before=before,
        after=_snapshot(previous),
    )


def _enqueue_recompute(*, product: Product, trigger: str, trigger_object: str) -> None:
    """Create the pending run now, enqueue its task only once the transaction has committed."""
    from accounting import selectors as accounting_selectors
    from accounting import services as accounting_services
    from accounting.tasks import rollup_run_execute

    model_ids = accounting_selectors.model_ids_affected_by_product(product=product)
    if not model_ids:
        return
    run = accounting_services.rollup_run_create(
        trigger=trigger, model_ids=model_ids, trigger_object=trigger_object
    )
    transaction.on_commit(lambda: rollup_run_execute.delay(run.id))
