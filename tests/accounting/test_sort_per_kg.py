"""Sorting the fleet by footprint per kg of vehicle, not just by total: a heavy model can be the cleaner one.

A: 200 kg hot-rolled coil, no supplier (3.509 kg/kg) -> 701.8 kg CO2e, curb 2,000 kg -> 0.3509 per kg
B: 150 kg of the same -> 526.35 kg CO2e, curb 1,000 kg -> 0.52635 per kg
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounting import services
from tests.factories import BomLineFactory, VehicleModelFactory


@pytest.fixture
def fleet(actors, materials):
    coil = materials["steel.hot_rolled_coil"]
    carmaker = actors.carmaker_a.membership.organisation
    a = VehicleModelFactory(carmaker=carmaker, model_name="A", curb_mass_kg=Decimal("2000"))
    b = VehicleModelFactory(carmaker=carmaker, model_name="B", curb_mass_kg=Decimal("1000"))
    BomLineFactory(vehicle_model=a, material=coil, mass_kg="200")
    BomLineFactory(vehicle_model=b, material=coil, mass_kg="150")
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    return a, b


def test_api_orders_by_per_kg_and_reports_it(actors, fleet):
    api = APIClient()
    api.force_authenticate(actors.carmaker_a)
    by_total = api.get("/api/v1/vehicle-models/?ordering=-footprint_total_kg_co2e").json()["results"]
    by_per_kg = api.get("/api/v1/vehicle-models/?ordering=-footprint_kg_co2e_per_kg").json()["results"]
    assert [m["model_name"] for m in by_total] == ["A", "B"]
    assert [m["model_name"] for m in by_per_kg] == ["B", "A"]
    assert [m["current_kg_co2e_per_kg_curb_mass"] for m in by_per_kg] == ["0.5264", "0.3509"]


def test_the_list_page_sorts_by_per_kg(client, actors, fleet):
    client.force_login(actors.carmaker_a)
    page = client.get(reverse("accounting:vehicle-model-list"), {"sort": "-per-kg"})
    assert [m.model_name for m in page.context["page"]] == ["B", "A"]
