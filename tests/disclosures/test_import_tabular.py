"""CSV and XLSX import: template round trip, a preview naming each bad row and column, all-or-nothing commit."""

import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.models import AuditEvent
from carbon_platform.tenancy.services import audit_chain_verify
from disclosures import services
from disclosures.importers.tabular import COLUMNS, template_csv, template_xlsx
from disclosures.models import Declaration, Finding, ImportBatch
from tests.factories import PlantFactory, ProductFactory

HEADERS = [column.header for column in COLUMNS]


@pytest.fixture
def product(actors, materials):
    supplier = actors.supplier_a.membership.organisation
    return ProductFactory(
        supplier=supplier,
        material=materials["steel.hot_rolled_coil"],
        route="bf_bof",
        name="HRC Q235B",
        plant=PlantFactory(supplier=supplier),
    )


def _row(**overrides):
    row = {
        "product": "HRC Q235B",
        "registration_number": "EPD-IMP-1",
        "issue_date": "2026-03-01",
        "valid_until": "2031-02-28",
        "declared_unit": "t",
        "declared_amount": "1",
        "gwp_a1_a3_kg_co2e": "2050.5",
        "gwp_d_kg_co2e": "-310",
    }
    row.update(overrides)
    return row


def _csv(rows, headers="both", encoding="utf-8-sig") -> bytes:
    label = {
        "both": lambda c: c.header,
        "en": lambda c: c.en,
        "zh": lambda c: c.zh,
        "field": lambda c: c.field,
    }[headers]
    frame = pd.DataFrame([{label(c): row.get(c.field, "") for c in COLUMNS} for row in rows])
    return frame.to_csv(index=False).encode(encoding)


def _upload(actor, data: bytes, name="declarations.csv", product=None):
    return services.import_batch_create(actor=actor, upload=SimpleUploadedFile(name, data), product=product)


def test_the_downloadable_template_has_english_and_chinese_headers():
    frame = pd.read_csv(io.BytesIO(template_csv()), dtype=str, encoding="utf-8-sig")
    assert list(frame.columns) == HEADERS
    assert "GWP A1-A3 (kg CO2e per declared unit) / A1-A3全球变暖潜势（千克二氧化碳当量/声明单位）" in HEADERS
    workbook = pd.read_excel(io.BytesIO(template_xlsx()), dtype=str)
    assert list(workbook.columns) == HEADERS


def test_a_good_file_previews_then_commits_drafts_with_audit_and_findings(actors, product):
    batch = _upload(
        actors.supplier_a, _csv([_row(), _row(registration_number="EPD-IMP-2", gwp_a1_a3_kg_co2e="9000")])
    )
    assert (batch.status, batch.rows_total, batch.rows_valid, batch.rows_invalid) == ("validated", 2, 2, 0)
    assert batch.records[0]["fields"]["gwp_a1_a3_kg_co2e"] == "2050.5"
    assert [f["code"] for f in batch.records[1]["findings"]] == [
        "gwp.a1_a3_out_of_range",
        "standard.assumed",
    ]  # 9.0 kg/kg > 4.0
    assert Declaration.objects.count() == 0  # a preview saves nothing

    created = services.import_batch_commit(actor=actors.supplier_a, batch=batch)
    first = Declaration.objects.get(registration_number="EPD-IMP-1")
    assert len(created) == 2
    assert (first.status, first.product, first.plant, first.source_format) == (
        "draft",
        product,
        product.plant,
        "csv",
    )
    assert first.gwp_a1_a3_kg_co2e == Decimal("2050.5") and first.gwp_d_kg_co2e == Decimal("-310")
    assert (first.issue_date, first.valid_until) == (date(2026, 3, 1), date(2031, 2, 28))
    assert Finding.objects.filter(
        declaration__registration_number="EPD-IMP-2", code="gwp.a1_a3_out_of_range"
    ).exists()
    assert AuditEvent.objects.filter(action="created", object_type="disclosures.Declaration").count() == 2
    assert audit_chain_verify().intact
    batch.refresh_from_db()
    assert (batch.status, batch.declarations_created) == ("committed", 2)
    with pytest.raises(ApplicationError, match="this one is Committed"):
        services.import_batch_commit(actor=actors.supplier_a, batch=batch)


