"""The footprint explorer's list filters by brand, carmaker, segment, powertrain and model year together,
offers every brand and carmaker of the fleet, and pages through the result."""

import pytest
from django.urls import reverse

from tests.factories import VehicleModelFactory


@pytest.fixture
def fleet(actors):
    a = actors.carmaker_a.membership.organisation
    b = actors.carmaker_b.membership.organisation
    return {
        "qilin_bev": VehicleModelFactory(
            carmaker=a, brand="Qilin", powertrain="BEV", segment="C", model_year=2026
        ),
        "qilin_ice": VehicleModelFactory(
            carmaker=a, brand="Qilin", powertrain="ICE", segment="C", model_year=2025
        ),
        "feng_bev": VehicleModelFactory(
            carmaker=b, brand="Feng", powertrain="BEV", segment="B", model_year=2026
        ),
    }


def _listed(client, **query) -> set[str]:
    page = client.get(reverse("accounting:vehicle-model-list"), query)
    assert page.status_code == 200
    return {f"{m.brand} {m.powertrain} {m.model_year}" for m in page.context["page"]}


def test_filters_combine(client, actors, fleet):
    client.force_login(actors.carmaker_b)  # the list of totals is public to every signed-in organisation
    carmaker_a = actors.carmaker_a.membership.organisation
    assert _listed(client, brand="qilin") == {"Qilin BEV 2026", "Qilin ICE 2025"}
    assert _listed(client, carmaker=carmaker_a.pk, powertrain="BEV") == {"Qilin BEV 2026"}
    assert _listed(client, segment="B") == {"Feng BEV 2026"}
    assert _listed(client, model_year=2026, powertrain="BEV") == {"Qilin BEV 2026", "Feng BEV 2026"}
    assert _listed(client, q="Feng") == {"Feng BEV 2026"}


def test_the_form_offers_every_brand_and_carmaker_and_keeps_the_choice(client, actors, fleet):
    client.force_login(actors.carmaker_a)
    carmaker_b = actors.carmaker_b.membership.organisation
    html = client.get(reverse("accounting:vehicle-model-list"), {"carmaker": carmaker_b.pk}).content.decode()
    assert '<option value="Feng">Feng</option>' in html and '<option value="Qilin">Qilin</option>' in html
    assert f'<option value="{carmaker_b.pk}" selected>{carmaker_b.name}</option>' in html


def test_pages_of_fifty_keep_the_filters_in_their_links(client, actors):
    carmaker = actors.carmaker_a.membership.organisation
    VehicleModelFactory.create_batch(60, carmaker=carmaker, brand="Qilin")
    client.force_login(actors.carmaker_a)
    first = client.get(reverse("accounting:vehicle-model-list"), {"brand": "Qilin"})
    assert len(first.context["page"]) == 50 and first.context["page"].paginator.count == 60
    assert "?brand=Qilin&amp;page=2" in first.content.decode()
    second = client.get(reverse("accounting:vehicle-model-list"), {"brand": "Qilin", "page": 2})
    assert len(second.context["page"]) == 10
