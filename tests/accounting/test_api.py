"""The vehicle model API: session and token authentication, footprint payload, no N+1 on the list."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting import services
from tests.factories import BomLineFactory, VehicleModelFactory


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def vehicle_with_footprint(actors, materials):
    vehicle = VehicleModelFactory(
        carmaker=actors.carmaker_a.membership.organisation, brand="Qilin", curb_mass_kg=Decimal("1600")
    )
    BomLineFactory(vehicle_model=vehicle, material=materials["steel.hot_rolled_coil"], mass_kg="800")
    BomLineFactory(vehicle_model=vehicle, material=materials["aluminium.casting"], mass_kg="200")
    run = services.rollup_run_create(trigger="full", model_ids=[vehicle.id])
    services.rollup_run_execute(run_id=run.id)
    return vehicle


def test_anonymous_requests_are_refused(api, vehicle_with_footprint):
    response = api.get("/api/v1/vehicle-models/")
    assert response.status_code in (401, 403)


def test_list_with_a_personal_token(api, actors, vehicle_with_footprint):
    token = Token.objects.create(user=actors.supplier_b)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/vehicle-models/", {"brand": "qilin"})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    row = response.json()["results"][0]
    assert row["id"] == vehicle_with_footprint.id
    assert Decimal(row["current_footprint_kg_co2e"]) == Decimal("6807.2000")  # 800 x 3.509 + 200 x 20


def test_footprint_of_a_model_with_session_auth(api, actors, vehicle_with_footprint):
    api.force_login(actors.carmaker_b)  # footprint totals are public to every signed-in organisation
    response = api.get(f"/api/v1/vehicle-models/{vehicle_with_footprint.id}/footprint/")
    assert response.status_code == 200
    body = response.json()
    assert Decimal(body["total_kg_co2e"]) == Decimal("6807.2000")
    assert body["by_material"] == {"steel.hot_rolled_coil": 2807.2, "aluminium.casting": 4000.0}
    assert body["by_data_source"]["4"] == pytest.approx(6807.2)
    assert Decimal(body["primary_data_share"]) == 0
    assert Decimal(body["kg_co2e_per_kg_curb_mass"]) == Decimal("4.2545")
    assert body["revision"] == 1


def test_detail_and_missing_footprint(api, actors, vehicle_with_footprint):
    api.force_login(actors.carmaker_a)
    assert api.get(f"/api/v1/vehicle-models/{vehicle_with_footprint.id}/").json()["brand"] == "Qilin"
    bare = VehicleModelFactory()
    assert api.get(f"/api/v1/vehicle-models/{bare.id}/footprint/").status_code == 404
    assert api.get("/api/v1/vehicle-models/999999/").status_code == 404


def test_list_sorts_by_footprint(api, actors, vehicle_with_footprint, materials):
    lighter = VehicleModelFactory(carmaker=vehicle_with_footprint.carmaker)
    BomLineFactory(vehicle_model=lighter, material=materials["steel.hot_rolled_coil"], mass_kg="1")
    run = services.rollup_run_create(trigger="full", model_ids=[lighter.id])
    services.rollup_run_execute(run_id=run.id)
    api.force_login(actors.carmaker_a)
    ids = [
        r["id"]
        for r in api.get("/api/v1/vehicle-models/", {"ordering": "footprint_total_kg_co2e"}).json()["results"]
    ]
    assert ids == [lighter.id, vehicle_with_footprint.id]


def test_list_query_count_does_not_grow_with_rows(api, actors, vehicle_with_footprint):
    api.force_login(actors.carmaker_a)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/vehicle-models/")
    VehicleModelFactory.create_batch(20, carmaker=vehicle_with_footprint.carmaker)
    with CaptureQueriesContext(connection) as many:
        response = api.get("/api/v1/vehicle-models/")
    assert response.json()["count"] == 21
    assert len(many.captured_queries) == len(few.captured_queries)