def test_one_bad_row_is_named_and_nothing_is_saved(actors, product):
    rows = [
        _row(),
        _row(registration_number="EPD-IMP-2", gwp_a1_a3_kg_co2e="-5", declared_unit="lb"),
        _row(registration_number="EPD-IMP-3"),
    ]
    batch = _upload(actors.supplier_a, _csv(rows))
    assert (batch.rows_valid, batch.rows_invalid) == (2, 1)
    bad = batch.records[1]
    assert bad["location"] == "row 3"
    assert {(e["field"], e["message"]) for e in bad["errors"]} == {
        ("gwp_a1_a3_kg_co2e", "'-5' cannot be negative."),
        ("declared_unit", "'lb' is not a declared unit this platform knows; use one of: kg, t, m2, piece."),
    }
    with pytest.raises(ApplicationError, match="1 rows have errors"):
        services.import_batch_commit(actor=actors.supplier_a, batch=batch)
    assert Declaration.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("headers", ["en", "zh", "field"])
def test_english_or_chinese_headers_alone_are_read(actors, product, headers):
    batch = _upload(actors.supplier_a, _csv([_row()], headers=headers))
    assert batch.rows_valid == 1, batch.records


def test_gb18030_csv_from_chinese_excel_is_read(actors, product):
    batch = _upload(
        actors.supplier_a, _csv([_row(verifier="中国质量认证中心")], headers="zh", encoding="gb18030")
    )
    assert batch.rows_valid == 1
    assert batch.records[0]["fields"]["verifier"] == "中国质量认证中心"


def test_xlsx_with_real_dates_and_numbers(actors, product):
    frame = pd.DataFrame(
        [
            {c.header: None for c in COLUMNS}
            | {
                COLUMNS[0].header: "HRC Q235B",
                COLUMNS[1].header: "EPD-X-1",
                COLUMNS[6].header: pd.Timestamp("2026-03-01"),
                COLUMNS[7].header: pd.Timestamp("2031-02-28"),
                COLUMNS[8].header: "t",
                COLUMNS[11].header: 2050.5,
            }
        ]
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    batch = _upload(actors.supplier_a, buffer.getvalue(), name="declarations.xlsx")
    assert batch.source_format == "xlsx"
    assert batch.rows_valid == 1, batch.records
    assert batch.records[0]["fields"]["issue_date"] == "2026-03-01"
    assert batch.records[0]["fields"]["gwp_a1_a3_kg_co2e"] == "2050.5"


def test_products_resolve_by_id_or_name_and_only_ones_own(actors, product, materials):
    other = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=product.material)
    rows = [
        _row(product=str(product.id)),
        _row(product=str(other.id), registration_number="EPD-IMP-2"),
        _row(product="No such product", registration_number="EPD-IMP-3"),
        _row(product="", registration_number="EPD-IMP-4"),
    ]
    batch = _upload(actors.supplier_a, _csv(rows))
    messages = [[e["message"] for e in record["errors"]] for record in batch.records]
    assert messages == [
        [],
        [f"No product of yours has id {other.id}."],
        ["No product of yours is named 'No such product'."],
        ["Product (id or name) is required."],
    ]


def test_a_registration_number_twice_in_one_file_is_an_error(actors, product):
    batch = _upload(actors.supplier_a, _csv([_row(), _row()]))
    assert batch.rows_invalid == 2
    assert batch.records[0]["errors"] == [
        {
            "field": "registration_number",
            "message": "Registration number EPD-IMP-1 appears 2 times in this file.",
        }
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (
            b"Produkt,Nummer\nA,1\n",
            "Unknown column 'Produkt' (column 1). Use the template's headers.",
        ),
        (
            b"Product (id or name),Registration number\nA,1\n",
            "Required columns are missing: Issue date (YYYY-MM-DD)",
        ),
        (b"\x00\x01\x02binary", "This is not a CSV text file"),
        (
            pd.DataFrame(columns=HEADERS).to_csv(index=False).encode(),
            "The file has a header but no data rows.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_fails_with_a_message(actors, product, data, message):
    batch = _upload(actors.supplier_a, data)
    assert batch.status == "failed"
    assert message in batch.error
    assert batch.rows_total == 0


def test_wrong_suffix_and_wrong_role_are_refused(actors, product):
    with pytest.raises(ApplicationError, match="upload a .csv, .xlsx"):
        _upload(actors.supplier_a, b"x", name="declarations.pdf")
    with pytest.raises(ApplicationError, match="Only suppliers import"):
        _upload(actors.carmaker_a, _csv([_row()]))
    assert ImportBatch.objects.count() == 0


def test_a_large_file_is_validated_by_the_background_task(
    actors, product, django_capture_on_commit_callbacks
):
    rows = [_row(registration_number=f"EPD-BIG-{n:05d}") for n in range(8000)]
    data = _csv(rows)
    assert len(data) > services.imports.INLINE_VALIDATION_BYTES
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = _upload(actors.supplier_a, data)
        assert batch.status == "uploaded"
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.progress_pct, batch.rows_valid) == ("validated", 100, 8000)
