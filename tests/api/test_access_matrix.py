"""The access matrix of /api/v1/, generated from the URL configuration: every endpoint, every HTTP method its
view allows, against every kind of caller (both suppliers, both carmakers, an admin of carmaker A, an
auditor, a user of no organisation and anonymous), each answer pinned to one status code.

The scenario gives the "A" side (Supplier A, Carmaker A) an object for every URL parameter, each carrying a
secret marker; an answer to anyone the design does not let see an object must not contain its marker, in
JSON or in a CSV/XLSX export. Where the right answer for the owner is a write that succeeds, the request is
valid, so the refusals of everyone else are about who asks, not about the body; each actor's request runs in
a savepoint that is rolled back, so every actor meets the same scenario, and a refused write must have
changed nothing.

A new route, or a new method of a route, fails here until it has a way to fill its URL (KWARGS) and an
expectation for every actor (EXPECTED)."""

import base64
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting.bom_files import COLUMNS as BOM_COLUMNS
from accounting.bom_imports import bom_import
from accounting.models import BomLine, DefaultFactor, RollupRun, VehicleModel
from carbon_platform.tenancy.models import AuditEvent
from carbon_platform.tenancy.services import api_client_create
from disclosures.importers.tabular import template_csv, template_csv_of
from disclosures.models import Declaration, ImportBatch, Plant, Product
from disclosures.services import import_batch_create
from tests.api.lists import api_list_routes, api_routes, contribution, footprint
from tests.factories import (
    DeclarationFactory,
    DeliveryFactory,
    PlantFactory,
    ProductFactory,
    SubscriptionFactory,
    UserFactory,
    VehicleModelFactory,
)
from webhooks.models import Delivery, Subscription

# --- who asks ------------------------------------------------------------------------------------------

ADMIN_A = "carmaker_a_admin"  # a user of Carmaker A with Membership.role "admin"
ACTORS = (
    "supplier_a",
    "supplier_b",
    "carmaker_a",
    ADMIN_A,
    "carmaker_b",
    "auditor",
    "outsider",  # signed in, of no organisation
    "anonymous",
)
ORGANISATION_ACTORS = ("supplier_a", "supplier_b", "carmaker_a", ADMIN_A, "carmaker_b", "auditor")
GROUPS = {
    "suppliers": ("supplier_a", "supplier_b"),
    "carmakers": ("carmaker_a", ADMIN_A, "carmaker_b"),
    "owner_carmaker": ("carmaker_a", ADMIN_A),  # Carmaker A's member and its admin answer alike
}

# --- the secrets of the A side, and who may read each ----------------------------------------------------

DRAFT = "SECRET-DRAFT-A"  # registration number of Supplier A's draft
SUBMITTED = "SECRET-SUBMITTED-A"  # ... of its submitted declaration
APPROVED = "SECRET-APPROVED-A"  # ... of its approved one, used by Carmaker A's footprint
SUPPLIER_NAME = "Supplier A"  # supplier-level detail of Carmaker A's footprint
BOM = "SECRET-BOM-A"  # a component of Carmaker A's BOM
BOM_FILE = "SECRET-BOMFILE-A"  # name of the file Carmaker A imported that BOM from
PLANT = "SECRET-PLANT-A"
PRODUCT = "SECRET-PRODUCT-A"
IMPORT = "SECRET-IMPORT-A"  # file name of Supplier A's import batch
HOOK = "SECRET-HOOK-A"  # in the target URL and description of Carmaker A's webhook subscription
SIGNING_KEY = "SECRET-SIGNING-KEY-A-0123456789abcdef"
DELIVERY = "SECRET-DELIVERY-A"  # in the payload of a delivery to that subscription
HOOK_B = "SECRET-HOOK-B"  # Carmaker B's own subscription: the other way round

OWNER_CARMAKER = set(GROUPS["owner_carmaker"])
VISIBLE_TO = {
    DRAFT: {"supplier_a"},
    SUBMITTED: {"supplier_a", "auditor"},
    APPROVED: {"supplier_a", "auditor", *OWNER_CARMAKER},  # Carmaker A's BOM buys the product
    SUPPLIER_NAME: {"supplier_a", "auditor", *OWNER_CARMAKER},  # accounting.selectors.sees_supplier_detail
    BOM: {"auditor", *OWNER_CARMAKER},
    BOM_FILE: {"auditor", *OWNER_CARMAKER},
    PLANT: {"supplier_a"},
    PRODUCT: {"supplier_a", "auditor", *OWNER_CARMAKER},
    IMPORT: {"supplier_a"},
    HOOK: OWNER_CARMAKER,
    SIGNING_KEY: OWNER_CARMAKER,
    DELIVERY: OWNER_CARMAKER,
    HOOK_B: {"carmaker_b"},
}


