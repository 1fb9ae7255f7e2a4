"""Action ListFootprints (PACT 2.3): the latest version of each footprint the client may read, server-side
pagination with an absolute `Link: <...>; rel="next"` on the requested host, and `$filter`."""

import re
import time
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting.models import BomLine, Footprint
from pact import odata, selectors
from tests.factories import BomLineFactory, VehicleModelFactory

from .conftest import HOST, recompute
from .test_errors import assert_error

LINK = re.compile(r'^<(https://[^>]+)>; rel="next"$')


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [pf["id"] for pf in response.json()["data"]]


def products(response) -> set[str]:
    return {pf["productIds"][0] for pf in response.json()["data"]}


def vehicle_urn(vehicle) -> str:
    return f"urn:pact:carbon.test:product-id:vehicle-model-{vehicle.pk}"


def product_urn(product) -> str:
    return f"urn:pact:carbon.test:product-id:product-{product.pk}"


def all_pages(client, path="/2/footprints", data=None) -> list[str]:
    response = client.get(path, data)
    seen = ids(response)
    while "Link" in response:
        response = client.get_url(LINK.match(response["Link"]).group(1))
        seen += ids(response)
    return seen


# --- What is listed ----------------------------------------------------------------------------------


def test_the_response_is_a_data_array(world, carmaker_a):
    response = carmaker_a.client().get("/2/footprints")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"data"}
    assert "Link" not in response  # nothing more to fetch


def test_an_empty_list_is_an_empty_array(carmaker_a):
    response = carmaker_a.client().get("/2/footprints")
    assert response.json() == {"data": []}


@pytest.mark.parametrize(
    ("who", "sees_declaration"),
    [
        ("carmaker_a", True),  # its BOM uses the product
        ("carmaker_b", False),
        ("supplier_a", True),  # its own
        ("supplier_b", False),
        ("auditor", True),
    ],
)
def test_vehicle_footprints_are_public_and_declarations_follow_the_platform_rules(
    world, request, who, sees_declaration
):
    client = request.getfixturevalue(who).client()
    expected = {vehicle_urn(world.vehicle_a), vehicle_urn(world.vehicle_b)}
    if sees_declaration:
        expected.add(product_urn(world.product))
    assert products(client.get("/2/footprints")) == expected


def test_only_the_latest_version_of_each_footprint_is_listed(world, carmaker_a, materials):
    client = carmaker_a.client()
    before = {pf["productIds"][0]: pf["id"] for pf in client.get("/2/footprints").json()["data"]}
    BomLineFactory(
        vehicle_model=world.vehicle_a, material=materials["steel.cold_rolled_coil"], mass_kg=Decimal("10")
    )
    recompute(world.vehicle_a)
    after = {pf["productIds"][0]: pf for pf in client.get("/2/footprints").json()["data"]}
    assert len(after) == 3
    vehicle = after[vehicle_urn(world.vehicle_a)]
    assert vehicle["id"] != before[vehicle_urn(world.vehicle_a)]
    assert before[vehicle_urn(world.vehicle_a)] not in {pf["id"] for pf in after.values()}
    assert all(pf["status"] == "Active" for pf in after.values())


def test_withdrawn_declarations_are_not_listed(world, carmaker_a):
    world.declaration.status = "withdrawn"
    world.declaration.save()
    assert product_urn(world.product) not in products(carmaker_a.client().get("/2/footprints"))


# --- Pagination --------------------------------------------------------------------------------------


def test_limit_pages_with_an_absolute_next_link_on_the_requested_host(world, carmaker_a):
    client = carmaker_a.client()
    everything = ids(client.get("/2/footprints"))
    first = client.get("/2/footprints", {"limit": 1})
    assert len(ids(first)) == 1
    link = LINK.match(first["Link"])
    assert link, first["Link"]
    assert link.group(1).startswith(f"https://{HOST}/2/footprints?")
    assert all_pages(client, data={"limit": 1}) == everything  # the rest, in order, no repeats


