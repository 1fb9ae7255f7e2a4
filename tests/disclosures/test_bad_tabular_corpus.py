"""Bad-input corpus for CSV/XLSX imports and EPD PDFs: every file gets a clear message naming the row or
field, and the database is left exactly as it was. The files are in tests/disclosures/files/bad_tabular/;
the large ones are generated here at run time so nothing big is committed."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.models import AuditEvent
from disclosures import services
from disclosures.importers import MAX_UPLOAD_BYTES
from disclosures.models import Declaration, Finding
from tests.factories import ProductFactory

CORPUS = Path(__file__).parent / "files" / "bad_tabular"

# file -> (where, field, message): where is "file" for a file-level failure, else the row.
EXPECTED = {
    "empty.csv": ("file", None, "The file is empty."),
    "header_only.csv": ("file", None, "The file has a header but no data rows."),
    "binary.csv": (
        "file",
        None,
        "This is not a CSV text file (it contains binary data). Upload CSV or XLSX.",
    ),
    "corrupt.xlsx": ("file", None, "The XLSX workbook cannot be read: File is not a zip file"),
    "zip_not_workbook.xlsx": ("file", None, "This zip file is not an XLSX workbook."),
    "wrong_headers.csv": (
        "file",
        None,
        "row 1: Unknown column 'Produkt' (column 1). Use the template's headers.",
    ),
    "missing_required_columns.csv": (
        "file",
        None,
        "row 1: Required columns are missing: Issue date (YYYY-MM-DD)",
    ),
    "duplicate_column.csv": (
        "file",
        None,
        "row 1: Column 'Registration number / 注册号' (column 22) repeats column 2.",
    ),
    "ragged_row.csv": ("file", None, "row 2: A row has more cells than the header"),
    "non_numeric_gwp.csv": ("row 3", "gwp_a1_a3_kg_co2e", "'about 2000' is not a number."),
    "negative_gwp.csv": ("row 2", "gwp_a1_a3_kg_co2e", "'-2100' cannot be negative."),
    "missing_gwp.csv": ("row 2", "gwp_a1_a3_kg_co2e", "GWP A1-A3 (kg CO2e per declared unit) is required."),
    "gwp_too_many_digits.csv": (
        "row 2",
        "gwp_a1_a3_kg_co2e",
        "Ensure that there are no more than 16 digits in total.",
    ),
    "unknown_unit.csv": (
        "row 2",
        "declared_unit",
        "'lb' is not a declared unit this platform knows; use one of: kg, t, m2, piece.",
    ),
    "unknown_unit_tonnes.csv": (
        "row 2",
        "declared_unit",
        "'tonnes' is not a declared unit this platform knows",
    ),
    "unknown_product.csv": ("row 2", "product", "No product of yours is named 'Rebar HRB400'."),
    "unknown_standard.csv": ("row 2", "standard", "'ISO 9001' is not a supported standard"),
    "bad_date.csv": ("row 2", "issue_date", "'2026-02-30' is not a date; write it as YYYY-MM-DD."),
    "date_in_words.csv": ("row 2", "valid_until", "'next year' is not a date; write it as YYYY-MM-DD."),
    "valid_until_before_issue.csv": ("row 2", "valid_until", "Valid-until must be after the issue date."),
    "expired.csv": ("row 2", "valid_until", "The declaration expired on 2024-01-01."),
    "percent_over_100.csv": ("row 2", "recycled_content_pct", "'140' must be a percentage from 0 to 100."),
    "zero_declared_amount.csv": ("row 2", "declared_amount", "'0' must be greater than zero."),
    "non_mass_unit_without_mass.csv": (
        "row 2",
        "mass_kg_per_declared_unit",
        "A declared unit that is not a mass needs the mass per declared unit in kg.",
    ),
    "mass_inconsistent_with_tonne.csv": (
        "row 2",
        "mass_kg_per_declared_unit",
        "One t is 1000 kg, but the mass per declared unit says 1 kg.",
    ),
    "registration_twice.csv": (
        "row 2",
        "registration_number",
        "Registration number EPD-BAD-1 appears 2 times in this file.",
    ),
    "registration_too_long.csv": (
        "row 2",
        "registration_number",
        "Ensure this value has at most 100 characters",
    ),
}


@pytest.fixture
def supplier(actors, materials):
    ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        name="HRC Q235B",
    )
    return actors.supplier_a


def _state():
    return Declaration.objects.count(), Finding.objects.count(), AuditEvent.objects.count()


def test_every_corpus_file_has_an_expectation():
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gets_a_clear_message_and_changes_nothing(supplier, name):
    where, field, message = EXPECTED[name]
    before = _state()
    batch = services.import_batch_create(
        actor=supplier, upload=SimpleUploadedFile(name, (CORPUS / name).read_bytes())
    )
    if where == "file":
        assert batch.status == "failed"
        assert batch.error.startswith(message) or message in batch.error, batch.error
    else:
        assert batch.status == "validated" and batch.rows_invalid >= 1
        errors = [(r["location"], e["field"], e["message"]) for r in batch.records for e in r["errors"]]
        assert any(loc == where and f == field and message in text for loc, f, text in errors), errors
        with pytest.raises(ApplicationError, match="rows have errors"):
            services.import_batch_commit(actor=supplier, batch=batch)
    assert _state() == before


def test_a_50_mb_file_is_refused_before_it_is_read(supplier):
    size = 50 * 1024 * 1024
    assert size > MAX_UPLOAD_BYTES
    upload = SimpleUploadedFile("huge.csv", b"a" * size)
    with pytest.raises(ApplicationError, match=r"huge.csv is 52.4 MB; the limit is 20 MB"):
        services.import_batch_create(actor=supplier, upload=upload)
    assert _state() == (0, 0, 0)


def test_a_pdf_that_is_not_a_pdf_or_too_large_is_refused(client, supplier):
    from django.urls import reverse

    from disclosures.models import Product

    product = Product.objects.get()
    client.force_login(supplier)
    form = {
        "product": product.pk,
        "registration_number": "EPD-PDF-1",
        "standard": "EN 15804+A2",
        "issue_date": "2026-01-15",
        "valid_until": "2030-12-31",
        "declared_unit": "t",
        "declared_amount": "1",
        "gwp_a1_a3_kg_co2e": "2050",
    }
    for document, message in [
        (SimpleUploadedFile("epd.pdf", b"PK\x03\x04 a zip named pdf"), "epd.pdf is not a PDF document."),
        (
            SimpleUploadedFile("epd.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024) + b"%%EOF"),
            "The PDF is 11.5 MB; the limit is 10 MB.",
        ),
        (
            SimpleUploadedFile("epd.pdf", b"%PDF-1.7\ntruncated, no end marker"),
            "epd.pdf is not a PDF document.",
        ),
    ]:
        response = client.post(reverse("disclosures:declaration-create"), {**form, "document": document})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert _state() == (0, 0, 0)