def forbidden_markers(actor: str) -> list[str]:
    return [marker for marker, readers in VISIBLE_TO.items() if actor not in readers]


# --- the routes ------------------------------------------------------------------------------------------

IMPLICIT_METHODS = ("options", "head")  # answered by every view for whoever may GET it
_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")  # path('<int:id>') and re_path('(?P<pk>...)') alike


def allowed_methods(pattern) -> list[str]:
    """The methods a route answers: a viewset's `actions`, else the handlers its APIView defines."""
    actions = getattr(pattern.callback, "actions", None)
    if actions:  # DRF adds "head" to this very dict once the route has answered a GET
        return sorted(method.upper() for method in actions if method not in IMPLICIT_METHODS)
    view_class = getattr(pattern.callback, "view_class", None) or pattern.callback.cls
    return sorted(
        method.upper()
        for method in view_class.http_method_names
        if method not in IMPLICIT_METHODS and hasattr(view_class, method)
    )


def matrix_routes() -> tuple[dict[str, tuple[str, object]], list[str]]:
    """url name -> (route, pattern) of every /api/v1/ URL, and the names given to more than one route. A
    name seen again with the same route (each router's own API root) is the same endpoint, the first one
    being the one that resolves."""
    routes: dict[str, tuple[str, object]] = {}
    clashes = []
    for route, pattern in api_routes():
        if "<drf_format_suffix:format>" in route:  # the API root's suffix twin, which api_routes() keeps
            continue
        name = pattern.name or f"<unnamed {route}>"
        if name in routes and routes[name][0] != route:
            clashes.append(f"{name}: {routes[name][0]} and {route}")
        routes.setdefault(name, (route, pattern))
    return routes, clashes


def route_parameters(route: str) -> set[str]:
    return set(_PARAMETER.findall(route))


ROUTES, NAME_CLASHES = matrix_routes()


# --- the scenario ----------------------------------------------------------------------------------------


@dataclass
class Scenario:
    users: dict
    vehicle_model: object
    plant: object
    product: object
    draft: object
    submitted: object
    approved: object
    run: object
    bom_run: object
    batch: object
    subscription: object
    delivery: object
    subscription_b: object
    material: object
    default_factor: object


def declaration_import_csv(product) -> bytes:
    """Supplier A's declaration template with one valid row for `product` (by id, so the file itself names
    no secret)."""
    text = template_csv().decode("utf-8-sig")
    return (
        text.replace("Hot-rolled coil Q235B", str(product.pk))
        .replace("EPD-CN-2026-0001", "EPD-UPLOAD-1")
        .encode("utf-8-sig")
    )


