"""The fast serializers render exactly what DRF's own `Serializer.to_representation` renders, and the
carmaker's cached set of bought products follows its BOM changes at once."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from accounting import selectors, services
from accounting.api.serializers import FootprintSerializer, VehicleModelSerializer
from carbon_platform.fast_serializers import FastRepresentation
from disclosures.selectors import declarations_visible_to
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory, VehicleModelFactory


@pytest.fixture
def computed(actors, materials):
    carmaker = actors.carmaker_a.membership.organisation
    supplier = actors.supplier_a.membership.organisation
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(supplier=supplier, material=coil)
    DeclarationFactory(product=product, status="approved", gwp_a1_a3_kg_co2e=Decimal("1900"))
    vehicles = [VehicleModelFactory(carmaker=carmaker) for _ in range(2)]
    BomLineFactory(vehicle_model=vehicles[0], material=coil, mass_kg="100", supplier_product=product)
    BomLineFactory(vehicle_model=vehicles[0], material=materials["aluminium.casting"], mass_kg="12.5")
    BomLineFactory(vehicle_model=vehicles[1], material=coil, mass_kg="40")
    run = services.rollup_run_create(trigger="full", model_ids=[v.id for v in vehicles])
    services.rollup_run_execute(run_id=run.id)
    VehicleModelFactory(carmaker=carmaker)  # no footprint yet: nulls
    return vehicles


def drf_rendering(serializer, instance):
    """What DRF itself renders, field by field, skipping FastRepresentation."""
    return serializers.ModelSerializer.to_representation(serializer, instance)


@pytest.mark.parametrize("supplier_detail", [True, False])
def test_footprint_renders_as_drf_does(computed, supplier_detail):
    footprint = selectors.current_footprint_of(vehicle_model_id=computed[0].id)
    serializer = FootprintSerializer(footprint, context={"supplier_detail": supplier_detail})
    fast = serializer.data
    assert fast == drf_rendering(FootprintSerializer(context={"supplier_detail": supplier_detail}), footprint)
    assert list(fast) == list(FootprintSerializer().fields)
    assert (fast["by_supplier"] is None) is not supplier_detail
    assert fast["total_kg_co2e"] == str(footprint.total_kg_co2e.quantize(Decimal("0.0001")))


def test_vehicle_model_page_renders_as_drf_does(computed):
    rows = list(selectors.vehicle_models_with_current_footprint().order_by("id"))
    assert len(rows) == 3
    fast = VehicleModelSerializer(rows, many=True).data
    assert fast == [drf_rendering(VehicleModelSerializer(), row) for row in rows]
    assert fast[2]["current_footprint_kg_co2e"] is None
    assert fast[0]["carmaker"] == "Carmaker A"


def test_nested_serializers_are_refused():
    class Inner(serializers.Serializer):
        value = serializers.IntegerField()

    class Outer(FastRepresentation, serializers.Serializer):
        inner = Inner()

    with pytest.raises(TypeError, match="no nesting"):
        _ = Outer({"inner": {"value": 1}}).data


def test_current_footprint_of_takes_only_numbers(computed):
    assert selectors.current_footprint_of(vehicle_model_id="abc") is None
    assert selectors.current_footprint_of(vehicle_model_id=str(computed[1].id)).vehicle_model == computed[1]


def test_bought_products_follow_a_bom_replace_at_once(actors, materials, django_capture_on_commit_callbacks):
    carmaker = actors.carmaker_a.membership.organisation
    coil = materials["steel.hot_rolled_coil"]
    first = ProductFactory(supplier=actors.supplier_a.membership.organisation, material=coil)
    second = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=coil)
    approved = DeclarationFactory(product=second, status="approved")
    vehicle = VehicleModelFactory(carmaker=carmaker)
    BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=first)

    assert selectors.products_bought_by(carmaker_id=carmaker.id) == [first.id]
    assert approved not in declarations_visible_to(organisation=carmaker)
    line = {"component": "Door", "system": "closures", "material": coil, "mass_kg": Decimal("20")}
    with django_capture_on_commit_callbacks(execute=True):
        services.bom_replace(
            actor=actors.carmaker_a, vehicle_model=vehicle, lines=[{**line, "supplier_product": second}]
        )
    # The cached [first] is keyed by the old BOM version: the replace is seen without waiting for expiry.
    assert selectors.products_bought_by(carmaker_id=carmaker.id) == [second.id]
    assert approved in declarations_visible_to(organisation=carmaker)
    # A new model (no BOM lines yet) changes the version too, and an unlinked line buys nothing.
    other = VehicleModelFactory(carmaker=carmaker)
    BomLineFactory(vehicle_model=other, material=coil)
    assert selectors.products_bought_by(carmaker_id=carmaker.id) == [second.id]
    assert selectors.products_bought_by(carmaker_id=actors.carmaker_b.membership.organisation.id) == []


def test_footprint_endpoint_answers_404_for_unknown_models_and_missing_footprints(client, computed, actors):
    client.force_login(actors.carmaker_b)
    no_footprint = computed[0].carmaker.vehicle_models.order_by("-id").first()
    for path, detail in [
        ("abc", "Not found."),
        ("999999", "Not found."),
        (no_footprint.id, "This vehicle model has no footprint yet."),
    ]:
        answer = client.get(f"/api/v1/vehicle-models/{path}/footprint/")
        assert answer.status_code == 404, path
        assert answer.json()["detail"] == detail
    answer = client.get(f"/api/v1/vehicle-models/{computed[0].id}/footprint/")
    assert answer.status_code == 200
    assert answer.json()["by_supplier"] is None  # another carmaker: totals only
