"""openEPD and ILCD+EPD uploads end to end through the import service: the uploader picks the product, the
preview shows what was read, commit stores the drafts with their raw document; and every file of the
document bad-input corpus is refused with a message while the database stays as it was."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openepd.model.examples.industry_epd import EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.models import AuditEvent
from disclosures import services
from disclosures.models import Declaration, Finding
from tests.disclosures.test_import_ilcd import (
    AREA,
    ENVIRONDEC,
    ENVIRONDEC_FLOW,
    FLOW,
    MASS,
    PROCESS,
    flow_xml,
    process_xml,
    zip_of,
)
from tests.factories import ProductFactory

BAD = Path(__file__).parent / "files" / "bad"


@pytest.fixture
def product(actors, materials):
    return ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_dip_galvanized"],
        route="bf_bof",
        name="HDG DX51D+Z",
    )


def _state():
    return Declaration.objects.count(), Finding.objects.count(), AuditEvent.objects.count()


def test_openepd_example_from_the_package_imports_as_a_draft_of_the_chosen_product(actors, product):
    data = json.dumps(EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS).encode()
    batch = services.import_batch_create(
        actor=actors.supplier_a, upload=SimpleUploadedFile("industry.json", data), product=product
    )
    assert (batch.source_format, batch.status, batch.rows_valid) == ("openepd", "validated", 1), batch.records
    record = batch.records[0]
    # CML 2012 A1A2A3 = 2.1 kg CO2e per 1 kg declared: 2.1 kg CO2e per kg, inside BF-BOF 1.2-4.0.
    assert record["fields"]["gwp_a1_a3_kg_co2e"] == "2.1"
    assert record["info"]["lcia_method"] == "CML 2012"
    (declaration,) = services.import_batch_commit(actor=actors.supplier_a, batch=batch)
    declaration.refresh_from_db()
    assert (declaration.product, declaration.status, declaration.source_format) == (
        product,
        "draft",
        "openepd",
    )
    assert declaration.gwp_a1_a3_kg_co2e == Decimal("2.1") and declaration.declared_unit == "kg"
    assert json.loads(declaration.source_document) == EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS


def test_openepd_and_ilcd_need_a_product_of_ones_own(actors, product):
    data = json.dumps(EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS).encode()
    with pytest.raises(ApplicationError, match="Choose the product this document declares."):
        services.import_batch_create(actor=actors.supplier_a, upload=SimpleUploadedFile("x.json", data))
    with pytest.raises(ApplicationError, match="The product must be one of your own."):
        services.import_batch_create(
            actor=actors.supplier_b, upload=SimpleUploadedFile("x.json", data), product=product
        )


def test_the_real_ilcd_dataset_with_its_flow_imports_per_square_metre(actors, product):
    flow = flow_xml(ENVIRONDEC_FLOW, properties=[(0, AREA, "Area", "1.0"), (1, MASS, "Mass", "9.2")])
    data = zip_of(
        [
            ("ILCD/processes/daa1778e-be8f-4d2f-b1b3-c32ca2f0e90d.xml", ENVIRONDEC.read_bytes()),
            (f"ILCD/flows/{ENVIRONDEC_FLOW}_00.00.002.xml", flow),
        ]
    )
    batch = services.import_batch_create(
        actor=actors.supplier_a, upload=SimpleUploadedFile("knauf.zip", data), product=product
    )
    (record,) = batch.records
    # Read right: 2.79 kg CO2e per m2 of 9.2 kg -> 0.3033 kg CO2e per kg, EN 15804+A1, C4 0.0497...
    assert (
        record["fields"]["declared_unit"] == "m2" and record["fields"]["mass_kg_per_declared_unit"] == "9.2"
    )
    assert record["fields"]["gwp_a1_a3_kg_co2e"] == "2.79" and record["fields"]["gwp_c4_kg_co2e"] == "0.0497"
    assert record["fields"]["standard"] == "EN 15804+A1"
    # ...but this real EPD's validity ended on 2025-04-22, and an expired EPD cannot become a draft.
    assert record["errors"] == [{"field": "valid_until", "message": "The declaration expired on 2025-04-22."}]
    with pytest.raises(ApplicationError, match="1 rows have errors"):
        services.import_batch_commit(actor=actors.supplier_a, batch=batch)


def test_an_a2_dataset_zip_commits_every_module(actors, product):
    data = zip_of([(f"ILCD/processes/{PROCESS}.xml", process_xml()), (f"ILCD/flows/{FLOW}.xml", flow_xml())])
    batch = services.import_batch_create(
        actor=actors.supplier_a, upload=SimpleUploadedFile("a2.zip", data), product=product
    )
    assert batch.rows_invalid == 0, batch.records
    (declaration,) = services.import_batch_commit(actor=actors.supplier_a, batch=batch)
    assert declaration.standard == "EN 15804+A2"


@pytest.mark.parametrize("name", sorted(path.name for path in BAD.iterdir() if path.name != "README.md"))
def test_every_bad_document_is_refused_and_changes_nothing(actors, product, name):
    before = _state()
    batch = services.import_batch_create(
        actor=actors.supplier_a, upload=SimpleUploadedFile(name, (BAD / name).read_bytes()), product=product
    )
    if batch.status == "failed":
        assert batch.error.strip()
    else:
        assert batch.rows_invalid >= 1, batch.records
        messages = [error["message"] for record in batch.records for error in record["errors"]]
        assert all(message.strip() for message in messages)
        with pytest.raises(ApplicationError, match="rows have errors"):
            services.import_batch_commit(actor=actors.supplier_a, batch=batch)
    assert _state() == before
