"""Action GetFootprint (PACT 2.3): a footprint by its id, in its latest version; NoSuchFootprint for an id
this host never issued (also when it is no UUID at all); AccessDenied for one the client may not read."""

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pact.models import ProductFootprintId

from .spec import assert_product_footprint
from .test_errors import assert_error


def test_a_listed_footprint_is_returned_by_its_id(world, carmaker_a):
    client = carmaker_a.client()
    for pf in client.get("/2/footprints").json()["data"]:
        response = client.get(f"/2/footprints/{pf['id']}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"data": pf}
        assert_product_footprint(response.json()["data"])


def test_ids_are_stable_across_requests_and_clients(world, carmaker_a, supplier_a):
    first = {pf["productIds"][0]: pf["id"] for pf in carmaker_a.client().get("/2/footprints").json()["data"]}
    second = {pf["productIds"][0]: pf["id"] for pf in supplier_a.client().get("/2/footprints").json()["data"]}
    assert first == second
    assert ProductFootprintId.objects.count() == 3


def test_an_unknown_id_is_no_such_footprint(world, carmaker_a):
    assert_error(carmaker_a.client().get(f"/2/footprints/{uuid.uuid4()}"), 404, "NoSuchFootprint")


def test_an_id_that_is_no_uuid_is_no_such_footprint(world, carmaker_a):
    assert_error(carmaker_a.client().get("/2/footprints/random-string-as-id-1a2b3c"), 404, "NoSuchFootprint")


def test_a_declaration_the_client_may_not_read_is_access_denied(world, carmaker_a, carmaker_b):
    declaration_id = next(
        pf["id"]
        for pf in carmaker_a.client().get("/2/footprints").json()["data"]
        if pf["productIds"][0].endswith(f"product-{world.product.pk}")
    )
    assert_error(carmaker_b.client().get(f"/2/footprints/{declaration_id}"), 403, "AccessDenied")


def test_vehicle_footprints_are_readable_by_every_organisation(world, carmaker_a, supplier_b):
    vehicle_ids = [
        pf["id"]
        for pf in carmaker_a.client().get("/2/footprints").json()["data"]
        if "vehicle-model" in pf["productIds"][0]
    ]
    client = supplier_b.client()
    assert [client.get(f"/2/footprints/{pf_id}").status_code for pf_id in vehicle_ids] == [200, 200]


def test_a_lookup_is_one_indexed_query_plus_a_fixed_few(world, carmaker_a):
    client = carmaker_a.client()
    pf_id = client.get("/2/footprints").json()["data"][-1]["id"]
    assert ProductFootprintId._meta.get_field("pf_id").unique  # a unique index serves the lookup
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/2/footprints/{pf_id}").status_code == 200
    lookups = [
        q["sql"]
        for q in captured
        if "pact_productfootprintid" in q["sql"] and str(pf_id).replace("-", "") in q["sql"].replace("-", "")
    ]
    assert len(lookups) == 1
    assert len(captured) <= 10
