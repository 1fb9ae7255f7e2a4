"""Text that a spreadsheet would run as a formula is accepted where names are free text, and every CSV and
XLSX export that shows it writes it with a leading quote, so it shows as typed and never runs."""

import csv
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "-2+3+cmd"]


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    sheet = load_workbook(io.BytesIO(body)).active
    return [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_in_names_are_escaped_in_every_export(actors, materials, fmt):
    supplier, carmaker = _client(actors.supplier_a), _client(actors.carmaker_a)
    for number, formula in enumerate(FORMULAS):
        plant = supplier.post("/api/v1/plants/", {"name": formula, "province": "HE"}, format="json")
        assert plant.status_code == 201, plant.json()
        product = supplier.post(
            "/api/v1/products/",
            {"name": formula, "grade": formula, "material": "steel.hot_rolled_coil", "route": "bf_bof"},
            format="json",
        )
        assert product.status_code == 201, product.json()
        declaration = supplier.post(
            "/api/v1/declarations/",
            {
                "product": product.json()["id"],
                "registration_number": f"EPD-F-{number}",
                "programme_operator": formula,
                "verifier": formula,
                "pcr": formula,
                "issue_date": "2026-01-15",
                "valid_until": "2030-12-31",
                "declared_unit": "t",
                "declared_amount": "1",
                "gwp_a1_a3_kg_co2e": "2050",
            },
            format="json",
        )
        assert declaration.status_code == 201, declaration.json()
    vehicle_model = carmaker.get("/api/v1/vehicle-models/").json()
    bom_model = vehicle_model["results"][0]["id"] if vehicle_model["results"] else None
    exports = [
        (supplier, "/api/v1/plants/"),
        (supplier, "/api/v1/products/"),
        (supplier, "/api/v1/declarations/"),
    ]
    if bom_model is None:
        from tests.factories import VehicleModelFactory

        bom_model = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation).pk
    lines = [
        {
            "component": formula,
            "system": "body_in_white",
            "material": "steel.hot_dip_galvanized",
            "mass_kg": "1",
        }
        for formula in FORMULAS
    ]
    put = carmaker.put(f"/api/v1/vehicle-models/{bom_model}/bom/", {"lines": lines}, format="json")
    assert put.status_code == 200, put.json()
    exports.append((carmaker, f"/api/v1/vehicle-models/{bom_model}/bom/"))
    for client, url in exports:
        response = client.get(url, {"format": fmt})
        assert response.status_code == 200, url
        cells = _cells(response)
        for formula in FORMULAS:
            assert "'" + formula in cells, (url, formula)
            assert formula not in cells, (url, formula)
