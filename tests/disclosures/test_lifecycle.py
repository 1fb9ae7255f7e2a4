"""Edits, findings, new versions, withdrawal and expiry: each audited, and each moving the footprints it should."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounting.models import Footprint, RollupRun
from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.models import AuditEvent
from carbon_platform.tenancy.services import audit_chain_verify
from disclosures import services
from disclosures.tasks import declarations_expire
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory


@pytest.fixture
def product(actors, materials):
    return ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        route="bf_bof",
    )


@pytest.fixture
def line(product, materials):
    """400 kg of the product in one model: 400 x 2.1 (typical BF-BOF) = 840 kg CO2e with no declaration."""
    return BomLineFactory(
        material=materials["steel.hot_rolled_coil"], supplier_product=product, mass_kg="400"
    )


def _current_total(line):
    return Footprint.objects.get(vehicle_model=line.vehicle_model, is_current=True).total_kg_co2e


def test_an_edit_is_audited_with_only_the_changed_fields(actors, product):
    draft = DeclarationFactory(product=product, gwp_a1_a3_kg_co2e=Decimal("2100"), verifier="")
    services.declaration_update(
        actor=actors.supplier_a,
        declaration=draft,
        data={"gwp_a1_a3_kg_co2e": Decimal("2050"), "verifier": "CEC Verification", "pcr": draft.pcr},
    )
    event = AuditEvent.objects.get(action="updated")
    assert set(event.before) == {"gwp_a1_a3_kg_co2e", "verifier"}
    assert Decimal(event.before["gwp_a1_a3_kg_co2e"]) == 2100 and event.before["verifier"] == ""
    assert Decimal(event.after["gwp_a1_a3_kg_co2e"]) == 2050 and event.after["verifier"] == "CEC Verification"
    assert set(event.after) == {"gwp_a1_a3_kg_co2e", "verifier"}
    assert audit_chain_verify().intact


def test_only_editable_declarations_change_and_only_by_their_supplier(actors, product):
    submitted = DeclarationFactory(product=product, status="submitted")
    with pytest.raises(ApplicationError, match="can be changed; this one is Submitted"):
        services.declaration_update(actor=actors.supplier_a, declaration=submitted, data={"verifier": "x"})
    draft = DeclarationFactory(product=product)
    with pytest.raises(ApplicationError) as error:
        services.declaration_update(actor=actors.supplier_b, declaration=draft, data={"verifier": "x"})
    assert error.value.status_code == 403
    with pytest.raises(ApplicationError, match="Unknown fields: status"):
        services.declaration_update(actor=actors.supplier_a, declaration=draft, data={"status": "approved"})


def test_findings_are_stored_on_save_and_errors_block_submission(actors, product):
    draft = services.declaration_create(
        actor=actors.supplier_a,
        product=product,
        data={
            "registration_number": "EPD-CHK-1",
            "issue_date": date.today() - timedelta(days=10),
            "valid_until": date.today() + timedelta(days=365),
            "declared_unit": "t",
            "declared_amount": Decimal(1),
            "mass_kg_per_declared_unit": Decimal(1),  # says 1 kg per t: inconsistent
            "gwp_a1_a3_kg_co2e": Decimal("2.1"),  # per kg typed into a per-t declaration
        },
    )
    codes = set(draft.findings.values_list("code", flat=True))
    assert {"unit.mass_inconsistent", "gwp.a1_a3_out_of_range", "document.missing"} <= codes
    with pytest.raises(ApplicationError, match="Fix these before submitting: One t is 1000 kg"):
        services.declaration_submit(actor=actors.supplier_a, declaration=draft)
    draft.refresh_from_db()
    assert draft.status == "draft"
    services.declaration_update(
        actor=actors.supplier_a,
        declaration=draft,
        data={"mass_kg_per_declared_unit": None, "gwp_a1_a3_kg_co2e": Decimal("2100")},
    )
    assert set(draft.findings.values_list("code", flat=True)) == {"document.missing"}
    assert services.declaration_submit(actor=actors.supplier_a, declaration=draft).status == "submitted"


def test_registration_number_of_another_product_is_a_blocking_duplicate(actors, product, materials):
    other = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=product.material)
    DeclarationFactory(product=other, registration_number="EPD-DUP", status="approved")
    draft = DeclarationFactory(product=product, registration_number="EPD-DUP")
    findings = services.declaration_checks_run(declaration=draft)
    assert [f.code for f in findings if f.severity == "error"] == ["registration.duplicate"]


def test_new_version_supersedes_on_approval_and_the_old_stays_readable(
    actors, product, line, django_capture_on_commit_callbacks
):
    v1 = DeclarationFactory(product=product, status="approved", gwp_a1_a3_kg_co2e=Decimal("2000"))
    v2 = services.declaration_new_version(actor=actors.supplier_a, declaration=v1)
    assert (v2.version, v2.supersedes_id, v2.status) == (2, v1.pk, "draft")
    assert v2.gwp_a1_a3_kg_co2e == Decimal("2000")
    with pytest.raises(ApplicationError, match="already in progress"):
        services.declaration_new_version(actor=actors.supplier_a, declaration=v1)
    services.declaration_update(
        actor=actors.supplier_a, declaration=v2, data={"gwp_a1_a3_kg_co2e": Decimal("1800")}
    )
    services.declaration_submit(actor=actors.supplier_a, declaration=v2)
    with django_capture_on_commit_callbacks(execute=True):
        services.declaration_decide(actor=actors.auditor, declaration=v2, decision="approve")
    v1.refresh_from_db()
    assert v1.status == "superseded"
    assert _current_total(line) == pytest.approx(400 * 1.8)  # 1,800 kg CO2e per t -> 720 kg CO2e


def test_withdrawal_needs_a_reason_and_falls_back_to_the_default(
    actors, product, line, django_capture_on_commit_callbacks
):
    approved = DeclarationFactory(product=product, status="approved", gwp_a1_a3_kg_co2e=Decimal("1900"))
    with pytest.raises(ApplicationError, match="Say why"):
        services.declaration_withdraw(actor=actors.supplier_a, declaration=approved, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.declaration_withdraw(actor=actors.supplier_a, declaration=approved, reason="Plant closed")
    approved.refresh_from_db()
    assert approved.status == "withdrawn"
    assert RollupRun.objects.get().trigger == "declaration_withdrawn"
    assert _current_total(line) == pytest.approx(400 * 2.1)  # level 3: typical BF-BOF hot-rolled coil
    assert AuditEvent.objects.get(action="withdrawn").after["reason"] == "Plant closed"


def test_the_daily_expiry_task_expires_and_recomputes(
    actors, product, line, django_capture_on_commit_callbacks
):
    DeclarationFactory(
        product=product,
        status="approved",
        issue_date=date.today() - timedelta(days=5 * 365 + 2),
        valid_until=date.today() - timedelta(days=1),
    )
    still_valid = DeclarationFactory(product=ProductFactory(supplier=product.supplier), status="approved")
    with django_capture_on_commit_callbacks(execute=True):
        assert declarations_expire.delay().get() == 1
    assert list(product.declarations.values_list("status", flat=True)) == ["expired"]
    still_valid.refresh_from_db()
    assert still_valid.status == "approved"
    assert RollupRun.objects.get().trigger == "declaration_expired"
    assert _current_total(line) == pytest.approx(400 * 2.1)
    assert AuditEvent.objects.get(action="expired").actor is None
