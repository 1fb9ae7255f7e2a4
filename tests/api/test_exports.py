"""CSV and XLSX export of every API list: the same rows as JSON (all pages), safe to open in a spreadsheet."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from rest_framework.test import APIClient

from carbon_platform import exports
from carbon_platform.exports import XLSX_MEDIA_TYPE, cell_value, flatten
from tests.api.lists import ROW_MAKERS, api_list_routes
from tests.factories import DeclarationFactory, MaterialFactory, ProductFactory, VehicleModelFactory


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _json_rows(client, url, params=None) -> list[dict]:
    """Every row of a JSON list, following `next` through all its pages."""
    body = client.get(url, params or {}).json()
    if isinstance(body, list):
        return body
    rows = body["results"]
    while body["next"]:
        body = client.get(body["next"]).json()
        rows += body["results"]
    return rows


def _csv_table(response) -> tuple[list[str], list[list[str]]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return lines[0], lines[1:]


def _xlsx_table(response) -> tuple[list[str], list[list]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    lines = [list(row) for row in sheet.iter_rows(values_only=True)]
    width = len(lines[0])
    return list(lines[0]), [row + [None] * (width - len(row)) for row in lines[1:]]  # trailing blanks trimmed


def _same(json_value, exported) -> bool:
    """A JSON value and its cell: numbers (decimal strings too) by value, text as typed, null as empty."""
    if json_value is None or json_value == "":
        return exported in ("", None)  # an empty XLSX cell reads back as None
    if isinstance(json_value, bool):
        return exported in (json_value, "true" if json_value else "false")
    try:
        number = Decimal(str(json_value))
    except ArithmeticError:
        number = None
    if number is not None and str(json_value).strip() == str(json_value) and exported not in ("", None):
        try:
            return Decimal(str(exported)) == number
        except ArithmeticError:
            pass
    return exported == json_value or exported == "'" + str(json_value)


def _assert_same_table(json_rows, headers, cells):
    flat = [flatten(row) for row in json_rows]
    assert len(cells) == len(flat)
    assert set(headers) == {key for row in flat for key in row}
    for json_row, exported_row in zip(flat, cells, strict=True):
        exported = dict(zip(headers, exported_row, strict=True))
        for key, value in json_row.items():
            assert _same(value, exported[key]), (key, value, exported[key])


@pytest.mark.parametrize("name", api_list_routes())
def test_every_list_exports_the_same_rows_as_json_in_csv_and_xlsx(name, actors, materials):
    assert name in ROW_MAKERS, f"{name}: a new list endpoint; add a row maker in tests/api/lists.py"
    user, url = ROW_MAKERS[name](actors, materials, 3)
    client = _client(user)
    json_rows = _json_rows(client, url)
    assert len(json_rows) >= 3
    as_csv = client.get(url, {"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv["Content-Disposition"].endswith('.csv"')
    _assert_same_table(json_rows, *_csv_table(as_csv))
    as_xlsx = client.get(url, {"format": "xlsx"})
    assert as_xlsx.status_code == 200
    assert as_xlsx["Content-Type"] == XLSX_MEDIA_TYPE
    _assert_same_table(json_rows, *_xlsx_table(as_xlsx))


def test_an_export_holds_every_page_of_the_filtered_sorted_list(actors, materials):
    MaterialFactory.create_batch(60, family="aluminium")
    client = _client(actors.carmaker_a)
    url = "/api/v1/materials/"
    params = {"family": "aluminium", "ordering": "-code"}
    json_rows = _json_rows(client, url, params)
    assert client.get(url, params).json()["next"]  # more than one page
    headers, rows = _csv_table(client.get(url, {**params, "format": "csv"}))
    codes = [row[headers.index("code")] for row in rows]
    assert codes == [row["code"] for row in json_rows]
    assert codes == sorted(codes, reverse=True) and len(codes) > 60
    assert all(row[headers.index("family")] == "aluminium" for row in rows)


def test_accept_headers_choose_the_export_and_json_stays_the_default(actors, materials):
    client = _client(actors.supplier_a)
    assert client.get("/api/v1/materials/")["Content-Type"] == "application/json"
    assert client.get("/api/v1/materials/", HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")
    xlsx = client.get("/api/v1/materials/", HTTP_ACCEPT=XLSX_MEDIA_TYPE)
    assert xlsx["Content-Type"] == XLSX_MEDIA_TYPE
    assert _xlsx_table(xlsx)[0][:2] == ["id", "code"]


def test_only_lists_export(actors, materials):
    vehicle = VehicleModelFactory()
    client = _client(actors.carmaker_a)
    assert client.get(f"/api/v1/vehicle-models/{vehicle.pk}/", {"format": "csv"}).status_code == 404
    assert client.get(f"/api/v1/vehicle-models/{vehicle.pk}/", {"format": "json"}).status_code == 200


def test_too_many_rows_is_a_clear_400_in_json(actors, materials, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 5)
    client = _client(actors.supplier_a)
    response = client.get("/api/v1/materials/", {"format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "An export holds at most 5 rows and this list has more: narrow it with filters, or page "
        "through the JSON list.",
        "field": "format",
    }
    assert (
        client.get("/api/v1/materials/", {"format": "csv", "family": "other", "search": "zzz"}).status_code
        == 200
    )


def test_a_bad_filter_of_an_export_answers_json(actors, materials):
    response = _client(actors.carmaker_a).get(
        "/api/v1/vehicle-models/", {"format": "xlsx", "powertrain": "STEAM"}
    )
    assert response.status_code == 400
    assert "powertrain" in response.json()


def test_text_that_a_spreadsheet_would_run_is_escaped_in_csv_and_xlsx(actors, materials):
    supplier = actors.supplier_a.membership.organisation
    names = [
        '=HYPERLINK("http://evil.example","click")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\tTab",
        "\rCR",
        "Plain",
    ]
    for name in names:
        ProductFactory(supplier=supplier, material=materials["steel.hot_rolled_coil"], name=name)
    client = _client(actors.supplier_a)
    headers, rows = _csv_table(client.get("/api/v1/products/", {"format": "csv", "ordering": "id"}))
    exported = [row[headers.index("name")] for row in rows]
    assert exported[:6] == ["'" + name for name in names[:6]]
    assert exported[6] == "Plain"
    headers, rows = _xlsx_table(client.get("/api/v1/products/", {"format": "xlsx"}))
    cells = {row[headers.index("name")] for row in rows}
    assert "'" + names[0] in cells and "'@SUM(A1)" in cells and names[0] not in cells


def test_negative_module_d_stays_a_number(actors, materials):
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=materials["steel.hot_rolled_coil"]
    )
    DeclarationFactory(product=product, gwp_d_kg_co2e=Decimal("-150.5"), registration_number="-EPD-1")
    client = _client(actors.supplier_a)
    headers, rows = _csv_table(client.get("/api/v1/declarations/", {"format": "csv"}))
    assert rows[0][headers.index("gwp_d_kg_co2e")] == "-150.500000"
    assert rows[0][headers.index("registration_number")] == "'-EPD-1"  # text, so escaped
    headers, rows = _xlsx_table(client.get("/api/v1/declarations/", {"format": "xlsx"}))
    module_d = rows[0][headers.index("gwp_d_kg_co2e")]
    assert isinstance(module_d, int | float) and module_d == -150.5


def test_nested_fields_are_flattened_to_dotted_headers():
    assert flatten({"a": 1, "b": {"c": "x", "d": {"e": None}}, "f": [{"g": 2}, {"g": 3}], "h": []}) == {
        "a": 1,
        "b.c": "x",
        "b.d.e": None,
        "f.0.g": 2,
        "f.1.g": 3,
    }


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("-12.5000", Decimal("-12.5000")),
        ("0.25", Decimal("0.25")),
        (-3, -3),
        ("007", "007"),  # an id with leading zeros stays text
        ("2026-01-10", "2026-01-10"),
        ("-", "'-"),
        ("=1+1", "'=1+1"),
        ("-1+1", "'-1+1"),
        ("中文", "中文"),
        (None, None),
        (True, True),
    ],
)
def test_cell_values(value, cell):
    assert cell_value(value) == cell
    assert type(cell_value(value)) is type(cell)
