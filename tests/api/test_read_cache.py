"""The cache of public reads (carbon_platform/read_cache.py): a repeated read skips the database, and every
change to what it shows -- a rollup's new revisions, a vehicle model, an organisation's name -- is seen by
the next read; supplier detail never crosses from the owner to another organisation through it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounting import services
from accounting.models import Footprint
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory, VehicleModelFactory


@pytest.fixture(autouse=True)
def read_cache_on(settings):
    settings.API_READ_CACHE = True


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _recompute(model_ids, capture):
    with capture(execute=True):
        run = services.rollup_run_create(trigger="full", model_ids=model_ids)
        services.rollup_run_execute(run_id=run.id)


@pytest.fixture
def vehicle(actors, materials, django_capture_on_commit_callbacks):
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(supplier=actors.supplier_a.membership.organisation, material=coil)
    DeclarationFactory(product=product, status="approved", gwp_a1_a3_kg_co2e=Decimal("1900"))
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="100", supplier_product=product)
    _recompute([vehicle.id], django_capture_on_commit_callbacks)
    return vehicle


def _footprint_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "accounting_footprint" in q["sql"]]


def test_a_repeated_footprint_read_is_served_without_reading_the_footprint(actors, vehicle):
    client = _client(actors.carmaker_a)
    url = f"/api/v1/vehicle-models/{vehicle.id}/footprint/"
    with CaptureQueriesContext(connection) as first:
        first_body = client.get(url).json()
    with CaptureQueriesContext(connection) as second:
        second_body = client.get(url).json()
    assert _footprint_queries(first.captured_queries)
    assert not _footprint_queries(second.captured_queries)
    assert second_body == first_body
    assert first_body["total_kg_co2e"] == "190.0000"  # 100 kg x 1.9 kg CO2e/kg (1,900 per t)


def test_a_new_revision_is_read_at_once(actors, materials, vehicle, django_capture_on_commit_callbacks):
    client = _client(actors.carmaker_a)
    url = f"/api/v1/vehicle-models/{vehicle.id}/footprint/"
    assert client.get(url).json()["revision"] == 1
    BomLineFactory(vehicle_model=vehicle, material=materials["steel.hot_rolled_coil"], mass_kg="10")
    _recompute([vehicle.id], django_capture_on_commit_callbacks)
    body = client.get(url).json()
    assert body["revision"] == 2
    assert body["total_kg_co2e"] == str(
        Footprint.objects.get(vehicle_model=vehicle, is_current=True).total_kg_co2e
    )


def test_supplier_detail_never_crosses_to_another_organisation(actors, vehicle):
    url = f"/api/v1/vehicle-models/{vehicle.id}/footprint/"
    owner = _client(actors.carmaker_a).get(url).json()
    assert owner["by_supplier"] == [
        {
            "supplier_id": actors.supplier_a.membership.organisation.id,
            "supplier": "Supplier A",
            "kg_co2e": 190.0,
        }
    ]
    for other in (actors.carmaker_b, actors.supplier_a, actors.supplier_b):
        body = _client(other).get(url).json()
        assert body["by_supplier"] is None, other
        assert body["total_kg_co2e"] == owner["total_kg_co2e"]
    assert _client(actors.auditor).get(url).json()["by_supplier"] == owner["by_supplier"]


def test_a_renamed_supplier_and_a_changed_model_are_read_at_once(
    actors, vehicle, django_capture_on_commit_callbacks
):
    client = _client(actors.carmaker_a)
    detail = f"/api/v1/vehicle-models/{vehicle.id}/footprint/"
    listing = "/api/v1/vehicle-models/"
    assert client.get(detail).json()["by_supplier"][0]["supplier"] == "Supplier A"
    assert (
        client.get(listing).json()["results"][0]["current_kg_co2e_per_kg_curb_mass"] == "0.1056"
    )  # 190/1800
    supplier = actors.supplier_a.membership.organisation
    with django_capture_on_commit_callbacks(execute=True):
        supplier.name = "Supplier A Steel Co."
        supplier.save()
        vehicle.curb_mass_kg = Decimal("1900")
        vehicle.save()
    assert client.get(detail).json()["by_supplier"][0]["supplier"] == "Supplier A Steel Co."
    assert (
        client.get(listing).json()["results"][0]["current_kg_co2e_per_kg_curb_mass"] == "0.1000"
    )  # 190/1900


def test_a_list_page_is_cached_per_url_and_errors_are_not_cached(actors, vehicle):
    client = _client(actors.carmaker_b)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/vehicle-models/?powertrain=BEV").json()["count"] == 1
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/v1/vehicle-models/?powertrain=BEV").json()["count"] == 1
    assert any("accounting_vehiclemodel" in q["sql"] for q in first.captured_queries)
    assert not any("accounting_vehiclemodel" in q["sql"] for q in second.captured_queries)
    assert client.get("/api/v1/vehicle-models/?powertrain=ICE").json()["count"] == 0
    assert client.get("/api/v1/vehicle-models/?powertrain=nonsense").status_code == 400
    assert client.get("/api/v1/vehicle-models/?powertrain=nonsense").status_code == 400
    # An export is never served from the cache.
    assert client.get("/api/v1/vehicle-models/?format=csv").status_code == 200


def test_a_model_without_a_footprint_is_not_cached_as_missing(
    actors, materials, django_capture_on_commit_callbacks
):
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=materials["steel.hot_rolled_coil"], mass_kg="10")
    client = _client(actors.carmaker_a)
    url = f"/api/v1/vehicle-models/{vehicle.id}/footprint/"
    assert client.get(url).status_code == 404
    _recompute([vehicle.id], django_capture_on_commit_callbacks)
    assert client.get(url).status_code == 200


def test_a_hit_is_one_round_trip_and_an_older_version_is_rebuilt(monkeypatch):
    """The entry carries the version it was built under and is read in the same MGET as the current
    version; once the version moves, the entry is rebuilt rather than served."""
    from django.core.cache import cache

    from carbon_platform import read_cache

    cache.clear()
    parts = ("footprint", "1", "auditor")
    assert read_cache.cached(parts, lambda: {"total_kg_co2e": "1.5"}) == b'{"total_kg_co2e":"1.5"}'
    calls, depth = [], [0]

    def counted(name, method):
        def call(*args, **kwargs):  # what the read cache asks for, not the backend's own inner calls
            if not depth[0]:
                calls.append(name)
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))

    def must_not_build():
        raise AssertionError("built again although the entry is current")

    assert read_cache.cached(parts, must_not_build) == b'{"total_kg_co2e":"1.5"}'
    assert calls == ["get_many"]
    read_cache._bump()
    assert read_cache.cached(parts, lambda: {"total_kg_co2e": "2.5"}) == b'{"total_kg_co2e":"2.5"}'
    assert read_cache.cached(parts, must_not_build) == b'{"total_kg_co2e":"2.5"}'


@pytest.mark.parametrize(
    "path", ["/api/v1/vehicle-models/{id}/footprint/", "/api/v1/vehicle-models/?brand={brand}"]
)
def test_a_cached_answer_is_byte_for_byte_what_drf_renders(settings, actors, vehicle, path):
    """A hit sends the stored JSON body as it is: the same bytes and headers DRF sends without the cache,
    for plain JSON; indented JSON and the browsable API still go through their renderers."""
    url = path.format(id=vehicle.id, brand=vehicle.brand)
    client = _client(actors.carmaker_a)
    settings.API_READ_CACHE = False
    expected = client.get(url)
    settings.API_READ_CACHE = True
    for _ in range(2):  # the miss that stores, then the hit
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == expected.content
        for header in ("Content-Type", "Vary", "Allow"):
            assert response.headers.get(header) == expected.headers.get(header), header
    indented = client.get(url, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.decode().startswith("{\n  ")
    assert indented.json() == expected.json()
    page = client.get(url, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert str(vehicle.id) in page.content.decode()


def test_the_database_answers_when_the_shared_cache_is_unreachable(actors, vehicle, monkeypatch):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    url = f"/api/v1/vehicle-models/{vehicle.id}/footprint/"
    monkeypatch.setattr(cache, "get_many", unreachable)
    response = _client(actors.carmaker_a).get(url)
    assert response.status_code == 200
    assert response.json()["total_kg_co2e"] == "190.0000"
    monkeypatch.undo()
    monkeypatch.setattr(cache, "set", unreachable)
    assert _client(actors.carmaker_b).get(url).json()["total_kg_co2e"] == "190.0000"