def test_the_link_names_the_host_the_client_called(world, carmaker_a):
    response = carmaker_a.client().get("/2/footprints", {"limit": 1}, HTTP_HOST="testserver")
    assert LINK.match(response["Link"]).group(1).startswith("https://testserver/2/footprints?")


def test_behind_a_tls_proxy_the_link_names_the_forwarded_host_and_scheme(settings, world, carmaker_a):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    response = carmaker_a.client().get(
        "/2/footprints",
        {"limit": 1},
        secure=False,
        HTTP_HOST="web:8000",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST=HOST,
    )
    assert response.status_code == 200
    assert LINK.match(response["Link"]).group(1).startswith(f"https://{HOST}/2/footprints?")


def test_a_link_called_again_returns_the_same_footprints_even_after_changes(world, carmaker_a, materials):
    """Each call of a pagination link returns the same set; a PF deprecated meanwhile shows as Deprecated."""
    client = carmaker_a.client()
    first = client.get("/2/footprints", {"limit": 1})
    link = LINK.match(first["Link"]).group(1)
    listing = {pf["id"]: pf for pf in first.json()["data"] + pages_from(client, first)}
    assert len(listing) == 3
    # A recompute deprecates vehicle A's footprint, and another model gets its first footprint.
    BomLineFactory(
        vehicle_model=world.vehicle_a, material=materials["steel.cold_rolled_coil"], mass_kg=Decimal("10")
    )
    newcomer = VehicleModelFactory(carmaker=carmaker_a.organisation)
    BomLineFactory(
        vehicle_model=newcomer, material=materials["steel.cold_rolled_coil"], mass_kg=Decimal("10")
    )
    recompute(world.vehicle_a, newcomer)
    again = client.get_url(link)
    relisted = {pf["id"]: pf for pf in again.json()["data"] + pages_from(client, again)}
    assert set(relisted) == set(listing) - set(ids(first))
    # Oldest first: the declaration (approved two days ago) was the first page, vehicle A's footprint after it.
    assert ids(first) == [
        pf_id for pf_id, pf in listing.items() if pf["productIds"][0] == product_urn(world.product)
    ]
    (vehicle_a,) = [pf for pf in relisted.values() if pf["productIds"][0] == vehicle_urn(world.vehicle_a)]
    assert (vehicle_a["status"], vehicle_a["version"]) == ("Deprecated", 2)
    # A new listing has the newcomer and vehicle A's new footprint instead.
    fresh = set(all_pages(client))
    assert vehicle_urn(newcomer) in products(client.get("/2/footprints"))
    assert len(fresh) == 4 and fresh != set(listing)


def pages_from(client, response) -> list[dict]:
    """The PFs of every page after this one, following the pagination links."""
    data = []
    while "Link" in response:
        response = client.get_url(LINK.match(response["Link"]).group(1))
        assert response.status_code == 200
        data += response.json()["data"]
    return data


class Clock:
    """Seconds as django.core.signing sees them."""

    def __init__(self, offset: float):
        self.offset = offset

    def time(self):
        return time.time() + self.offset


def test_a_link_works_for_at_least_180_seconds_then_expires(world, carmaker_a, monkeypatch):
    client = carmaker_a.client()
    link = LINK.match(client.get("/2/footprints", {"limit": 1})["Link"]).group(1)
    monkeypatch.setattr("django.core.signing.time", Clock(181))
    assert client.get_url(link).status_code == 200
    monkeypatch.setattr("django.core.signing.time", Clock(901))
    assert_error(client.get_url(link), 400, "BadRequest")


def test_a_tampered_link_is_bad_request(world, carmaker_a):
    client = carmaker_a.client()
    link = LINK.match(client.get("/2/footprints", {"limit": 1})["Link"]).group(1)
    assert_error(client.get_url(link[:-3] + "abc"), 400, "BadRequest")


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_limit_must_be_a_positive_integer(world, carmaker_a, limit):
    assert_error(carmaker_a.client().get("/2/footprints", {"limit": limit}), 400, "BadRequest")


