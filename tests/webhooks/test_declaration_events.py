"""declaration.approved and declaration.expired reach the subscribed carmakers whose BOM lines buy the
declaration's product, and nobody else."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from disclosures import services as disclosure_services
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    ProductFactory,
    SubscriptionFactory,
    VehicleModelFactory,
)
from webhooks import services
from webhooks.models import Delivery


@pytest.fixture
def supply_chain(actors, materials):
    """Carmaker A buys Supplier A's coil (two models); Carmaker B buys only Supplier B's coil, and a third
    carmaker buys nothing at all. Every carmaker is subscribed to every event."""
    coil = materials["steel.hot_rolled_coil"]
    bought = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=coil, name="HRC Q235B"
    )
    other = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=coil)
    carmaker_a = actors.carmaker_a.membership.organisation
    carmaker_b = actors.carmaker_b.membership.organisation
    models_a = [VehicleModelFactory(carmaker=carmaker_a) for _ in range(2)]
    for vehicle in models_a:
        BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=bought)
        BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=bought)  # two lines, one model
    BomLineFactory(
        vehicle_model=VehicleModelFactory(carmaker=carmaker_b), material=coil, supplier_product=other
    )
    subscriptions = {
        "a": SubscriptionFactory(organisation=carmaker_a),
        "b": SubscriptionFactory(organisation=carmaker_b),
        "idle": SubscriptionFactory(),
    }
    return bought, models_a, subscriptions


def test_an_approval_reaches_only_carmakers_whose_boms_buy_the_product(
    actors, supply_chain, enqueued, django_capture_on_commit_callbacks
):
    bought, models_a, subscriptions = supply_chain
    declaration = DeclarationFactory(
        product=bought, status="submitted", registration_number="EPD-0001", gwp_a1_a3_kg_co2e=Decimal("1900")
    )
    with django_capture_on_commit_callbacks(execute=True):
        disclosure_services.declaration_decide(
            actor=actors.auditor, declaration=declaration, decision="approve"
        )

    (delivery,) = Delivery.objects.filter(event_type="declaration.approved")
    assert delivery.subscription == subscriptions["a"]
    assert delivery.pk in enqueued
    declaration.refresh_from_db()
    data = delivery.payload["data"]
    assert data["declaration"] == {
        "id": declaration.pk,
        "registration_number": "EPD-0001",
        "version": 1,
        "status": "approved",
        "issue_date": declaration.issue_date.isoformat(),
        "valid_until": declaration.valid_until.isoformat(),
        "product": {"id": bought.pk, "name": "HRC Q235B", "material": "steel.hot_rolled_coil"},
        "supplier": {"id": bought.supplier_id, "name": "Supplier A"},
    }
    assert data["cause"] == {
        "kind": "auditor_review",
        "description": "Approved by auditor review",
        "reviewer_organisation": "Auditor",
        "decided_at": declaration.decided_at.isoformat(),
    }
    assert data["vehicle_model_ids"] == sorted(vehicle.pk for vehicle in models_a)


def test_an_expiry_reaches_only_carmakers_whose_boms_buy_the_product(
    actors, supply_chain, enqueued, django_capture_on_commit_callbacks
):
    bought, models_a, subscriptions = supply_chain
    subscriptions["a"].event_types = ["declaration.expired"]
    subscriptions["a"].save()
    DeclarationFactory(
        product=bought,
        status="approved",
        registration_number="EPD-OLD",
        issue_date=date(2021, 1, 1),
        valid_until=date(2026, 2, 28),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert disclosure_services.declarations_expire(today=date(2026, 3, 1)) == 1

    (delivery,) = Delivery.objects.filter(event_type="declaration.expired")
    assert delivery.subscription == subscriptions["a"]
    data = delivery.payload["data"]
    assert (data["declaration"]["registration_number"], data["declaration"]["status"]) == (
        "EPD-OLD",
        "expired",
    )
    assert data["cause"] == {
        "kind": "validity_ended",
        "description": "Expired on 2026-03-01 (valid until 2026-02-28)",
        "valid_until": "2026-02-28",
        "expired_on": "2026-03-01",
    }
    assert not Delivery.objects.filter(event_type="declaration.approved").exists()


def test_a_subscription_without_the_event_or_paused_or_revoked_gets_nothing(actors, supply_chain, enqueued):
    bought, _models, subscriptions = supply_chain
    declaration = DeclarationFactory(product=bought, status="approved")
    subscription = subscriptions["a"]
    subscription.event_types = ["footprint.changed", "declaration.expired"]
    subscription.save()
    assert (
        services.declaration_event_emit(declaration_id=declaration.pk, event_type="declaration.approved")
        == []
    )
    subscription.event_types, subscription.is_active = ["declaration.approved"], False
    subscription.save()
    assert (
        services.declaration_event_emit(declaration_id=declaration.pk, event_type="declaration.approved")
        == []
    )
    subscription.is_active, subscription.revoked_at = True, timezone.now()
    subscription.save()
    assert (
        services.declaration_event_emit(declaration_id=declaration.pk, event_type="declaration.approved")
        == []
    )
    subscription.revoked_at = None
    subscription.save()
    (delivery,) = services.declaration_event_emit(
        declaration_id=declaration.pk, event_type="declaration.approved"
    )
    assert delivery.subscription == subscription


def test_a_product_nobody_buys_sends_nothing(actors, materials, enqueued):
    SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation)
    unbought = ProductFactory(material=materials["steel.hot_rolled_coil"])
    declaration = DeclarationFactory(
        product=unbought, status="approved", valid_until=date.today() + timedelta(1)
    )
    assert (
        services.declaration_event_emit(declaration_id=declaration.pk, event_type="declaration.expired") == []
    )
    assert not Delivery.objects.exists()


def test_only_declaration_events_are_emitted_for_declarations(supply_chain):
    bought, _models, _subscriptions = supply_chain
    declaration = DeclarationFactory(product=bought, status="approved")
    with pytest.raises(ValueError):
        services.declaration_event_emit(declaration_id=declaration.pk, event_type="footprint.changed")


def test_with_no_active_subscriber_to_an_event_nothing_is_registered_on_commit(
    actors, supply_chain, django_capture_on_commit_callbacks
):
    bought, _models, subscriptions = supply_chain
    assert services.anyone_subscribed(event_type="declaration.approved")
    for subscription in subscriptions.values():
        subscription.event_types = ["footprint.changed", "declaration.expired"]
        subscription.save()
    subscriptions["idle"].is_active = False
    subscriptions["idle"].event_types = ["declaration.approved"]
    subscriptions["idle"].save()
    assert not services.anyone_subscribed(event_type="declaration.approved")
    assert services.anyone_subscribed(event_type="declaration.expired")
    declaration = DeclarationFactory(product=bought, status="submitted")
    with django_capture_on_commit_callbacks() as callbacks:
        disclosure_services.declaration_decide(
            actor=actors.auditor, declaration=declaration, decision="approve"
        )
    assert len(callbacks) == 1  # the recompute only