@pytest.fixture
def scenario(actors, materials, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads of the scenario and of the requests go nowhere lasting
    coil = materials["steel.hot_rolled_coil"]
    supplier_a = actors.supplier_a.membership.organisation
    carmaker_a = actors.carmaker_a.membership.organisation
    admin = UserFactory(username=ADMIN_A, organisation=carmaker_a, organisation__role="admin")
    assert admin.membership.role == "admin"

    plant = PlantFactory(supplier=supplier_a, name=PLANT)
    product = ProductFactory(supplier=supplier_a, plant=plant, material=coil, name=PRODUCT)
    now = timezone.now()
    approved = DeclarationFactory(
        product=product,
        plant=plant,
        status="approved",
        registration_number=APPROVED,
        submitted_at=now - timedelta(days=3),
        decided_at=now - timedelta(days=2),
    )
    submitted = DeclarationFactory(
        product=product, status="submitted", registration_number=SUBMITTED, submitted_at=now
    )
    draft = DeclarationFactory(product=product, status="draft", registration_number=DRAFT)

    vehicle = VehicleModelFactory(carmaker=carmaker_a, brand="Qilin")
    imported = bom_import(
        actor=actors.carmaker_a,
        upload=bom_import_file(vehicle, product, component=f"{BOM} rail", name=f"{BOM_FILE}.csv"),
    )
    first = footprint(
        vehicle,
        revision=1,
        is_current=False,
        run=RollupRun.objects.get(pk=imported.rollup_run_id),
        total="210",
    )
    contribution(first, coil, supplier=supplier_a, kg="210", level=3)
    run = RollupRun.objects.create(
        trigger="declaration_approved", trigger_object=f"declaration:{approved.pk}"
    )
    current = footprint(vehicle, revision=2, run=run, total="190", by_supplier={str(supplier_a.pk): 190.0})
    contribution(current, coil, supplier=supplier_a, declaration=approved, kg="190")

    batch = import_batch_create(
        actor=actors.supplier_a,
        upload=SimpleUploadedFile(f"{IMPORT}.csv", declaration_import_csv(product)),
    )
    assert (batch.status, batch.rows_valid, batch.rows_invalid) == ("validated", 1, 0), batch.records

    subscription = SubscriptionFactory(
        organisation=carmaker_a,
        created_by=actors.carmaker_a,
        target_url=f"https://hooks.carmaker-a.example/{HOOK}",
        description=f"{HOOK} alerts",
        secret=SIGNING_KEY,
    )
    delivery = DeliveryFactory(
        subscription=subscription,
        status="failed",
        attempts=8,
        next_attempt_at=None,
        finished_at=now,
        payload={"type": "webhook.test", "data": {"message": DELIVERY}},
    )
    subscription_b = SubscriptionFactory(
        organisation=actors.carmaker_b.membership.organisation,
        created_by=actors.carmaker_b,
        target_url=f"https://hooks.carmaker-b.example/{HOOK_B}",
    )
    users = {name: getattr(actors, name) for name in ACTORS if hasattr(actors, name)}
    users[ADMIN_A] = admin
    users["anonymous"] = None
    return Scenario(
        users=users,
        vehicle_model=vehicle,
        plant=plant,
        product=product,
        draft=draft,
        submitted=submitted,
        approved=approved,
        run=run,
        bom_run=first.run,
        batch=batch,
        subscription=subscription,
        delivery=delivery,
        subscription_b=subscription_b,
        material=coil,
        default_factor=DefaultFactor.objects.filter(material=coil).order_by("id").first(),
    )


# --- filling each URL ------------------------------------------------------------------------------------

KWARGS = {
    "bom-template": lambda s: {"fmt": "csv"},
    "vehicle-model-detail": lambda s: {"pk": s.vehicle_model.pk},
    "vehicle-model-footprint": lambda s: {"pk": s.vehicle_model.pk},
    "vehicle-model-history": lambda s: {"id": s.vehicle_model.pk},
    "vehicle-model-contributions": lambda s: {"id": s.vehicle_model.pk},
    "vehicle-model-bom": lambda s: {"id": s.vehicle_model.pk},
    "rollup-run-detail": lambda s: {"pk": s.run.pk},
    "material-detail": lambda s: {"pk": s.material.pk},
    "default-factor-detail": lambda s: {"pk": s.default_factor.pk},
    "plant-detail": lambda s: {"pk": s.plant.pk},
    "product-detail": lambda s: {"pk": s.product.pk},
    "declaration-detail": lambda s: {"pk": s.draft.pk},
    "declaration-submit": lambda s: {"pk": s.draft.pk},
    "declaration-decide": lambda s: {"pk": s.submitted.pk},
    "declaration-new-version": lambda s: {"pk": s.approved.pk},
    "declaration-withdraw": lambda s: {"pk": s.approved.pk},
    "import-batch-detail": lambda s: {"pk": s.batch.pk},
    "import-batch-commit": lambda s: {"pk": s.batch.pk},
    "webhook-subscription-detail": lambda s: {"pk": s.subscription.pk},
    "webhook-subscription-secret": lambda s: {"pk": s.subscription.pk},
    "webhook-subscription-test": lambda s: {"pk": s.subscription.pk},
    "webhook-delivery-list": lambda s: {"subscription_id": s.subscription.pk},
    "webhook-delivery-detail": lambda s: {"subscription_id": s.subscription.pk, "pk": s.delivery.pk},
    "webhook-delivery-redeliver": lambda s: {"subscription_id": s.subscription.pk, "pk": s.delivery.pk},
}
# Further cells of a route on another object of the scenario: (url name, variant) -> its URL kwargs.
VARIANT_KWARGS = {
    ("declaration-detail", "submitted"): lambda s: {"pk": s.submitted.pk},
    ("declaration-detail", "approved"): lambda s: {"pk": s.approved.pk},
    ("declaration-decide", "draft"): lambda s: {"pk": s.draft.pk},
    ("rollup-run-detail", "BOM import run"): lambda s: {"pk": s.bom_run.pk},
    # Carmaker A's delivery asked for under Carmaker B's own subscription
    ("webhook-delivery-detail", "under B's subscription"): lambda s: {
        "subscription_id": s.subscription_b.pk,
        "pk": s.delivery.pk,
    },
    ("webhook-delivery-redeliver", "under B's subscription"): lambda s: {
        "subscription_id": s.subscription_b.pk,
        "pk": s.delivery.pk,
    },
}
EXPORT_FORMATS = ("csv", "xlsx")


def kwargs_for(name: str, scenario: Scenario, variant: str = "") -> dict:
    """The URL kwargs of a route, filled from the scenario's A-side objects."""
    route, _pattern = ROUTES[name]
    wanted = route_parameters(route)
    if not wanted:
        return {}
    maker = VARIANT_KWARGS.get((name, variant)) or KWARGS.get(name)
    if maker is None:
        pytest.fail(
            f"{name} ({route}) takes {sorted(wanted)}: add an A-side object for it to the scenario and to "
            "KWARGS in tests/api/test_access_matrix.py"
        )
    kwargs = maker(scenario)
    assert set(kwargs) == wanted, f"KWARGS[{name!r}] fills {sorted(kwargs)}, the route takes {sorted(wanted)}"
    return kwargs


def url_for(name: str, scenario: Scenario, variant: str = "") -> str:
    url = reverse(name, kwargs=kwargs_for(name, scenario, "" if variant.startswith("format=") else variant))
    return f"{url}?{variant}" if variant.startswith("format=") else url


# --- request bodies: valid for the owner, so the refusals of everyone else are about who asks -------------


def bom_import_file(
    vehicle_model, product, *, component="Imported rail", name="bom.csv"
) -> SimpleUploadedFile:
    """A BOM file of one line of the model, bought as the product."""
    header = [column.field for column in BOM_COLUMNS]
    row = {
        "vehicle_model_id": str(vehicle_model.pk),
        "component": component,
        "system": "chassis",
        "material": "steel.hot_rolled_coil",
        "mass_kg": "100",
        "supplier_product_id": str(product.pk),
    }
    data = template_csv_of(BOM_COLUMNS, [[row.get(field, "") for field in header]])
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _declaration_content(**extra) -> dict:
    return {
        "registration_number": "EPD-NEW-0001",
        "standard": "EN 15804+A2",
        "issue_date": (date.today() - timedelta(days=10)).isoformat(),
        "valid_until": (date.today() + timedelta(days=1000)).isoformat(),
        "declared_unit": "t",
        "declared_amount": "1",
        "gwp_a1_a3_kg_co2e": "2075.5",
        **extra,
    }


def _product(name: str, scenario: Scenario) -> dict:
    return {
        "name": name,
        "material": "steel.hot_rolled_coil",
        "route": "bf_bof",
        "plant": scenario.plant.pk,
        "declared_unit": "t",
    }


BODIES = {
    ("bom-import", "POST"): lambda s: ({"file": bom_import_file(s.vehicle_model, s.product)}, "multipart"),
    ("vehicle-model-bom", "PUT"): lambda s: (
        {
            "lines": [
                {
                    "component": "New rail",
                    "system": "chassis",
                    "material": "steel.hot_rolled_coil",
                    "mass_kg": "40",
                    "supplier_product": s.product.pk,
                }
            ]
        },
        "json",
    ),
    ("plant-list", "POST"): lambda s: ({"name": "New works", "province": "HE"}, "json"),
    ("plant-detail", "PUT"): lambda s: ({"name": "Renamed works", "province": "HE"}, "json"),
    ("plant-detail", "PATCH"): lambda s: ({"city": "Tangshan"}, "json"),
    ("product-list", "POST"): lambda s: (_product("New coil", s), "json"),
    ("product-detail", "PUT"): lambda s: (_product("Renamed coil", s), "json"),
    ("product-detail", "PATCH"): lambda s: ({"grade": "Q345B"}, "json"),
    ("declaration-list", "POST"): lambda s: (_declaration_content(product=s.product.pk), "json"),
    ("declaration-detail", "PUT"): lambda s: (_declaration_content(), "json"),
    ("declaration-detail", "PATCH"): lambda s: ({"programme_operator": "EPD China"}, "json"),
    ("declaration-decide", "POST"): lambda s: ({"decision": "approve"}, "json"),
    ("declaration-withdraw", "POST"): lambda s: ({"reason": "The plant closed."}, "json"),
    ("import-batch-list", "POST"): lambda s: (
        {"file": SimpleUploadedFile("upload.csv", declaration_import_csv(s.product))},
        "multipart",
    ),
    ("webhook-subscription-list", "POST"): lambda s: (
        {"target_url": "https://hooks.example.com/carbon", "event_types": ["footprint.changed"]},
        "json",
    ),
    ("webhook-subscription-detail", "PUT"): lambda s: (
        {"target_url": "https://hooks.example.com/changed", "event_types": ["declaration.approved"]},
        "json",
    ),
    ("webhook-subscription-detail", "PATCH"): lambda s: ({"threshold_pct": "2.5"}, "json"),
}


# --- what each actor gets --------------------------------------------------------------------------------


def row(default: int, *, anonymous: int = 401, outsider: int = 403, **overrides: int) -> dict[str, int]:
    """Every actor's status: `default` for every organisation, then the overrides in the order given (a
    group of GROUPS, then single actors). Anonymous callers are told to authenticate; a user of no
    organisation is refused."""
    statuses = dict.fromkeys(ORGANISATION_ACTORS, default)
    statuses.update(anonymous=anonymous, outsider=outsider)
    for key, status in overrides.items():
        for actor in GROUPS.get(key, (key,)):
            assert actor in statuses, f"unknown actor {actor}"
            statuses[actor] = status
    return statuses


PUBLIC = row(200)  # any signed-in organisation
OWNER_AND_AUDITORS = row(403, owner_carmaker=200, auditor=200, carmaker_b=404)  # OfOneVehicleModel
SUPPLIER_A_ONLY = row(403, supplier_a=200, supplier_b=404)  # carmakers and auditors are not suppliers
CARMAKER_A_ONLY = row(403, owner_carmaker=200, carmaker_b=404)  # webhooks: carmakers only

EXPECTED: dict[tuple, dict[str, int]] = {
    ("api-root", "GET"): row(200, outsider=200),
    ("bom-template", "GET"): row(200, outsider=200),
    # Carmaker B's file names Carmaker A's model: "your organisation has no vehicle model with the id"
    ("bom-import", "POST"): row(403, owner_carmaker=200, carmaker_b=400),
    ("vehicle-model-list", "GET"): PUBLIC,
    ("vehicle-model-detail", "GET"): PUBLIC,
    ("vehicle-model-footprint", "GET"): PUBLIC,
    ("vehicle-model-history", "GET"): PUBLIC,
    ("vehicle-model-contributions", "GET"): OWNER_AND_AUDITORS,
    ("vehicle-model-bom", "GET"): OWNER_AND_AUDITORS,
    ("vehicle-model-bom", "PUT"): row(403, owner_carmaker=200, carmaker_b=404),
    ("rollup-run-list", "GET"): PUBLIC,
    ("rollup-run-detail", "GET"): PUBLIC,
    ("rollup-run-detail", "GET", "BOM import run"): PUBLIC,
    ("material-list", "GET"): PUBLIC,
    ("material-detail", "GET"): PUBLIC,
    ("default-factor-list", "GET"): PUBLIC,
    ("default-factor-detail", "GET"): PUBLIC,
    ("plant-list", "GET"): row(403, suppliers=200),
    ("plant-list", "POST"): row(403, suppliers=201),
    ("plant-detail", "GET"): SUPPLIER_A_ONLY,
    ("plant-detail", "PUT"): SUPPLIER_A_ONLY,
    ("plant-detail", "PATCH"): SUPPLIER_A_ONLY,
    ("product-list", "GET"): row(403, suppliers=200),
    # the body names Supplier A's plant, which is no plant of Supplier B's
    ("product-list", "POST"): row(403, supplier_a=201, supplier_b=400),
    ("product-detail", "GET"): SUPPLIER_A_ONLY,
    ("product-detail", "PUT"): SUPPLIER_A_ONLY,
    ("product-detail", "PATCH"): SUPPLIER_A_ONLY,
    ("declaration-list", "GET"): PUBLIC,  # each sees its own share (disclosures.selectors)
    # the body names Supplier A's product, which is no product of Supplier B's
    ("declaration-list", "POST"): row(403, supplier_a=201, supplier_b=400),
    # the draft: nobody but its supplier knows it exists
    ("declaration-detail", "GET"): row(404, supplier_a=200),
    ("declaration-detail", "GET", "submitted"): row(404, supplier_a=200, auditor=200),
    ("declaration-detail", "GET", "approved"): row(404, supplier_a=200, auditor=200, owner_carmaker=200),
    ("declaration-detail", "PUT"): SUPPLIER_A_ONLY,
    ("declaration-detail", "PATCH"): SUPPLIER_A_ONLY,
    ("declaration-submit", "POST"): SUPPLIER_A_ONLY,
    ("declaration-decide", "POST"): row(403, auditor=200),
    ("declaration-decide", "POST", "draft"): row(403, auditor=404),  # auditors never see drafts
    ("declaration-new-version", "POST"): row(403, supplier_a=201, supplier_b=404),
    ("declaration-withdraw", "POST"): SUPPLIER_A_ONLY,
    ("import-batch-list", "GET"): row(403, suppliers=200),
    ("import-batch-list", "POST"): row(403, supplier_a=201, supplier_b=400),  # the file names a product of A
    ("import-batch-detail", "GET"): SUPPLIER_A_ONLY,
    ("import-batch-commit", "POST"): SUPPLIER_A_ONLY,
    ("webhook-subscription-list", "GET"): row(403, carmakers=200),
    ("webhook-subscription-list", "POST"): row(403, carmakers=201),
    ("webhook-subscription-detail", "GET"): CARMAKER_A_ONLY,
    ("webhook-subscription-detail", "PUT"): CARMAKER_A_ONLY,
    ("webhook-subscription-detail", "PATCH"): CARMAKER_A_ONLY,
    ("webhook-subscription-detail", "DELETE"): row(403, owner_carmaker=204, carmaker_b=404),
    ("webhook-subscription-secret", "GET"): CARMAKER_A_ONLY,
    ("webhook-subscription-test", "POST"): row(403, owner_carmaker=202, carmaker_b=404),
    ("webhook-delivery-list", "GET"): CARMAKER_A_ONLY,
    ("webhook-delivery-detail", "GET"): CARMAKER_A_ONLY,
    ("webhook-delivery-detail", "GET", "under B's subscription"): row(403, carmakers=404),
    ("webhook-delivery-redeliver", "POST"): row(403, owner_carmaker=201, carmaker_b=404),
    ("webhook-delivery-redeliver", "POST", "under B's subscription"): row(403, carmakers=404),
}

# Markers a 200 answer must contain for these actors (and Carmaker A's admin where Carmaker A is named):
# proof that the scenario puts the secrets where a leak would show them.
SHOWN: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("vehicle-model-footprint", ""): {"carmaker_a": (SUPPLIER_NAME,), "auditor": (SUPPLIER_NAME,)},
    ("vehicle-model-history", ""): {"carmaker_a": (APPROVED, SUPPLIER_NAME), "auditor": (APPROVED,)},
    ("vehicle-model-contributions", ""): {"carmaker_a": (SUPPLIER_NAME, APPROVED), "auditor": (APPROVED,)},
    ("vehicle-model-bom", ""): {"carmaker_a": (BOM, SUPPLIER_NAME), "auditor": (BOM,)},
    ("declaration-list", ""): {
        "supplier_a": (DRAFT, SUBMITTED, APPROVED),
        "auditor": (SUBMITTED, APPROVED),
        "carmaker_a": (APPROVED,),
    },
    ("declaration-detail", ""): {"supplier_a": (DRAFT,)},
    ("declaration-detail", "submitted"): {"auditor": (SUBMITTED,)},
    ("declaration-detail", "approved"): {"carmaker_a": (APPROVED,), "auditor": (APPROVED,)},
    ("plant-list", ""): {"supplier_a": (PLANT,)},
    ("plant-detail", ""): {"supplier_a": (PLANT,)},
    ("product-list", ""): {"supplier_a": (PRODUCT,)},
    ("product-detail", ""): {"supplier_a": (PRODUCT,)},
    ("import-batch-list", ""): {"supplier_a": (IMPORT,)},
    ("import-batch-detail", ""): {"supplier_a": (IMPORT,)},
    ("webhook-subscription-list", ""): {"carmaker_a": (HOOK,), "carmaker_b": (HOOK_B,)},
    ("webhook-subscription-detail", ""): {"carmaker_a": (HOOK,)},
    ("webhook-subscription-secret", ""): {"carmaker_a": (SIGNING_KEY,)},
    ("webhook-delivery-detail", ""): {"carmaker_a": (DELIVERY,)},
}