def test_a_large_limit_is_served_in_pages_of_at_most_a_thousand(world, carmaker_a, materials, monkeypatch):
    from pact import views

    monkeypatch.setattr(views, "MAX_LIMIT", 2)
    response = carmaker_a.client().get("/2/footprints", {"limit": 10})
    assert len(ids(response)) == 2 and "Link" in response  # the host may return fewer than asked


def test_listing_takes_the_same_number_of_queries_for_more_footprints(world, carmaker_a, materials):
    client = carmaker_a.client()

    def queries() -> int:
        client.get("/2/footprints")  # assigns the ids of new footprints
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/2/footprints").status_code == 200
        return len(captured)

    few = queries()
    for _ in range(5):
        vehicle = VehicleModelFactory(carmaker=carmaker_a.organisation)
        BomLineFactory(
            vehicle_model=vehicle, material=materials["steel.hot_rolled_coil"], supplier_product=world.product
        )
        recompute(vehicle)
    assert queries() == few


# --- $filter -----------------------------------------------------------------------------------------


def filtered(client, statement, **data):
    return client.get("/2/footprints", {"$filter": statement, **data})


def created_of(world) -> tuple[str, str]:
    """The `created` of the vehicle footprints (one run) and of the declaration, as PACT writes them."""
    from pact.serializers import pact_datetime

    return (
        pact_datetime(Footprint.objects.get(vehicle_model=world.vehicle_a).computed_at),
        pact_datetime(world.declaration.decided_at),
    )


def test_filter_on_created(world, carmaker_a):
    client = carmaker_a.client()
    vehicles_created, declaration_created = created_of(world)
    vehicles = {vehicle_urn(world.vehicle_a), vehicle_urn(world.vehicle_b)}
    assert products(filtered(client, f"created ge '{vehicles_created}'")) == vehicles
    assert products(filtered(client, f"created gt '{vehicles_created}'")) == set()
    assert products(filtered(client, f"created lt '{vehicles_created}'")) == {product_urn(world.product)}
    assert products(filtered(client, f"created le '{declaration_created}'")) == {product_urn(world.product)}
    assert products(filtered(client, f"created eq '{declaration_created}'")) == {product_urn(world.product)}
    # The spec's own form of a time literal, and OData's unquoted one.
    assert products(filtered(client, "created ge '2000-01-01T00:00:00.000Z'")) == vehicles | {
        product_urn(world.product)
    }
    assert products(filtered(client, "created lt 2000-01-01T00:00:00Z")) == set()


def test_every_returned_footprint_matches_created_ge_its_first(world, carmaker_a):
    """As the conformance check does: created ge the first footprint's created."""
    client = carmaker_a.client()
    first = client.get("/2/footprints").json()["data"][0]["created"]
    data = filtered(client, f"created ge '{first}'").json()["data"]
    assert data and all(pf["created"] >= first for pf in data)


def test_filter_on_updated_matches_only_deprecated_versions(world, materials, actors):
    """Active footprints have no `updated`; in a listing taken before a recompute, the revision it deprecated
    carries the recompute's time as `updated`."""
    before = timezone.now()
    BomLineFactory(
        vehicle_model=world.vehicle_a, material=materials["steel.cold_rolled_coil"], mass_kg=Decimal("10")
    )
    recompute(world.vehicle_a)
    carmaker = actors.carmaker_a.membership.organisation

    def page(statement, as_of):
        result = selectors.footprint_page(
            organisation=carmaker, conditions=odata.parse(statement), as_of=as_of, limit=10
        )
        return [(pf.footprint.vehicle_model_id if pf.footprint else None, pf.is_active) for pf in result.pfs]

    since = f"updated ge '{before.isoformat()}'"
    assert page(since, as_of=before) == [(world.vehicle_a.pk, False)]
    assert page(since, as_of=timezone.now()) == []
    assert page(f"updated lt '{before.isoformat()}'", as_of=before) == []


