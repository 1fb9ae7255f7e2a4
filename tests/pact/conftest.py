"""PACT fixtures: API clients and their tokens, a client speaking HTTPS to our host, a small world of
footprints and declarations, and the second host standing in for a requester."""

import base64
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounting import services as accounting_services
from pact import services
from pact.models import Partner
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    PlantFactory,
    ProductFactory,
    VehicleModelFactory,
)

from .requester import RequesterHost

HOST = "pact.carbon.test"


@pytest.fixture(autouse=True)
def pact_settings(settings):
    settings.PACT_URN_DOMAIN = "carbon.test"
    settings.PACT_REQUIRE_HTTPS = True
    settings.PACT_ALLOW_HTTP_PARTNERS = True  # the stand-in requester speaks plain http on 127.0.0.1
    settings.ALLOWED_HOSTS = [HOST, "testserver"]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class PactClient:
    """Django's test client on https://pact.carbon.test, with an optional bearer token."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self, headers):
        defaults = {"secure": True, "HTTP_HOST": HOST}
        if self.token:
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return defaults | headers

    def get(self, path, data=None, **headers):
        return self.client.get(path, data, **self._headers(headers))

    def get_url(self, url, **headers):
        """GET an absolute URL of our host, as a client follows a pagination link."""
        return self.client.get(url.removeprefix(f"https://{HOST}"), **self._headers(headers))

    def post(self, path, body, content_type, **headers):
        return self.client.post(path, body, content_type=content_type, **self._headers(headers))

    def post_event(self, event: dict, **headers):
        import json

        return self.post(
            "/2/events", json.dumps(event), "application/cloudevents+json; charset=UTF-8", **headers
        )


def obtain_token(client_id: str, secret: str) -> str:
    response = Client().post(
        "/auth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_HOST=HOST,
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@dataclass
class Credentials:
    client_id: str
    secret: str
    organisation: object

    def token(self) -> str:
        return obtain_token(self.client_id, self.secret)

    def client(self) -> PactClient:
        return PactClient(self.token())


@pytest.fixture
def credentials_of(db):
    """Register a PACT API client for an organisation (as `manage.py pact_client_create` does)."""

    def make(organisation) -> Credentials:
        api_client, secret = services.pact_client_create(
            organisation=organisation, name=f"{organisation} PACT"
        )
        return Credentials(api_client.application.client_id, secret, organisation)

    return make


def org(user):
    return user.membership.organisation


@pytest.fixture
def carmaker_a(actors, credentials_of):
    return credentials_of(org(actors.carmaker_a))


@pytest.fixture
def carmaker_b(actors, credentials_of):
    return credentials_of(org(actors.carmaker_b))


@pytest.fixture
def supplier_a(actors, credentials_of):
    return credentials_of(org(actors.supplier_a))


@pytest.fixture
def supplier_b(actors, credentials_of):
    return credentials_of(org(actors.supplier_b))


@pytest.fixture
def auditor(actors, credentials_of):
    return credentials_of(org(actors.auditor))


def recompute(*vehicles):
    run = accounting_services.rollup_run_create(trigger="full", model_ids=[v.id for v in vehicles])
    accounting_services.rollup_run_execute(run_id=run.id)


@dataclass
class World:
    supplier: object
    product: object
    declaration: object
    vehicle_a: object  # carmaker A's, with the supplier's hot-rolled coil in its BOM
    vehicle_b: object  # carmaker B's, defaults only


@pytest.fixture
def world(materials, actors) -> World:
    """Supplier A's hot-rolled coil (EPD: 2,100 kg CO2e per tonne, approved) in carmaker A's vehicle:
    400 kg of it (840 kg CO2e, primary), 100 kg of unlinked aluminium sheet (conservative 20.0: 2,000 kg
    CO2e) and 40 kg of glass (outside the boundary): 2,840 kg CO2e for a 1,800 kg vehicle.
    Carmaker B's vehicle: 200 kg unlinked hot-rolled coil (conservative 3.509: 701.8 kg CO2e), 1,500 kg."""
    supplier = org(actors.supplier_a)
    hrc = materials["steel.hot_rolled_coil"]
    product = ProductFactory(
        supplier=supplier,
        material=hrc,
        name="HRC 2.0 mm",
        grade="SPHC",
        plant=PlantFactory(supplier=supplier, name="Tangshan works", province="HE"),
    )
    declaration = DeclarationFactory(
        product=product,
        plant=product.plant,
        status="approved",
        decided_at=timezone.now() - timedelta(days=2),
        gwp_a1_a3_kg_co2e=Decimal("2100"),
        gwp_d_kg_co2e=Decimal("-150"),
        verifier="Verifier Ltd",
    )
    vehicle_a = VehicleModelFactory(
        carmaker=org(actors.carmaker_a),
        brand="Aurora",
        model_name="S5",
        variant="Long Range",
        external_id="AUR S5/LR",
    )
    BomLineFactory(vehicle_model=vehicle_a, material=hrc, supplier_product=product, mass_kg=Decimal("400"))
    BomLineFactory(vehicle_model=vehicle_a, material=materials["aluminium.sheet"], mass_kg=Decimal("100"))
    BomLineFactory(vehicle_model=vehicle_a, material=materials["other.glass"], mass_kg=Decimal("40"))
    vehicle_b = VehicleModelFactory(carmaker=org(actors.carmaker_b), curb_mass_kg=Decimal("1500.0"))
    BomLineFactory(vehicle_model=vehicle_b, material=hrc, mass_kg=Decimal("200"))
    recompute(vehicle_a, vehicle_b)
    return World(supplier, product, declaration, vehicle_a, vehicle_b)


@pytest.fixture
def requester():
    host = RequesterHost().start()
    yield host
    host.stop()


@pytest.fixture
def partner_b(requester, actors):
    """Carmaker B's own PACT host, registered by the operator with the credentials it issued to us."""
    return Partner.objects.create(
        organisation=org(actors.carmaker_b),
        name="Carmaker B PACT host",
        base_url=requester.base_url,
        client_id=requester.client_id,
        client_secret=requester.client_secret,
    )
