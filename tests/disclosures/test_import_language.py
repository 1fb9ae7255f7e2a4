"""Import messages are written in the uploader's language, in the request and in the background task alike."""

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from disclosures import services
from disclosures.importers.tabular import COLUMNS
from tests.factories import ProductFactory


@pytest.fixture
def product(actors, materials):
    return ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        route="bf_bof",
        name="HRC Q235B",
    )


def _row(**overrides):
    row = {
        "product": "HRC Q235B",
        "registration_number": "EPD-LANG-1",
        "issue_date": "2026-03-01",
        "valid_until": "2031-02-28",
        "declared_unit": "t",
        "declared_amount": "1",
        "gwp_a1_a3_kg_co2e": "2050.5",
    }
    row.update(overrides)
    return row


def _csv(rows) -> bytes:
    frame = pd.DataFrame([{c.header: row.get(c.field, "") for c in COLUMNS} for row in rows])
    return frame.to_csv(index=False).encode("utf-8-sig")


def _upload(actor, data: bytes, name="declarations.csv"):
    return services.import_batch_create(actor=actor, upload=SimpleUploadedFile(name, data))


def _bad_rows():
    return [
        _row(registration_number="EPD-LANG-1"),
        _row(registration_number="EPD-LANG-2", gwp_a1_a3_kg_co2e="about 2000"),
        _row(registration_number="EPD-LANG-3", product="Rebar HRB400"),
        _row(registration_number=""),
        _row(registration_number="EPD-LANG-5", issue_date="2019-01-01", valid_until="2024-01-01"),
    ]


def _errors(batch) -> dict[str, list[tuple[str, str]]]:
    return {
        record["location"]: [(error["field"], error["message"]) for error in record["errors"]]
        for record in batch.records
    }


CHINESE = {
    "row 2": [],
    "row 3": [("gwp_a1_a3_kg_co2e", "“about 2000”不是数字。")],
    "row 4": [("product", "您的产品中没有名为“Rebar HRB400”的产品。")],
    "row 5": [("registration_number", "注册号为必填项。")],
    # A blocking finding of the automated checks, also in the uploader's language.
    "row 6": [("valid_until", "该声明已于2024-01-01过期。")],
}
ENGLISH = {
    "row 2": [],
    "row 3": [("gwp_a1_a3_kg_co2e", "'about 2000' is not a number.")],
    "row 4": [("product", "No product of yours is named 'Rebar HRB400'.")],
    "row 5": [("registration_number", "Registration number is required.")],
    "row 6": [("valid_until", "The declaration expired on 2024-01-01.")],
}


def test_a_bad_row_uploaded_in_chinese_is_reported_in_chinese(actors, product):
    with translation.override("zh-hans"):
        batch = services.import_batch_create(
            actor=actors.supplier_a, upload=SimpleUploadedFile("declarations.csv", _csv(_bad_rows()))
        )
    batch.refresh_from_db()
    assert (batch.status, batch.language) == ("validated", "zh-hans")
    assert (batch.rows_valid, batch.rows_invalid) == (1, 4)
    assert _errors(batch) == CHINESE
    assert batch.row_errors[0] == {
        "location": "row 3",
        "field": "gwp_a1_a3_kg_co2e",
        "message": "“about 2000”不是数字。",
    }


def test_a_file_error_uploaded_in_chinese_is_reported_in_chinese(actors, product):
    header_only = pd.DataFrame(columns=[column.header for column in COLUMNS]).to_csv(index=False).encode()
    with translation.override("zh-hans"):
        batch = _upload(actors.supplier_a, header_only)
    batch.refresh_from_db()
    assert (batch.status, batch.error) == ("failed", "文件只有表头，没有数据行。")


def test_the_background_task_keeps_the_uploaders_language(
    actors, product, django_capture_on_commit_callbacks
):
    rows = [_row(registration_number=f"EPD-BIG-{n:05d}") for n in range(8000)]
    rows[4] = _row(registration_number="EPD-BIG-BAD", gwp_a1_a3_kg_co2e="about 2000")
    data = _csv(rows)
    assert len(data) > services.imports.INLINE_VALIDATION_BYTES
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with translation.override("zh-hans"):
            batch = _upload(actors.supplier_a, data)
            assert (batch.status, batch.language) == ("uploaded", "zh-hans")
        # The task runs when the transaction commits: after the request, with no language of the uploader's.
        assert translation.get_language() == "en"
    assert len(callbacks) == 1
    assert translation.get_language() == "en"
    batch.refresh_from_db()
    assert (batch.status, batch.rows_valid, batch.rows_invalid) == ("validated", 7999, 1)
    assert batch.row_errors == [
        {"location": "row 6", "field": "gwp_a1_a3_kg_co2e", "message": "“about 2000”不是数字。"}
    ]


def test_the_same_file_uploaded_in_english_is_reported_in_english(actors, product):
    with translation.override("en"):
        batch = _upload(actors.supplier_a, _csv(_bad_rows()))
    batch.refresh_from_db()
    assert (batch.status, batch.language, batch.rows_valid, batch.rows_invalid) == ("validated", "en", 1, 4)
    assert _errors(batch) == ENGLISH


def test_a_large_file_uploaded_in_english_is_reported_in_english(
    actors, product, django_capture_on_commit_callbacks
):
    rows = [_row(registration_number=f"EPD-BIG-{n:05d}") for n in range(8000)]
    rows[4] = _row(registration_number="EPD-BIG-BAD", gwp_a1_a3_kg_co2e="about 2000")
    with django_capture_on_commit_callbacks(execute=True):
        batch = _upload(actors.supplier_a, _csv(rows))
        assert batch.status == "uploaded"
    batch.refresh_from_db()
    assert batch.row_errors == [
        {"location": "row 6", "field": "gwp_a1_a3_kg_co2e", "message": "'about 2000' is not a number."}
    ]


def test_a_batch_without_a_language_is_validated_in_the_default_language(actors, product):
    with translation.override("zh-hans"):
        batch = _upload(actors.supplier_a, _csv(_bad_rows()))
    batch.status, batch.language, batch.records = "uploaded", "", []
    batch.save()
    with translation.override("zh-hans"):
        batch = services.import_batch_validate(batch_id=batch.id)
    assert _errors(batch) == ENGLISH
