"""Writes of the supplier side: declarations through their workflow, each step audited."""

from datetime import date

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.choices import RollupTrigger
from carbon_platform.api import ApplicationError, reject_unknown_fields
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record

from .. import checks
from ..choices import EDITABLE_STATUSES, DeclarationStatus, ReviewDecision, SourceFormat
from ..models import Declaration, Finding, Product, Review

# Statuses a declaration does not leave again; a new version can start once its predecessor's drafts end here.
CLOSED_STATUSES = {
    DeclarationStatus.REJECTED,
    DeclarationStatus.WITHDRAWN,
    DeclarationStatus.EXPIRED,
    DeclarationStatus.SUPERSEDED,
}

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


def _check_content(data: dict, *, product: Product) -> None:
    """Content fields only, and a plant of the product's own supplier."""
    reject_unknown_fields(data, DECLARATION_CONTENT_FIELDS)
    plant = data.get("plant")
    if plant is not None and plant.supplier_id != product.supplier_id:
        raise ApplicationError(_("The plant must belong to the product's supplier."), field="plant")


def declaration_create(*, actor, product: Product, data: dict) -> Declaration:
    """Create a draft declaration of one of the actor's organisation's products."""
    organisation = _supplier_org_of(actor, product)
    _check_content(data, product=product)
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
        declaration_checks_run(declaration=declaration)
    return declaration


def declaration_update(*, actor, declaration: Declaration, data: dict) -> Declaration:
    """Edit the content of a draft or of a declaration sent back for changes; the audit event keeps the diff."""
    organisation = _supplier_org_of(actor, declaration.product)
    _check_content(data, product=declaration.product)
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        _require_editable(declaration)
        before = _snapshot(declaration)
        for name, value in data.items():
            setattr(declaration, name, value)
        declaration.full_clean()
        declaration.save()
        after = _snapshot(declaration)
        changed = sorted(name for name in after if before.get(name) != after.get(name))
        if changed:
            audit_record(
                actor=actor,
                organisation=organisation,
                action=AuditAction.UPDATED,
                obj=declaration,
                before={name: before.get(name) for name in changed},
                after={name: after[name] for name in changed},
            )
        declaration_checks_run(declaration=declaration)
    return declaration


def declaration_new_version(*, actor, declaration: Declaration) -> Declaration:
    """A draft copy of an approved declaration, version + 1, that supersedes it once approved."""
    organisation = _supplier_org_of(actor, declaration.product)
    with transaction.atomic():
        current = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if current.status != DeclarationStatus.APPROVED:
            raise ApplicationError(_("Only an approved declaration can get a new version."))
        if current.superseded_by.exclude(status__in=CLOSED_STATUSES).exists():
            raise ApplicationError(_("A new version of this declaration is already in progress."))
        content = {name: getattr(current, name) for name in DECLARATION_CONTENT_FIELDS}
        content["source_format"] = SourceFormat.FORM
        content["source_document"] = ""
        latest = current.product.declarations.order_by("-version").values_list("version", flat=True).first()
        draft = Declaration(
            product=current.product,
            created_by=actor,
            status=DeclarationStatus.DRAFT,
            version=(latest or current.version) + 1,
            supersedes=current,
            **content,
        )
        draft.full_clean()
        draft.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED,
            obj=draft,
            after={**_snapshot(draft), "supersedes": current.pk},
        )
        declaration_checks_run(declaration=draft)
    return draft


def declaration_withdraw(*, actor, declaration: Declaration, reason: str) -> Declaration:
    """The supplier withdraws an approved declaration; the models that used it fall back on commit."""
    organisation = _supplier_org_of(actor, declaration.product)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the declaration is withdrawn."), field="reason")
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().select_related("product").get(pk=declaration.pk)
        if declaration.status != DeclarationStatus.APPROVED:
            raise ApplicationError(_("Only an approved declaration can be withdrawn."))
        _set_status(
            declaration,
            DeclarationStatus.WITHDRAWN,
            actor=actor,
            organisation=organisation,
            action=AuditAction.WITHDRAWN,
            note={"reason": reason},
        )
        _enqueue_recompute(
            product=declaration.product,
            trigger=RollupTrigger.DECLARATION_WITHDRAWN,
            trigger_object=f"declaration:{declaration.pk}",
        )
    return declaration


