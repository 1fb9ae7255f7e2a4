"""BOM import: a carmaker's CSV or XLSX file replaces the BOMs of the models it names, all or nothing, with
row errors naming the spreadsheet row (header = row 1) and the column; over the API and in the browser."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounting import bom_imports
from accounting.bom_files import COLUMNS
from accounting.bom_imports import BomImportError, bom_import
from accounting.models import BomLine, RollupRun, VehicleModel
from carbon_platform.tenancy.models import AuditEvent
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory, VehicleModelFactory

HEADER = [
    "vehicle_model_external_id",
    "vehicle_model_id",
    "component",
    "system",
    "material",
    "mass_kg",
    "supplier_product_id",
    "epd_registration_number",
    "share",
]


@pytest.fixture
def fleet(actors, materials):
    """Carmaker A's models A-1, A-2 (both in the files) and A-3 (never), carmaker B's B-1; products and EPDs."""
    own = actors.carmaker_a.membership.organisation
    coil, extrusion = materials["steel.hot_rolled_coil"], materials["aluminium.extrusion"]
    models = {
        "A-1": VehicleModelFactory(carmaker=own, external_id="A-1"),
        "A-2": VehicleModelFactory(carmaker=own, external_id="A-2"),
        "A-3": VehicleModelFactory(carmaker=own, external_id="A-3"),
        "B-1": VehicleModelFactory(carmaker=actors.carmaker_b.membership.organisation, external_id="B-1"),
    }
    for external_id, masses in {"A-1": ["10", "20"], "A-2": ["5"], "A-3": ["7"], "B-1": ["9"]}.items():
        for mass in masses:
            BomLineFactory(vehicle_model=models[external_id], material=coil, mass_kg=mass)
    supplier_a, supplier_b = (
        actors.supplier_a.membership.organisation,
        actors.supplier_b.membership.organisation,
    )
    products = {
        "coil_a": ProductFactory(supplier=supplier_a, material=coil, route="bf_bof"),
        "coil_b": ProductFactory(supplier=supplier_b, material=coil, route="scrap_eaf"),
        "extrusion": ProductFactory(supplier=supplier_b, material=extrusion, route="secondary"),
    }
    DeclarationFactory(product=products["coil_b"], status="approved", registration_number="EPD-COIL-B")
    DeclarationFactory(product=products["extrusion"], status="submitted", registration_number="EPD-EXT")
    DeclarationFactory(product=products["coil_a"], status="draft", registration_number="EPD-DRAFT")
    DeclarationFactory(product=products["coil_a"], status="approved", registration_number="EPD-TWICE")
    DeclarationFactory(product=products["coil_b"], status="rejected", registration_number="EPD-TWICE")
    return models, products


def _row(**cells) -> dict:
    return {
        "component": "Floor panel",
        "system": "body_in_white",
        "material": "steel.hot_rolled_coil",
    } | cells


def _csv(rows: list[dict], header: list[str] = HEADER) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return text.getvalue().encode()


def _upload(data: bytes, name: str = "bom.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def _lines(model) -> list[tuple]:
    return sorted(
        BomLine.objects.filter(vehicle_model=model).values_list(
            "component", "system", "material__code", "mass_kg", "supplier_product_id", "share"
        )
    )


def _database_state() -> tuple:
    return (
        sorted(
            BomLine.objects.values_list(
                "vehicle_model_id", "component", "material_id", "mass_kg", "supplier_product_id", "share"
            )
        ),
        list(VehicleModel.objects.order_by("id").values_list("id", "bom_updated_at")),
        AuditEvent.objects.count(),
        RollupRun.objects.count(),
    )


def test_a_file_replaces_the_boms_of_the_models_it_names_and_no_others(
    actors, fleet, django_capture_on_commit_callbacks
):
    models, products = fleet
    others_before = {key: _lines(models[key]) for key in ("A-3", "B-1")}
    rows = [
        _row(
            vehicle_model_external_id="A-1",
            mass_kg="100",
            supplier_product_id=products["coil_a"].pk,
            share="0.6",
        ),
        _row(
            vehicle_model_external_id="A-1", mass_kg="100", epd_registration_number="EPD-COIL-B", share="0.4"
        ),
        _row(
            vehicle_model_external_id="A-1",
            component="Battery tray",
            system="Battery enclosure",
            material="aluminium.extrusion",
            mass_kg="38.12346",
            epd_registration_number="EPD-EXT",
        ),
        _row(vehicle_model_id=models["A-2"].pk, component="Seat frames", system="interior", mass_kg="21.75"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = bom_import(actor=actors.carmaker_a, upload=_upload(_csv(rows)))

    assert (result.models_replaced, result.lines_written, result.lines_deleted) == (2, 4, 3)
    assert result.vehicle_model_ids == sorted([models["A-1"].pk, models["A-2"].pk])
    assert _lines(models["A-1"]) == [
        (
            "Battery tray",
            "battery_enclosure",
            "aluminium.extrusion",
            Decimal("38.1235"),
            products["extrusion"].pk,
            None,
        ),
        (
            "Floor panel",
            "body_in_white",
            "steel.hot_rolled_coil",
            Decimal("100"),
            products["coil_a"].pk,
            Decimal("0.6"),
        ),
        (
            "Floor panel",
            "body_in_white",
            "steel.hot_rolled_coil",
            Decimal("100"),
            products["coil_b"].pk,
            Decimal("0.4"),
        ),
    ]
    assert _lines(models["A-2"]) == [
        ("Seat frames", "interior", "steel.hot_rolled_coil", Decimal("21.75"), None, None)
    ]
    assert {key: _lines(models[key]) for key in ("A-3", "B-1")} == others_before
    replaced = VehicleModel.objects.filter(bom_updated_at__isnull=False)
    assert sorted(replaced.values_list("external_id", flat=True)) == ["A-1", "A-2"]

    events = {
        event.object_id: event
        for event in AuditEvent.objects.filter(object_type="accounting.VehicleModel").order_by("id")
    }
    assert set(events) == {str(models["A-1"].pk), str(models["A-2"].pk)}
    first = events[str(models["A-1"].pk)]
    assert first.before == {"bom": {"lines": 2, "mass_kg": "30.0000"}}
    assert first.after == {"bom": {"lines": 3, "mass_kg": "238.1235", "file": "bom.csv"}}
    assert first.actor == actors.carmaker_a and first.action == "updated"
    assert events[str(models["A-2"].pk)].after == {
        "bom": {"lines": 1, "mass_kg": "21.7500", "file": "bom.csv"}
    }

    run = RollupRun.objects.get(pk=result.rollup_run_id)
    assert (run.trigger, run.trigger_object) == ("bom_changed", "bom_import")
    assert run.scope_model_ids == result.vehicle_model_ids
    assert run.status == "succeeded" and run.footprints_written == 2  # it ran on commit (in-process tasks)


def test_an_xlsx_file_with_chinese_headers_imports_like_a_csv(actors, fleet):
    models, products = fleet
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    by_field = {column.field: column for column in COLUMNS}
    sheet.append(
        [
            by_field[name].zh
            for name in (
                "vehicle_model_external_id",
                "component",
                "system",
                "material",
                "mass_kg",
                "supplier_product_id",
            )
        ]
    )
    sheet.append(["A-2", "Door", "closures", "steel.hot_rolled_coil", 12.5, products["coil_b"].pk])
    sheet.append(["A-2", "Hinge", "closures", "steel.hot_rolled_coil", 0, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = bom_import(actor=actors.carmaker_a, upload=_upload(buffer.getvalue(), "bom.xlsx"))

    assert (result.models_replaced, result.lines_written) == (1, 2)
    assert _lines(models["A-2"]) == [
        ("Door", "closures", "steel.hot_rolled_coil", Decimal("12.5"), products["coil_b"].pk, None),
        ("Hinge", "closures", "steel.hot_rolled_coil", Decimal("0"), None, None),
    ]


def test_a_gb18030_csv_is_read(actors, fleet):
    models, _products = fleet
    header = "车型外部编号,零部件,系统,材料代码,质量（千克）"
    data = f"{header}\nA-1,车门,closures,steel.hot_rolled_coil,3.5\n".encode("gb18030")
    bom_import(actor=actors.carmaker_a, upload=_upload(data))
    assert _lines(models["A-1"]) == [
        ("车门", "closures", "steel.hot_rolled_coil", Decimal("3.5"), None, None)
    ]


# Row 2 of every file below is a good line of A-1, row 3 the bad one (of A-2 unless it says otherwise): the
# error must name row 3 and its column, and neither model may change.
BAD_ROWS = [
    (
        {"vehicle_model_external_id": "A-9"},
        "vehicle_model_external_id",
        "no vehicle model with the external id 'A-9'",
    ),
    (
        {"vehicle_model_external_id": "B-1"},
        "vehicle_model_external_id",
        "no vehicle model with the external id 'B-1'",
    ),
    ({"vehicle_model_id": "b1"}, "vehicle_model_id", "'b1' is not an id"),
    ({"vehicle_model_id": "<B-1>"}, "vehicle_model_id", "Your organisation has no vehicle model with the id"),
    ({"vehicle_model_id": "<A-1>"}, "vehicle_model_id", "is not the model with the external id 'A-2'"),
    ({"vehicle_model_external_id": ""}, "vehicle_model_external_id", "Name the line's vehicle model"),
    ({"component": ""}, "component", "Component is required."),
    ({"component": "x" * 151}, "component", "longer than 150 characters"),
    ({"system": "roof"}, "system", "'roof' is not a vehicle system; use one of: body_in_white"),
    ({"material": "steel.unobtainium"}, "material", "'steel.unobtainium' is not a material code"),
    ({"mass_kg": ""}, "mass_kg", "Mass (kg) is required."),
    ({"mass_kg": "12,5"}, "mass_kg", "'12,5' is not a number."),
    ({"mass_kg": "-1"}, "mass_kg", "'-1' cannot be negative."),
    ({"mass_kg": "1e10"}, "mass_kg", "'1e10' kg is more than a BOM line can hold."),
    ({"share": "half"}, "share", "'half' is not a number."),
    ({"share": "0"}, "share", "'0' is not a share"),
    ({"share": "1.5"}, "share", "'1.5' is not a share"),
    ({"share": "0.33333"}, "share", "'0.33333' has more than 4 decimal places."),
    (
        {"share": "0.7"},
        "share",
        "shares of component 'Floor panel' (steel.hot_rolled_coil) in this model add up to 0.7, not 1",
    ),
    ({"supplier_product_id": "99999"}, "supplier_product_id", "No supplier product has the id 99999."),
    ({"supplier_product_id": "1.5"}, "supplier_product_id", "'1.5' is not an id"),
    (
        {"supplier_product_id": "<extrusion>"},
        "supplier_product_id",
        "is aluminium.extrusion, not steel.hot_rolled_coil",
    ),
    (
        {"epd_registration_number": "EPD-EXT"},
        "epd_registration_number",
        "The product of EPD EPD-EXT is aluminium.extrusion",
    ),
    (
        {"epd_registration_number": "EPD-NOPE"},
        "epd_registration_number",
        "No declaration has the registration number EPD-NOPE.",
    ),
    (
        {"epd_registration_number": "EPD-DRAFT"},
        "epd_registration_number",
        "No declaration has the registration number EPD-DRAFT.",
    ),
    (
        {"epd_registration_number": "EPD-TWICE"},
        "epd_registration_number",
        "belongs to declarations of several products",
    ),
    (
        {"supplier_product_id": "<coil_a>", "epd_registration_number": "EPD-COIL-B"},
        "epd_registration_number",
        "not both",
    ),
]


@pytest.mark.parametrize(
    ("cells", "field", "message"), BAD_ROWS, ids=[f"{case[1]}-{n}" for n, case in enumerate(BAD_ROWS)]
)
def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_saved(actors, fleet, cells, field, message):
    models, products = fleet
    references = {f"<{key}>": str(model.pk) for key, model in models.items()} | {
        f"<{key}>": str(product.pk) for key, product in products.items()
    }
    bad = _row(vehicle_model_external_id="A-2", mass_kg="5") | {
        name: references.get(value, value) for name, value in cells.items()
    }
    before = _database_state()
    with pytest.raises(BomImportError) as refused:
        bom_import(
            actor=actors.carmaker_a,
            upload=_upload(_csv([_row(vehicle_model_external_id="A-1", mass_kg="1"), bad])),
        )
    errors = refused.value.errors
    assert refused.value.error_count == len(errors) == 1, errors
    assert (errors[0].row, errors[0].field) == (3, field)
    assert message in errors[0].message
    assert _database_state() == before


def test_every_line_of_a_component_whose_shares_do_not_add_up_is_named(actors, fleet):
    rows = [
        _row(vehicle_model_external_id="A-1", mass_kg="10", share="0.6"),
        _row(vehicle_model_external_id="A-1", mass_kg="10", share="0.3"),
        _row(vehicle_model_external_id="A-2", mass_kg="10", share="0.3"),  # another model: its own component
        _row(vehicle_model_external_id="A-2", mass_kg="10", share="0.7"),
    ]
    with pytest.raises(BomImportError) as refused:
        bom_import(actor=actors.carmaker_a, upload=_upload(_csv(rows)))
    assert [(e.row, e.field) for e in refused.value.errors] == [(2, "share"), (3, "share")]
    assert "add up to 0.9, not 1" in refused.value.errors[0].message


def test_problems_of_the_file_as_a_whole_are_reported_on_the_header_row(actors, fleet):
    before = _database_state()
    cases = [
        (
            _csv([_row(vehicle_model_external_id="A-1", mass_kg="1", colour="red")], [*HEADER, "colour"]),
            1,
            "colour",
            "Unknown column 'colour'",
        ),
        (_csv([_row(mass_kg="1")], HEADER[2:]), 1, "", "Name each line's vehicle model"),
        (
            _csv([_row(vehicle_model_external_id="A-1")], [h for h in HEADER if h != "mass_kg"]),
            1,
            "",
            "Required columns are missing: Mass (kg).",
        ),
        (b"", None, "", "The file is empty."),
        (_csv([]), None, "", "The file has a header but no data rows."),
    ]
    for data, row, field, message in cases:
        with pytest.raises(BomImportError) as refused:
            bom_import(actor=actors.carmaker_a, upload=_upload(data))
        (error,) = refused.value.errors
        assert (error.row, error.field) == (row, field), data
        assert message in error.message
    assert _database_state() == before


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(actors, fleet, monkeypatch):
    monkeypatch.setattr(bom_imports, "MAX_BOM_FILE_BYTES", 100)
    with pytest.raises(bom_imports.ApplicationError) as refused:
        bom_import(actor=actors.carmaker_a, upload=_upload(b"x" * 101))
    assert refused.value.field == "file" and "the limit is 0 MB" in refused.value.message


def test_only_carmakers_import(actors, fleet):
    data = _csv([_row(vehicle_model_external_id="A-1", mass_kg="1")])
    for user in (actors.supplier_a, actors.auditor, actors.outsider):
        with pytest.raises(bom_imports.ApplicationError) as refused:
            bom_import(actor=user, upload=_upload(data))
        assert refused.value.status_code == 403


# --- API ------------------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_import_answers_counts_and_the_run(api, actors, fleet):
    models, _products = fleet
    api.force_authenticate(actors.carmaker_a)
    data = _csv(
        [
            _row(vehicle_model_external_id="A-1", mass_kg="4"),
            _row(vehicle_model_external_id="A-1", mass_kg="6"),
        ]
    )
    response = api.post("/api/v1/boms/import/", {"file": _upload(data)}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    run = RollupRun.objects.get(trigger="bom_changed")
    assert body == {
        "models_replaced": 1,
        "lines_written": 2,
        "lines_deleted": 2,
        "vehicle_model_ids": [models["A-1"].pk],
        "rollup_run": run.pk,
    }


def test_api_row_errors_are_capped_and_counted(api, actors, fleet):
    api.force_authenticate(actors.carmaker_a)
    rows = [_row(vehicle_model_external_id="A-1", mass_kg="-1") for _ in range(250)]
    response = api.post("/api/v1/boms/import/", {"file": _upload(_csv(rows))}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["error_count"] == 250
    assert body["detail"] == "The file has 250 errors; nothing was saved."
    assert len(body["errors"]) == 200
    assert body["errors"][0] == {"row": 2, "field": "mass_kg", "message": "'-1' cannot be negative."}
    assert [error["row"] for error in body["errors"]] == list(range(2, 202))


def test_api_refuses_suppliers_auditors_and_anonymous_callers(api, actors, fleet):
    data = _csv([_row(vehicle_model_external_id="A-1", mass_kg="1")])
    assert api.post("/api/v1/boms/import/", {"file": _upload(data)}, format="multipart").status_code in (
        401,
        403,
    )
    for user in (actors.supplier_a, actors.auditor):
        api.force_authenticate(user)
        response = api.post("/api/v1/boms/import/", {"file": _upload(data)}, format="multipart")
        assert response.status_code == 403
    assert len(_lines(fleet[0]["A-1"])) == 2


def test_api_without_a_file_is_a_bad_request(api, actors, fleet):
    api.force_authenticate(actors.carmaker_a)
    response = api.post("/api/v1/boms/import/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_api_template_downloads(api, actors):
    api.force_authenticate(actors.carmaker_a)
    response = api.get("/api/v1/boms/template.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bom-template.csv"'
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Vehicle model external id / 车型外部编号,")
    xlsx = api.get("/api/v1/boms/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:4] == b"PK\x03\x04"


# --- Browser --------------------------------------------------------------------------------------------


def test_the_vehicle_list_links_the_import_page_for_carmakers_only(client, actors):
    client.force_login(actors.carmaker_a)
    assert (
        reverse("accounting:bom-import")
        in client.get(reverse("accounting:vehicle-model-list")).content.decode()
    )
    client.force_login(actors.supplier_a)
    assert (
        reverse("accounting:bom-import")
        not in client.get(reverse("accounting:vehicle-model-list")).content.decode()
    )
    assert client.get(reverse("accounting:bom-import")).status_code == 403


def test_the_import_page_uploads_and_reports_success(client, actors, fleet):
    models, _products = fleet
    client.force_login(actors.carmaker_a)
    page = client.get(reverse("accounting:bom-import"))
    assert (
        page.status_code == 200 and reverse("accounting:bom-template", args=["xlsx"]) in page.content.decode()
    )
    assert client.get(reverse("accounting:bom-template", args=["csv"])).status_code == 200
    assert client.get("/boms/template.exe").status_code == 404
    data = _csv([_row(vehicle_model_external_id="A-2", mass_kg="8")])
    response = client.post(reverse("accounting:bom-import"), {"file": _upload(data)}, follow=True)
    run = RollupRun.objects.get(trigger="bom_changed")
    html = response.content.decode()
    assert response.redirect_chain == [(reverse("accounting:bom-import"), 302)]
    assert "BOM of 1 model replaced (lines written: 1, removed: 1)." in html
    assert reverse("accounting:rollup-run-detail", args=[run.pk]) in html
    assert _lines(models["A-2"]) == [
        ("Floor panel", "body_in_white", "steel.hot_rolled_coil", Decimal("8"), None, None)
    ]


def test_the_import_page_shows_the_row_errors_and_saves_nothing(client, actors, fleet):
    client.force_login(actors.carmaker_a)
    before = _database_state()
    data = _csv(
        [
            _row(vehicle_model_external_id="A-1", mass_kg="8"),
            _row(vehicle_model_external_id="B-1", mass_kg="x"),
        ]
    )
    response = client.post(reverse("accounting:bom-import"), {"file": _upload(data)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file has 2 errors; nothing was saved." in html
    assert (
        'data-row="3"' in html
        and "<code>vehicle_model_external_id</code>" in html
        and "<code>mass_kg</code>" in html
    )
    assert "&#x27;x&#x27; is not a number." in html
    assert _database_state() == before
