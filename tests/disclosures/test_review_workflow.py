"""Submit, review and decide: segregation of duties, comments, audit events, and the recompute on approval."""

import pytest
from django.urls import reverse

from accounting.models import Footprint, RollupRun
from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.models import AuditEvent
from carbon_platform.tenancy.services import audit_chain_verify
from disclosures import services
from disclosures.models import Declaration, Review
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory


@pytest.fixture
def product(actors, materials):
    return ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        route="bf_bof",
    )


@pytest.fixture
def submitted(product):
    return DeclarationFactory(product=product, status="submitted", gwp_a1_a3_kg_co2e="2000")


def test_supplier_submits_a_draft_once(actors, product):
    draft = DeclarationFactory(product=product)
    services.declaration_submit(actor=actors.supplier_a, declaration=draft)
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.submitted_at is not None
    with pytest.raises(ApplicationError, match="this one is Submitted"):
        services.declaration_submit(actor=actors.supplier_a, declaration=draft)


def test_another_supplier_cannot_submit_it(actors, product):
    draft = DeclarationFactory(product=product)
    with pytest.raises(ApplicationError) as error:
        services.declaration_submit(actor=actors.supplier_b, declaration=draft)
    assert error.value.status_code == 403


def test_review_queue_shows_submitted_declarations_oldest_first(client, actors, submitted, product):
    DeclarationFactory(product=product, status="draft")
    client.force_login(actors.auditor)
    response = client.get(reverse("disclosures:review-queue"))
    assert list(response.context["page"]) == [submitted]


def test_nobody_reviews_their_own_organisations_declarations(actors, materials):
    auditor_org = actors.auditor.membership.organisation
    own = DeclarationFactory(
        product=ProductFactory(supplier=auditor_org, material=materials["steel.electrical"]),
        status="submitted",
    )
    with pytest.raises(ApplicationError, match="own organisation"):
        services.declaration_decide(actor=actors.auditor, declaration=own, decision="approve")
    own.refresh_from_db()
    assert own.status == "submitted"
    from disclosures.selectors import review_queue

    assert own not in review_queue(organisation=auditor_org)


def test_suppliers_and_carmakers_cannot_decide(actors, submitted):
    for user in (actors.supplier_a, actors.supplier_b, actors.carmaker_a):
        with pytest.raises(ApplicationError, match="Only auditors"):
            services.declaration_decide(actor=user, declaration=submitted, decision="approve")
    assert Review.objects.count() == 0


@pytest.mark.parametrize("decision", ["reject", "request_changes"])
def test_rejecting_or_requesting_changes_needs_a_comment(actors, submitted, decision):
    with pytest.raises(ApplicationError, match="comment is required"):
        services.declaration_decide(
            actor=actors.auditor, declaration=submitted, decision=decision, comment="  "
        )
    review = services.declaration_decide(
        actor=actors.auditor,
        declaration=submitted,
        decision=decision,
        comment="Module A1-A3 lacks the PCR reference.",
    )
    submitted.refresh_from_db()
    assert submitted.status == {"reject": "rejected", "request_changes": "changes_requested"}[decision]
    assert review.comment == "Module A1-A3 lacks the PCR reference."


def test_approval_recomputes_the_models_that_use_the_product_on_commit(
    actors, submitted, product, materials, django_capture_on_commit_callbacks
):
    line = BomLineFactory(
        material=materials["steel.hot_rolled_coil"], supplier_product=product, mass_kg="500"
    )
    untouched = BomLineFactory(material=materials["steel.hot_rolled_coil"], mass_kg="500")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.declaration_decide(actor=actors.auditor, declaration=submitted, decision="approve")
    assert len(callbacks) == 1
    run = RollupRun.objects.get()
    assert run.status == "succeeded"
    assert run.scope_model_ids == [line.vehicle_model_id]
    footprint = Footprint.objects.get(vehicle_model=line.vehicle_model, is_current=True)
    assert footprint.total_kg_co2e == pytest.approx(500 * 2.0)  # 2,000 kg CO2e per t
    assert footprint.primary_data_share == 1
    assert not Footprint.objects.filter(vehicle_model=untouched.vehicle_model).exists()


def test_approving_a_new_version_supersedes_the_old_one(actors, product, django_capture_on_commit_callbacks):
    old = DeclarationFactory(product=product, status="approved", version=1)
    new = DeclarationFactory(product=product, status="submitted", version=2, supersedes=old)
    with django_capture_on_commit_callbacks(execute=True):
        services.declaration_decide(actor=actors.auditor, declaration=new, decision="approve")
    old.refresh_from_db()
    assert old.status == "superseded"
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["approved", "superseded"]
    assert audit_chain_verify().intact


def test_auditor_decides_in_the_browser(client, actors, submitted, django_capture_on_commit_callbacks):
    client.force_login(actors.auditor)
    page = client.get(reverse("disclosures:declaration-detail", args=[submitted.pk]))
    assert page.context["can_decide"]
    url = reverse("disclosures:declaration-decide", args=[submitted.pk])
    response = client.post(url, {"decision": "reject", "comment": ""}, follow=True)
    assert "A comment is required" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "approved"


def test_drafts_are_invisible_to_auditors_and_other_suppliers(client, actors, product):
    draft = DeclarationFactory(product=product)
    for user in (actors.auditor, actors.supplier_b, actors.carmaker_a):
        client.force_login(user)
        assert client.get(reverse("disclosures:declaration-detail", args=[draft.pk])).status_code == 404
    client.force_login(actors.supplier_a)
    assert client.get(reverse("disclosures:declaration-detail", args=[draft.pk])).status_code == 200


def test_supplier_submits_in_the_browser(client, actors, product):
    draft = DeclarationFactory(product=product)
    client.force_login(actors.supplier_a)
    response = client.post(reverse("disclosures:declaration-submit", args=[draft.pk]), follow=True)
    assert "Submitted for review." in response.content.decode()
    assert Declaration.objects.get(pk=draft.pk).status == "submitted"