def declarations_expire(*, today: date | None = None) -> int:
    """Mark approved declarations past their valid-until as expired and recompute what used them."""
    today = today or timezone.localdate()
    expired = 0
    due = Declaration.objects.filter(status=DeclarationStatus.APPROVED, valid_until__lt=today)
    for declaration_id in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            declaration = (
                Declaration.objects.select_for_update()
                .select_related("product__supplier")
                .filter(pk=declaration_id, status=DeclarationStatus.APPROVED)
                .first()
            )
            if declaration is None:  # another run got there first
                continue
            _set_status(
                declaration,
                DeclarationStatus.EXPIRED,
                actor=None,
                organisation=declaration.product.supplier,
                action=AuditAction.EXPIRED,
            )
            _enqueue_recompute(
                product=declaration.product,
                trigger=RollupTrigger.DECLARATION_EXPIRED,
                trigger_object=f"declaration:{declaration.pk}",
            )
            _notify_webhooks(declaration=declaration, event_type="declaration.expired", on=today)
            expired += 1
    return expired


def declaration_checks_run(*, declaration: Declaration) -> list[Finding]:
    """Recompute the automated findings of one declaration and store them in place of the old ones."""
    product = declaration.product
    fields = {name: getattr(declaration, name) for name in DECLARATION_CONTENT_FIELDS}
    taken = (
        Declaration.objects.filter(registration_number=declaration.registration_number)
        .exclude(product_id=product.id)
        .exists()
    )
    results = checks.run_checks(
        fields,
        family=product.material.family,
        route=product.route,
        today=timezone.localdate(),
        registration_taken_elsewhere=taken,
        has_document=bool(declaration.document),
    )
    with transaction.atomic():
        declaration.findings.all().delete()
        return Finding.objects.bulk_create(
            Finding(
                declaration=declaration,
                code=result.code,
                severity=result.severity,
                field=result.field,
                message_en=result.message_en,
                message_zh=result.message_zh,
            )
            for result in results
        )


def _require_editable(declaration: Declaration) -> None:
    if declaration.status not in EDITABLE_STATUSES:
        raise ApplicationError(
            _("Only a draft or a declaration with changes requested can be changed; this one is %(status)s.")
            % {"status": declaration.get_status_display()}
        )


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
        blocking = [f for f in declaration_checks_run(declaration=declaration) if f.severity == "error"]
        if blocking:
            raise ApplicationError(
                _("Fix these before submitting: %(findings)s")
                % {"findings": " ".join(finding.message_en for finding in blocking)}
            )
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
            _notify_webhooks(declaration=declaration, event_type="declaration.approved")
    return review


def _supersede_previous(*, actor, organisation, declaration: Declaration) -> None:
    previous = declaration.supersedes
    if previous is None or previous.status != DeclarationStatus.APPROVED:
        return
    _set_status(
        previous,
        DeclarationStatus.SUPERSEDED,
        actor=actor,
        organisation=organisation,
        action=AuditAction.SUPERSEDED,
    )


def _set_status(
    declaration: Declaration, status: str, *, actor, organisation, action: str, note=None
) -> None:
    """Move a declaration (locked by the caller) to a status and record the transition on the audit trail."""
    before = _snapshot(declaration)
    declaration.status = status
    declaration.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        action=action,
        obj=declaration,
        before=before,
        after={**_snapshot(declaration), **(note or {})},
    )


def _enqueue_recompute(*, product: Product, trigger: str, trigger_object: str) -> None:
    """Recompute, once the transaction has committed, every model this product's declarations reach."""
    from accounting import selectors as accounting_selectors
    from accounting import services as accounting_services

    accounting_services.recompute_enqueue(
        model_ids=accounting_selectors.model_ids_affected_by_product(product=product),
        trigger=trigger,
        trigger_object=trigger_object,
    )


def _notify_webhooks(*, declaration: Declaration, event_type: str, **kwargs) -> None:
    """Tell the subscribed carmakers whose BOMs buy the product, once committed; a failure there never
    undoes the change."""
    from webhooks import services as webhooks_services

    if not webhooks_services.anyone_subscribed(event_type=event_type):
        return
    declaration_id = declaration.pk
    transaction.on_commit(
        lambda: webhooks_services.declaration_event_emit(
            declaration_id=declaration_id, event_type=event_type, **kwargs
        ),
        robust=True,
    )


# The import workflow lives beside the declaration services and is reached through this package too.
from .catalogue import plant_create as plant_create  # noqa: E402
from .catalogue import plant_update as plant_update  # noqa: E402
from .catalogue import product_create as product_create  # noqa: E402
from .catalogue import product_update as product_update  # noqa: E402
from .imports import import_batch_commit as import_batch_commit  # noqa: E402
from .imports import import_batch_create as import_batch_create  # noqa: E402
from .imports import import_batch_upload as import_batch_upload  # noqa: E402
from .imports import import_batch_validate as import_batch_validate  # noqa: E402
from .imports import import_format_for as import_format_for  # noqa: E402