def shown(name: str, variant: str, actor: str) -> tuple[str, ...]:
    table = SHOWN.get((name, "" if variant.startswith("format=") else variant), {})
    return table.get("carmaker_a" if actor == ADMIN_A else actor, ())


# --- the cells -------------------------------------------------------------------------------------------


def _cells() -> list[tuple[str, str, str]]:
    """(url name, method, variant) for every method of every route, each extra variant in EXPECTED, and the
    CSV and XLSX export of every list."""
    cells = [
        (name, method, "")
        for name, (_route, pattern) in ROUTES.items()
        for method in allowed_methods(pattern)
    ]
    cells += [(key[0], key[1], key[2]) for key in EXPECTED if len(key) == 3]
    lists = set(api_list_routes())
    cells += [(name, "GET", f"format={fmt}") for name in ROUTES if name in lists for fmt in EXPORT_FORMATS]
    return cells


CELLS = _cells()


def expected_for(name: str, method: str, variant: str) -> dict[str, int]:
    key = (name, method, variant) if variant and not variant.startswith("format=") else (name, method)
    expected = EXPECTED.get(key)
    if expected is None:
        route, _pattern = ROUTES[name]
        pytest.fail(
            f"{method} {route} ({name}) has no expectations: add EXPECTED[{key!r}] = row(...) with the status "
            "every actor must get, read from its view, to tests/api/test_access_matrix.py"
        )
    missing = set(ACTORS) - set(expected)
    assert not missing, f"EXPECTED[{key!r}] names no status for {sorted(missing)}"
    return expected


