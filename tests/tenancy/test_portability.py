"""Per-organisation export and import: an organisation's data, built through the services, exported from the
test database and imported into a second, empty database (a migrated SQLite file, through manage.py in a
subprocess), loses nothing: the counts of every kind of row match the source database, and exporting the
imported database again gives the same rows, field by field."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from accounting.models import BomLine, Contribution, Footprint, VehicleModel
from carbon_platform.tenancy.models import ApiClient, AuditEvent, Membership
from carbon_platform.tenancy.services import api_client_create
from disclosures.importers.tabular import template_csv
from disclosures.models import Declaration, Finding, ImportBatch, Plant, Product, Review
from disclosures.services import declaration_create, declaration_decide, declaration_submit
from disclosures.services.imports import import_batch_create
from tests.factories import BomLineFactory, PlantFactory, ProductFactory, VehicleModelFactory
from webhooks.models import Delivery, Subscription
from webhooks.services import subscription_create

ROOT = Path(settings.BASE_DIR)


def manage(database: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "carbon_platform.test_settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def empty_database(tmp_path_factory) -> Path:
    """A migrated SQLite database with no rows, made once; each import gets a copy."""
    path = tmp_path_factory.mktemp("portability") / "empty.sqlite3"
    result = manage(path, "migrate", "--no-input")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def organisations(actors, materials, admin_a, settings, tmp_path, django_capture_on_commit_callbacks):
    """Supplier A's plant, products, a declaration approved by the auditor (with its review and findings), a
    draft, an import batch; Carmaker A's models whose BOMs buy the approved product, rolled up by the
    approval; its API client and webhook subscription. Every write goes through the services, so the audit
    trail has the events a real organisation has."""
    settings.MEDIA_ROOT = tmp_path
    supplier = actors.supplier_a.membership.organisation
    carmaker = actors.carmaker_a.membership.organisation
    coil = materials["steel.hot_rolled_coil"]
    plant = PlantFactory(supplier=supplier)
    product = ProductFactory(supplier=supplier, plant=plant, material=coil)
    other = ProductFactory(supplier=supplier, plant=plant, material=materials["aluminium.sheet"])
    vehicles = [VehicleModelFactory(carmaker=carmaker) for _ in range(3)]
    for vehicle in vehicles:
        BomLineFactory(
            vehicle_model=vehicle, material=coil, mass_kg=Decimal("310.5"), supplier_product=product
        )
        BomLineFactory(vehicle_model=vehicle, material=materials["aluminium.sheet"], mass_kg=Decimal("42"))
    content = {
        "registration_number": "EPD-PORT-0001",
        "standard": "EN 15804+A2",
        "issue_date": date.today() - timedelta(days=10),
        "valid_until": date.today() + timedelta(days=1000),
        "declared_unit": "t",
        "declared_amount": Decimal("1"),
        "gwp_a1_a3_kg_co2e": Decimal("2075.5"),
    }
    declaration = declaration_create(actor=actors.supplier_a, product=product, data=content)
    declaration_submit(actor=actors.supplier_a, declaration=declaration)
    with django_capture_on_commit_callbacks(execute=True):  # the recompute the approval sends
        declaration_decide(actor=actors.auditor, declaration=declaration, decision="approve")
    declaration_create(
        actor=actors.supplier_a, product=other, data={**content, "registration_number": "EPD-PORT-0002"}
    )
    csv = template_csv().decode("utf-8-sig").replace("Hot-rolled coil Q235B", str(product.pk))
    import_batch_create(
        actor=actors.supplier_a, upload=SimpleUploadedFile("epds.csv", csv.encode("utf-8-sig"))
    )
    api_client_create(organisation=carmaker, name="ERP", scopes=["read", "write"], actor=admin_a)
    subscription_create(
        actor=actors.carmaker_a,
        data={"target_url": "https://hooks.carmaker-a.example/carbon", "event_types": ["footprint.changed"]},
    )
    assert Footprint.objects.filter(vehicle_model__carmaker=carmaker).count() == 3
    return supplier, carmaker


def own_counts(organisation) -> dict[str, int]:
    """What the source database holds of the organisation, counted without the export's code."""
    counts = {
        "tenancy.organisation": 1,
        "tenancy.membership": Membership.objects.filter(organisation=organisation).count(),
        "tenancy.apiclient": ApiClient.objects.filter(organisation=organisation).count(),
        "disclosures.plant": Plant.objects.filter(supplier=organisation).count(),
        "disclosures.importbatch": ImportBatch.objects.filter(organisation=organisation).count(),
        "disclosures.review": Review.objects.filter(declaration__product__supplier=organisation).count(),
        "disclosures.finding": Finding.objects.filter(declaration__product__supplier=organisation).count(),
        "webhooks.subscription": Subscription.objects.filter(organisation=organisation).count(),
        "webhooks.delivery": Delivery.objects.filter(subscription__organisation=organisation).count(),
        "accounting.vehiclemodel": VehicleModel.objects.filter(carmaker=organisation).count(),
        "accounting.bomline": BomLine.objects.filter(vehicle_model__carmaker=organisation).count(),
        "accounting.footprint": Footprint.objects.filter(vehicle_model__carmaker=organisation).count(),
        "accounting.contribution": Contribution.objects.filter(
            footprint__vehicle_model__carmaker=organisation
        ).count(),
    }
    if organisation.kind == "supplier":
        counts["disclosures.declaration"] = Declaration.objects.filter(product__supplier=organisation).count()
        counts["disclosures.product"] = Product.objects.filter(supplier=organisation).count()
    return counts


