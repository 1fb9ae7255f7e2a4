"""Every bad input on every import path gets a clear 4xx naming the field or row, and changes nothing.

The cases are data in tests/corpus/cases.py. Each goes through the HTTP layer as the role that may use the
path; the answer must have the case's exact status (never a 5xx), must name what the case says (a field,
a row, the file), and every table of the project's apps must be exactly as it was before the request.
"""

import hashlib
import json

import pytest
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    PlantFactory,
    ProductFactory,
    VehicleModelFactory,
)

from .cases import CASES, PATHS, World

# Every table of the project's apps; Django's own (sessions, auth) and DRF's tokens are not ours.
PROJECT_APPS = ("tenancy", "disclosures", "accounting", "webhooks", "pact")


def database_state() -> dict[str, str]:
    """A hash of every row of every project table, per table."""
    state = {}
    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            rows = list(model._default_manager.order_by("pk").values())
            digest = hashlib.sha256(json.dumps(rows, cls=DjangoJSONEncoder, default=str).encode())
            state[model._meta.db_table] = f"{len(rows)}:{digest.hexdigest()}"
    return state


@pytest.fixture
def world(actors, materials):
    supplier = actors.supplier_a.membership.organisation
    plant = PlantFactory(supplier=supplier, name="Tangshan works")
    product = ProductFactory(
        supplier=supplier, plant=plant, material=materials["steel.hot_rolled_coil"], name="HRC Q235B"
    )
    draft = DeclarationFactory(product=product, registration_number="EPD-DRAFT-1")
    vehicle_model = VehicleModelFactory(
        carmaker=actors.carmaker_a.membership.organisation, external_id="VM-1"
    )
    BomLineFactory(vehicle_model=vehicle_model, material=materials["steel.hot_dip_galvanized"])
    return World(
        product_id=product.pk,
        product_name=product.name,
        plant_id=plant.pk,
        draft_id=draft.pk,
        vehicle_model_id=vehicle_model.pk,
        vehicle_model_external_id=vehicle_model.external_id,
    )


def client_for(user, kind: str):
    if kind == "api":
        client = APIClient()
        client.force_authenticate(user)
    else:
        client = Client()
        client.force_login(user)
    return client


def answer_text(response) -> str:
    """What the answer tells the user: the JSON body, or the page with its form errors and messages."""
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    parts = [response.content.decode()]
    context = response.context or {}
    for name in ("form",):
        form = context.get(name)
        if form is not None:
            parts.append(json.dumps(form.errors.get_json_data(), ensure_ascii=False))
    parts.extend(str(message) for message in context.get("messages", []))
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(case, world, actors, monkeypatch):
    for target, value in case.patches:
        monkeypatch.setattr(target, value)
    role, kind = PATHS[case.path]
    client = client_for(getattr(actors, role), kind)
    request = case.build(world)
    before = database_state()
    kwargs = {"format": request.format} if request.format else {"content_type": request.content_type}
    if kind == "browser":
        kwargs = {"content_type": request.content_type} if request.content_type else {}
    response = getattr(client, request.method)(request.url, request.data, **kwargs)
    text = answer_text(response)
    assert response.status_code == case.status, (response.status_code, text[:2000])
    for name in case.names:
        assert name in text, (name, text[:3000])
    assert database_state() == before


def test_the_corpus_covers_every_import_path_with_at_least_60_cases():
    per_path = {path: sum(1 for case in CASES if case.path == path) for path in PATHS}
    print(f"\n{len(CASES)} bad-input cases: {per_path}")
    assert len(CASES) >= 60
    assert all(per_path.values()), per_path
    assert len({case.id for case in CASES}) == len(CASES)