def _client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def response_text(response) -> str:
    """The whole answer as text: JSON, a streamed CSV, or every cell of an XLSX workbook."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            "\t".join("" if cell is None else str(cell) for cell in values)
            for sheet in workbook.worksheets
            for values in sheet.iter_rows(values_only=True)
        )
    return response.content.decode("utf-8", errors="replace")


def state() -> tuple:
    """What a refused write must leave exactly as it was."""
    return (
        list(BomLine.objects.order_by("id").values_list("id", "component", "mass_kg", "supplier_product_id")),
        list(
            Declaration.objects.order_by("id").values_list(
                "id", "status", "registration_number", "updated_at"
            )
        ),
        list(Plant.objects.order_by("id").values_list("id", "name", "province", "city")),
        list(Product.objects.order_by("id").values_list("id", "name", "grade", "route", "plant_id")),
        list(VehicleModel.objects.order_by("id").values_list("id", "bom_updated_at")),
        list(ImportBatch.objects.order_by("id").values_list("id", "status")),
        list(Subscription.objects.order_by("id").values_list("id", "target_url", "is_active", "revoked_at")),
        list(Delivery.objects.order_by("id").values_list("id", "status")),
        RollupRun.objects.count(),
        AuditEvent.objects.count(),
    )


@dataclass
class Answer:
    status: int
    text: str
    content_type: str


def ask(scenario: Scenario, actor: str, name: str, method: str, variant: str, *, client=None) -> Answer:
    """One actor's request, in a savepoint rolled back afterwards: every actor meets the same scenario. A
    refused write (4xx) must have changed nothing, not even the audit trail."""
    url = url_for(name, scenario, variant)
    data, fmt = BODIES.get((name, method), lambda s: (None, None))(scenario)
    client = client or _client(scenario.users[actor])
    request = getattr(client, method.lower())
    with transaction.atomic():
        before = state() if method != "GET" else None
        try:
            response = request(url, data, format=fmt) if data is not None else request(url)
        except Exception as error:  # a 500: name the cell
            raise AssertionError(f"{method} {url} as {actor} raised {error!r}") from error
        text = response_text(response)
        if before is not None and 400 <= response.status_code < 500:
            assert state() == before, (
                f"{method} {url} as {actor} was refused ({response.status_code}) but wrote"
            )
        transaction.set_rollback(True)
    cache.clear()
    return Answer(response.status_code, text, response.get("Content-Type", ""))


def check_cell(scenario: Scenario, name: str, method: str, variant: str) -> None:
    expected = expected_for(name, method, variant)
    url = url_for(name, scenario, variant)
    failures = []
    for actor in ACTORS:
        answer = ask(scenario, actor, name, method, variant)
        if answer.status != expected[actor]:
            failures.append(
                f"{actor}: {method} {url} answered {answer.status}, expected {expected[actor]}: {answer.text[:300]}"
            )
            continue
        leaked = [marker for marker in forbidden_markers(actor) if marker in answer.text]
        if leaked:
            failures.append(f"{actor}: {method} {url} ({answer.status}) LEAKS {leaked}: {answer.text[:500]}")
        if answer.status == 200 and method == "GET":
            missing = [marker for marker in shown(name, variant, actor) if marker not in answer.text]
            if missing:
                failures.append(f"{actor}: {method} {url} should show {missing}: {answer.text[:300]}")
            if variant.startswith("format="):
                fmt = variant.removeprefix("format=")
                media = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats"
                if not answer.content_type.startswith(media):
                    failures.append(f"{actor}: {method} {url} answered {answer.content_type}, not {fmt}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("name", "method", "variant"), CELLS, ids=[" ".join(filter(None, c)) for c in CELLS])
def test_access_matrix(scenario, name, method, variant):
    check_cell(scenario, name, method, variant)


# --- the matrix itself -----------------------------------------------------------------------------------


def test_every_route_has_a_name_and_every_expectation_a_route():
    unnamed = [route for name, (route, _pattern) in ROUTES.items() if name.startswith("<unnamed")]
    assert not unnamed, f"name these routes so the matrix can reverse them: {unnamed}"
    assert not NAME_CLASHES, f"one name, several routes: the matrix reaches only the first: {NAME_CLASHES}"
    methods = {(name, method) for name, method, _variant in CELLS}
    stale = [key for key in EXPECTED if (key[0], key[1]) not in methods]
    assert not stale, f"EXPECTED names routes or methods that no longer exist: {stale}"
    stale_kwargs = [name for name in KWARGS if name not in ROUTES]
    assert not stale_kwargs, f"KWARGS names routes that no longer exist: {stale_kwargs}"


def test_a_method_a_route_does_not_list_answers_405(scenario):
    """The methods read from the URLconf are all there is: any other one is refused to a member that may
    use the route."""
    member = {
        **dict.fromkeys(ROUTES, "carmaker_a"),
        **{name: "supplier_a" for name in ROUTES if name.split("-")[0] in ("plant", "product", "import")},
        **{name: "supplier_a" for name in ROUTES if name.startswith("declaration-")},
    }
    failures = []
    for name, (_route, pattern) in ROUTES.items():
        url = url_for(name, scenario)
        client = _client(scenario.users[member[name]])
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - set(allowed_methods(pattern)):
            with transaction.atomic():
                status = getattr(client, method.lower())(url).status_code
                transaction.set_rollback(True)
            if status != 405:
                failures.append(f"{method} {url} as {member[name]}: {status}, expected 405")
    assert not failures, "\n".join(failures)


def api_client_token(organisation, *scopes: str) -> str:
    """An access token from /auth/token for a new API client of the organisation, as a machine client
    gets one: client credentials over HTTP Basic."""
    api_client, secret = api_client_create(organisation=organisation, name="ERP", scopes=scopes)
    credentials = base64.b64encode(f"{api_client.application.client_id}:{secret}".encode()).decode()
    response = Client().post(
        "/auth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_real_credentials_get_the_answers_of_the_matrix(scenario):
    """The matrix authenticates with force_authenticate; here whole rows of it with the credentials clients
    send: personal API tokens of the other organisations and an auditor, Carmaker B's API client (OAuth2
    client credentials, read and write) answering as Carmaker B, and a read-only API client of Carmaker A
    that reads as Carmaker A and may change nothing (403, nothing written)."""
    carmaker_a = scenario.users["carmaker_a"].membership.organisation
    carmaker_b = scenario.users["carmaker_b"].membership.organisation
    columns = [
        (actor, f"Token {Token.objects.create(user=scenario.users[actor]).key}", actor, False)
        for actor in ("supplier_b", "carmaker_b", "auditor")
    ]
    columns += [
        ("carmaker_b", f"Bearer {api_client_token(carmaker_b, 'read', 'write')}", "API client of B", False),
        ("carmaker_a", f"Bearer {api_client_token(carmaker_a, 'read')}", "read-only API client of A", True),
    ]
    failures = []
    for actor, authorization, label, read_only in columns:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=authorization)
        for name, method, variant in CELLS:
            answer = ask(scenario, actor, name, method, variant, client=client)
            expected = 403 if read_only and method != "GET" else expected_for(name, method, variant)[actor]
            leaked = [marker for marker in forbidden_markers(actor) if marker in answer.text]
            if answer.status != expected or leaked:
                failures.append(
                    f"{label}: {method} {name} {variant}: {answer.status}, expected {expected} {leaked}"
                )
    assert not failures, "\n".join(failures)


def test_the_matrix_covers_every_route_and_actor():
    """So the matrix cannot shrink silently: at least one cell per route and actor, and every list's exports."""
    cells = len(CELLS) * len(ACTORS)
    route_methods = sum(len(allowed_methods(pattern)) for _route, pattern in ROUTES.values())
    lists = len(set(api_list_routes()) & set(ROUTES))
    leak_checks = len(CELLS) * sum(1 for actor in ACTORS if forbidden_markers(actor))
    print(
        f"access matrix: {len(ROUTES)} routes, {route_methods} route x method, {len(CELLS)} cells (with "
        f"{lists} lists x {len(EXPORT_FORMATS)} exports) x {len(ACTORS)} actors = {cells} requests; "
        f"{leak_checks} answers checked for {len(VISIBLE_TO)} markers "
        f"({len(CELLS) * sum(len(forbidden_markers(actor)) for actor in ACTORS)} marker checks)"
    )
    assert {name for name, _method, _variant in CELLS} == set(ROUTES)
    assert cells >= len(ROUTES) * len(ACTORS)
    assert cells >= (route_methods + lists * len(EXPORT_FORMATS)) * len(ACTORS)
    assert {"supplier_a", "supplier_b", "carmaker_a", "carmaker_b", "auditor", ADMIN_A, "anonymous"} <= set(
        ACTORS
    )
    assert all(forbidden_markers(actor) for actor in ACTORS)  # every answer is checked for a leak