def test_filter_on_product_ids(world, carmaker_a):
    client = carmaker_a.client()

    def any_product(urn):
        return products(filtered(client, f"productIds/any(productId:(productId eq '{urn}'))"))

    assert any_product(vehicle_urn(world.vehicle_a)) == {vehicle_urn(world.vehicle_a)}
    external = (
        f"urn:pact:carbon.test:supplier-id:{world.vehicle_a.carmaker.uscc}:{quote('AUR S5/LR', safe='')}"
    )
    assert any_product(external) == {vehicle_urn(world.vehicle_a)}
    assert any_product(product_urn(world.product)) == {product_urn(world.product)}
    assert any_product("URN:PACT:CARBON.TEST:product-id:product-" + str(world.product.pk)) == {
        product_urn(world.product)
    }
    assert any_product("urn:gtin:4712345060507") == set()
    assert any_product("urn:pact:carbon.test:product-id:vehicle-model-999999") == set()


def test_filter_on_company_ids(world, carmaker_a):
    client = carmaker_a.client()
    supplier = f"urn:pact:carbon.test:uscc:{world.supplier.uscc}"
    assert products(filtered(client, f"companyIds/any(c: c eq '{supplier}')")) == {product_urn(world.product)}


def test_filters_combine_with_and(world, carmaker_a):
    client = carmaker_a.client()
    vehicles_created, _ = created_of(world)
    statement = (
        f"(created ge '{vehicles_created}') and "
        f"productIds/any(productId:(productId eq '{vehicle_urn(world.vehicle_b)}'))"
    )
    assert products(filtered(client, statement)) == {vehicle_urn(world.vehicle_b)}
    assert (
        products(filtered(client, f"created lt '{vehicles_created}' and created ge '{vehicles_created}'"))
        == set()
    )


def test_the_next_link_keeps_the_filter(world, carmaker_a):
    client = carmaker_a.client()
    vehicles_created, _ = created_of(world)
    statement = f"created ge '{vehicles_created}'"
    assert len(all_pages(client, data={"$filter": statement, "limit": 1})) == 2


def test_an_empty_filter_is_no_filter(world, carmaker_a):
    assert len(ids(filtered(carmaker_a.client(), ""))) == 3


@pytest.mark.parametrize(
    "statement",
    [
        "created ge '2026-01-01T00:00:00Z' or created lt '2020-01-01T00:00:00Z'",
        "not (created ge '2026-01-01T00:00:00Z')",
        "created ne '2026-01-01T00:00:00Z'",
        "productCategoryCpc eq '491'",
        "pcf/geographyCountry eq 'CN'",
        "(pcf/referencePeriodStart ge '2023-01-01T00:00:00.000Z') and (pcf/referencePeriodEnd lt '2024-01-01T00:00:00.000Z')",
        "productIds/all(p:(p eq 'urn:x:y'))",
    ],
)
def test_valid_filters_this_host_does_not_evaluate_are_not_implemented(world, carmaker_a, statement):
    assert_error(filtered(carmaker_a.client(), statement), 400, "NotImplemented")


@pytest.mark.parametrize(
    "statement",
    [
        "created ge",
        "created ge '2026-01-01T00:00:00Z' and",
        "weight gt '3'",
        "created ge 'yesterday'",
        "created >= '2026-01-01T00:00:00Z'",
        "productIds/any(p:(q eq 'urn:x:y'))",
        "(created ge '2026-01-01T00:00:00Z'",
    ],
)
def test_malformed_filters_are_bad_request(world, carmaker_a, statement):
    assert_error(filtered(carmaker_a.client(), statement), 400, "BadRequest")


def test_filtering_never_lists_deprecated_revisions(world, carmaker_a):
    client = carmaker_a.client()
    BomLine.objects.filter(vehicle_model=world.vehicle_a).update(mass_kg=Decimal("500"))
    recompute(world.vehicle_a)
    assert Footprint.objects.filter(vehicle_model=world.vehicle_a).count() == 2
    data = filtered(client, f"productIds/any(p:(p eq '{vehicle_urn(world.vehicle_a)}'))").json()["data"]
    assert [pf["status"] for pf in data] == ["Active"]