def rows_by_model(document: dict) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for row in document["objects"]:
        rows.setdefault(row["model"], {})[row["pk"]] = row["fields"]
    return rows


@pytest.mark.parametrize("which", ["supplier", "carmaker"])
def test_an_organisation_exported_and_imported_into_an_empty_database_loses_nothing(
    organisations, empty_database, tmp_path, which, capsys
):
    organisation = organisations[0] if which == "supplier" else organisations[1]
    exported = tmp_path / "export.json"
    call_command("organisation_export", organisation.uscc, "--output", str(exported))
    document = json.loads(exported.read_text())
    rows = rows_by_model(document)

    for label, count in own_counts(organisation).items():
        assert len(rows.get(label, {})) >= count, label  # references of the other side may add rows
        if count:
            assert label in document["counts"], label
    own_events = AuditEvent.objects.filter(organisation=organisation)
    assert own_events.exists()
    assert set(own_events.values_list("pk", flat=True)) <= set(rows["tenancy.auditevent"])
    # secrets stay behind
    assert all(fields["secret"] == "" for fields in rows.get("webhooks.subscription", {}).values())
    assert all(
        fields["client_secret"] == "" for fields in rows.get("oauth2_provider.application", {}).values()
    )
    assert "authtoken.token" not in rows and "oauth2_provider.accesstoken" not in rows

    target = tmp_path / "imported.sqlite3"
    shutil.copy(empty_database, target)
    result = manage(target, "organisation_import", str(exported))
    assert result.returncode == 0, result.stderr
    assert f"Imported {len(document['objects'])} rows" in result.stdout
    assert f"Audit events: {len(rows['tenancy.auditevent'])}, each matching its hash" in result.stdout

    again = tmp_path / "again.json"
    result = manage(target, "organisation_export", organisation.uscc, "--output", str(again))
    assert result.returncode == 0, result.stderr
    reimported = json.loads(again.read_text())
    assert reimported["counts"] == document["counts"]
    assert rows_by_model(reimported) == rows  # every row, every field

    # the import refuses a database that is not empty
    result = manage(target, "organisation_import", str(exported))
    assert result.returncode != 0
    assert "empty database" in result.stderr


def test_the_import_refuses_a_file_whose_audit_events_were_altered(organisations, empty_database, tmp_path):
    supplier, _carmaker = organisations
    exported = tmp_path / "export.json"
    call_command("organisation_export", str(supplier.pk), "--output", str(exported))
    document = json.loads(exported.read_text())
    event = next(row for row in document["objects"] if row["model"] == "tenancy.auditevent")
    event["fields"]["after"] = {"forged": True}
    exported.write_text(json.dumps(document))
    target = tmp_path / "imported.sqlite3"
    shutil.copy(empty_database, target)
    result = manage(target, "organisation_import", str(exported))
    assert result.returncode != 0
    assert f"Audit event {event['pk']} of the file does not match its hash" in result.stderr


def test_export_names_an_unknown_organisation(db):
    with pytest.raises(CommandError, match="No organisation matches"):
        call_command("organisation_export", "nobody")
