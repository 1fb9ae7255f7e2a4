"""One FilterSet per list, in its app's filters.py, and the same class where a browser page lists the same thing."""

import pytest
from django.urls import reverse

from accounting.filters import RollupRunFilter, VehicleModelFilter
from disclosures.filters import DeclarationFilter, ImportBatchFilter
from tests.api.lists import api_list_routes, api_routes
from tests.factories import DeclarationFactory, ProductFactory


def _view_class(name):
    return next(pattern.callback.cls for _route, pattern in api_routes() if pattern.name == name)


@pytest.mark.parametrize("name", api_list_routes())
def test_every_list_endpoint_has_a_filterset_of_its_app(name):
    view = _view_class(name)
    filterset = view.filterset_class
    assert filterset is not None, f"{view.__name__} lists without a FilterSet"
    app = view.__module__.split(".")[0]
    assert filterset.__module__ == f"{app}.filters", filterset


@pytest.mark.parametrize(
    ("api_list", "page", "user", "filterset"),
    [
        ("vehicle-model-list", "accounting:vehicle-model-list", "carmaker_a", VehicleModelFilter),
        ("rollup-run-list", "accounting:rollup-run-list", "carmaker_a", RollupRunFilter),
        ("declaration-list", "disclosures:review-queue", "auditor", DeclarationFilter),
        ("declaration-list", "disclosures:declaration-list", "supplier_a", DeclarationFilter),
        ("import-batch-list", "disclosures:import-list", "supplier_a", ImportBatchFilter),
    ],
)
def test_a_page_and_the_api_listing_the_same_thing_share_one_filterset(
    client, actors, api_list, page, user, filterset
):
    assert _view_class(api_list).filterset_class is filterset
    client.force_login(getattr(actors, user))
    response = client.get(reverse(page))
    assert response.status_code == 200
    assert type(response.context["filter"]) is filterset


def test_the_supplier_page_and_the_api_filter_declarations_alike(client, actors, materials):
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=materials["steel.hot_rolled_coil"]
    )
    DeclarationFactory(product=product, registration_number="EPD-D")
    DeclarationFactory(product=product, status="submitted", registration_number="EPD-S")
    client.force_login(actors.supplier_a)
    params = {"status": "submitted"}
    on_page = [
        d.registration_number
        for d in client.get(reverse("disclosures:declaration-list"), params).context["page"]
    ]
    in_api = [d["registration_number"] for d in client.get("/api/v1/declarations/", params).json()["results"]]
    assert on_page == in_api == ["EPD-S"]


def test_the_review_queue_shows_its_filters_and_hides_drafts_from_its_status_choices(client, actors):
    client.force_login(actors.auditor)
    queue = client.get(reverse("disclosures:review-queue")).context
    assert [field.name for field in queue["fields"]] == [
        "status",
        "material",
        "route",
        "supplier",
        "min_age_days",
        "severity",
    ]
    assert "draft" not in [value for value, _label in queue["filter"].form.fields["status"].choices]


def test_drafts_stay_hidden_from_auditors_after_the_schema_built_the_status_field(actors):
    """The OpenAPI schema reads the class's own filters, which builds and keeps their form fields; a
    filterset made afterwards for an auditor must still refuse status=draft."""
    from django.test import RequestFactory

    from disclosures.filters import DeclarationFilter

    _ = DeclarationFilter.base_filters["status"].field  # what schema generation does
    request = RequestFactory().get("/api/v1/declarations/", {"status": "draft"})
    request.user = actors.auditor
    filterset = DeclarationFilter(request.GET, request=request)
    assert not filterset.is_valid()
    assert "status" in filterset.errors


@pytest.mark.parametrize(
    "value, status",
    [
        ("0424-11-02T17:45:35+18:24", 200),  # an offset PostgreSQL refuses: sent in UTC instead
        ("2026-03-02T10:15:00+08:00", 200),
        ("0001-01-01T00:00:00+05:00", 400),  # before year 1 in UTC
        ("not a date", 400),
    ],
)
def test_history_date_filters_take_any_offset_python_takes_and_refuse_what_utc_cannot_hold(
    actors, value, status
):
    from rest_framework.test import APIClient

    from tests.factories import VehicleModelFactory

    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    client = APIClient()
    client.force_authenticate(actors.carmaker_a)
    answer = client.get(f"/api/v1/vehicle-models/{vehicle.id}/history/", {"computed_after": value})
    assert answer.status_code == status, answer.content
    if status == 400:
        assert "computed_after" in answer.json()
