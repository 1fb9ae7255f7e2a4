"""The shared bad-input corpus: every import path, every kind of badness, as data.

A case names the path it goes through (one of PATHS: a browser page or an API endpoint, always through the
HTTP layer as the role that may use it), builds its request from the test's world (`World`: the ids of
the supplier's product, plant and draft, the carmaker's vehicle model), and says which status the answer
must have and which field or row it must name. Files are the existing bad files of tests/disclosures/files
where one fits, else made here at run time: nothing big is committed.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from accounting.bom_files import COLUMNS as BOM_COLUMNS
from disclosures.importers import MAX_UPLOAD_BYTES
from disclosures.importers.tabular import COLUMNS as DECLARATION_COLUMNS

FILES = Path(__file__).resolve().parent.parent / "disclosures" / "files"
BAD = FILES / "bad"
BAD_TABULAR = FILES / "bad_tabular"

# path -> (who sends it, "browser" or "api")
PATHS = {
    "declaration-form": ("supplier_a", "browser"),
    "import-page": ("supplier_a", "browser"),
    "api-import-csv": ("supplier_a", "api"),
    "api-import-xlsx": ("supplier_a", "api"),
    "api-import-openepd": ("supplier_a", "api"),
    "api-import-ilcd-xml": ("supplier_a", "api"),
    "api-import-ilcd-zip": ("supplier_a", "api"),
    "api-declaration-create": ("supplier_a", "api"),
    "api-declaration-update": ("supplier_a", "api"),
    "api-product-create": ("supplier_a", "api"),
    "api-plant-create": ("supplier_a", "api"),
    "bom-page": ("carmaker_a", "browser"),
    "api-bom-import": ("carmaker_a", "api"),
    "api-bom-put": ("carmaker_a", "api"),
    "api-webhook-create": ("carmaker_a", "api"),
}


@dataclass
class World:
    """What the requests point at; built by the test's fixture."""

    product_id: int
    product_name: str
    plant_id: int
    draft_id: int
    vehicle_model_id: int
    vehicle_model_external_id: str


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    data: object = None
    format: str | None = None  # APIClient: "json" or "multipart"; None with a raw body and content_type
    content_type: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    build: Callable[[World], Request]
    status: int
    names: tuple[str, ...]  # what the answer must name: field names, row locations, message words
    # (dotted name, value) pairs set for the request only: a lowered limit makes "just over it" small
    patches: tuple[tuple[str, object], ...] = ()


# --- Builders of good content that each case spoils in one place ---------------------------------------

DECLARATION = {
    "registration_number": "EPD-CORPUS-1",
    "standard": "EN 15804+A2",
    "issue_date": "2026-01-15",
    "valid_until": "2030-12-31",
    "declared_unit": "t",
    "declared_amount": "1",
    "gwp_a1_a3_kg_co2e": "2050",
}


def declaration_row(world: World, **changes) -> dict:
    return {"product": world.product_name, **DECLARATION, **changes}


def tabular_csv(rows: list[dict], *, encoding: str = "utf-8", extra_headers: tuple[str, ...] = ()) -> bytes:
    """A declaration CSV with the template's headers; each row a {field: cell} mapping."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in DECLARATION_COLUMNS] + list(extra_headers))
    for row in rows:
        writer.writerow(
            [row.get(column.field, "") for column in DECLARATION_COLUMNS] + list(row.get("_extra", ()))
        )
    return out.getvalue().encode(encoding)


def tabular_xlsx(rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in DECLARATION_COLUMNS])
    for row in rows:
        sheet.append([row.get(column.field) for column in DECLARATION_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bom_csv(
    world: World, rows: list[dict] | None = None, *, raw_rows: list[list[str]] | None = None
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in BOM_COLUMNS])
    for row in rows or []:
        line = {
            "vehicle_model_external_id": world.vehicle_model_external_id,
            "component": "Floor panel",
            "system": "body_in_white",
            "material": "steel.hot_dip_galvanized",
            "mass_kg": "42.5",
            **row,
        }
        writer.writerow([line.get(column.field, "") for column in BOM_COLUMNS])
    for raw in raw_rows or []:
        writer.writerow(raw)
    return out.getvalue().encode()


def bom_xlsx(world: World, rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in BOM_COLUMNS])
    for row in rows:
        line = {
            "vehicle_model_external_id": world.vehicle_model_external_id,
            "component": "Floor panel",
            "system": "body_in_white",
            "material": "steel.hot_dip_galvanized",
            "mass_kg": 42.5,
            **row,
        }
        sheet.append([line.get(column.field) for column in BOM_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bom_line(**changes) -> dict:
    return {
        "component": "Floor panel",
        "system": "body_in_white",
        "material": "steel.hot_dip_galvanized",
        "mass_kg": "42.5",
        **changes,
    }


def openepd(**changes) -> bytes:
    document = {
        "doctype": "openEPD",
        "declaration_url": "https://example.com/epd",
        "product_name": "HRC",
        "date_of_issue": "2026-01-15",
        "valid_until": "2030-12-31",
        "declared_unit": {"qty": 1, "unit": "t"},
        "impacts": {"TRACI 2.1": {"gwp": {"A1A2A3": {"mean": 2050, "unit": "kgCO2e"}}}},
        **changes,
    }
    return json.dumps(document).encode()


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


# --- Request builders per path ----------------------------------------------------------------------------


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def file_of(source: Path | Callable[[World], bytes], name: str | None = None):
    """A builder of the bytes: an existing corpus file, or a function of the world."""

    def read(world: World) -> tuple[str, bytes]:
        if isinstance(source, Path):
            return name or source.name, source.read_bytes()
        return name, source(world)

    return read


def api_import(source, name=None, *, with_product=True, content_type="application/octet-stream"):
    read = file_of(source, name)

    def build(world: World) -> Request:
        filename, data = read(world)
        body = {"file": upload(filename, data, content_type)}
        if with_product:
            body["product"] = world.product_id
        return Request("post", "/api/v1/imports/", body, "multipart")

    return build


def page_import(source, name=None, *, with_product=True):
    read = file_of(source, name)

    def build(world: World) -> Request:
        filename, data = read(world)
        body = {"file": upload(filename, data)}
        if with_product:
            body["product"] = world.product_id
        return Request("post", "/imports/", body)

    return build


def form_post(**changes):
    def build(world: World) -> Request:
        body = {"product": world.product_id, **DECLARATION, **changes}
        return Request("post", "/declarations/new/", {k: v for k, v in body.items() if v is not None})

    return build


def api_declaration_create(body_of):
    def build(world: World) -> Request:
        body = body_of(world)
        if isinstance(body, bytes):
            return Request("post", "/api/v1/declarations/", body, None, "application/json")
        return Request("post", "/api/v1/declarations/", body, "json")

    return build


def api_declaration_update(body, method="patch"):
    def build(world: World) -> Request:
        url = f"/api/v1/declarations/{world.draft_id}/"
        if isinstance(body, bytes):
            return Request(method, url, body, None, "application/json")
        return Request(method, url, body, "json")

    return build


def bom_page(source, name="bom.csv"):
    read = file_of(source, name)

    def build(world: World) -> Request:
        filename, data = read(world)
        return Request("post", "/boms/import/", {"file": upload(filename, data)})

    return build


def api_bom_import(source, name="bom.csv", content_type="text/csv"):
    read = file_of(source, name)

    def build(world: World) -> Request:
        filename, data = read(world)
        return Request(
            "post", "/api/v1/boms/import/", {"file": upload(filename, data, content_type)}, "multipart"
        )

    return build


def api_bom_put(body):
    def build(world: World) -> Request:
        url = f"/api/v1/vehicle-models/{world.vehicle_model_id}/bom/"
        if isinstance(body, bytes):
            return Request("put", url, body, None, "application/json")
        return Request("put", url, body, "json")

    return build


def api_post(url, body, content_type=None):
    def build(world: World) -> Request:
        data = body(world) if callable(body) else body
        if content_type:
            return Request("post", url, data, None, content_type)
        return Request("post", url, data, "json")

    return build


WEBHOOK = {"target_url": "https://hooks.carmaker-a.example/carbon", "event_types": ["footprint.changed"]}
PRODUCT = {"name": "HRC corpus", "material": "steel.hot_rolled_coil", "route": "bf_bof"}
PLANT = {"name": "Corpus works", "province": "HE"}


def just_over(limit: int, head: bytes = b"") -> bytes:
    return head + b"a" * (limit + 1 - len(head))


def xlsx_rows(world, **changes):
    return tabular_xlsx([declaration_row(world, **changes)])


RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
ZWJ = "\u200d"  # ZERO WIDTH JOINER
CYRILLIC_REGISTRATION = "EPD-\u0421N-2026-0001"  # the C is Cyrillic Es

# --- The corpus -------------------------------------------------------------------------------------------

CASES: list[Case] = [
    # The browser declaration form
    Case(
        "form-empty",
        "declaration-form",
        lambda w: Request("post", "/declarations/new/", {}),
        400,
        ("product", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "form-gwp-text",
        "declaration-form",
        form_post(gwp_a1_a3_kg_co2e="about 2000"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case(
        "form-gwp-1e309",
        "declaration-form",
        form_post(gwp_a1_a3_kg_co2e="1e309"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case("form-gwp-nan", "declaration-form", form_post(gwp_a1_a3_kg_co2e="NaN"), 400, ("gwp_a1_a3_kg_co2e",)),
    Case(
        "form-gwp-infinity",
        "declaration-form",
        form_post(gwp_a1_a3_kg_co2e="Infinity"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case(
        "form-gwp-1e-400",
        "declaration-form",
        form_post(gwp_a1_a3_kg_co2e="1e-400"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case(
        "form-gwp-negative",
        "declaration-form",
        form_post(gwp_a1_a3_kg_co2e="-2050"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case(
        "form-declared-amount-zero",
        "declaration-form",
        form_post(declared_amount="0"),
        400,
        ("declared_amount",),
    ),
    Case(
        "form-declared-amount-minus-zero",
        "declaration-form",
        form_post(declared_amount="-0"),
        400,
        ("declared_amount",),
    ),
    Case(
        "form-too-many-decimals",
        "declaration-form",
        form_post(gwp_a1_a3_kg_co2e="2050.1234567"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case("form-wrong-unit", "declaration-form", form_post(declared_unit="lb"), 400, ("declared_unit",)),
    Case("form-feb-30", "declaration-form", form_post(issue_date="2026-02-30"), 400, ("issue_date",)),
    Case("form-year-0", "declaration-form", form_post(issue_date="0000-01-01"), 400, ("issue_date",)),
    Case(
        "form-nul-in-registration",
        "declaration-form",
        form_post(registration_number="EPD\x00-1"),
        400,
        ("registration_number",),
    ),
    Case(
        "form-rtl-override", "declaration-form", form_post(verifier=f"CQC {RLO}fdp.exe"), 400, ("verifier",)
    ),
    Case(
        "form-cyrillic-registration",
        "declaration-form",
        form_post(registration_number=CYRILLIC_REGISTRATION),
        400,
        ("registration_number",),
    ),
    Case(
        "form-overlong-registration",
        "declaration-form",
        form_post(registration_number="E" * 101),
        400,
        ("registration_number",),
    ),
    Case(
        "form-pdf-not-pdf",
        "declaration-form",
        form_post(document=None)
        if False
        else (
            lambda w: Request(
                "post",
                "/declarations/new/",
                {
                    "product": w.product_id,
                    **DECLARATION,
                    "document": upload("epd.pdf", b"PK\x03\x04 a zip named pdf", "application/pdf"),
                },
            )
        ),
        400,
        ("document",),
    ),
    # The browser import page
    Case(
        "page-empty-csv",
        "import-page",
        page_import(BAD_TABULAR / "empty.csv", with_product=False),
        400,
        ("file", "empty"),
    ),
    Case(
        "page-exe",
        "import-page",
        page_import(lambda w: b"MZ\x90\x00", "epds.exe", with_product=False),
        400,
        ("file", "epds.exe"),
    ),
    Case(
        "page-bad-row",
        "import-page",
        page_import(BAD_TABULAR / "non_numeric_gwp.csv", with_product=False),
        400,
        ("row 3", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "page-openepd-without-product",
        "import-page",
        page_import(lambda w: openepd(), "epd.json", with_product=False),
        400,
        ("product",),
    ),
    Case("page-billion-laughs", "import-page", page_import(BAD / "billion_laughs.xml"), 400, ("file",)),
    # POST /api/v1/imports/ with CSV
    Case(
        "csv-empty",
        "api-import-csv",
        api_import(BAD_TABULAR / "empty.csv", with_product=False),
        400,
        ("file", "empty"),
    ),
    Case(
        "csv-binary",
        "api-import-csv",
        api_import(BAD_TABULAR / "binary.csv", with_product=False),
        400,
        ("file", "binary"),
    ),
    Case(
        "csv-header-only",
        "api-import-csv",
        api_import(BAD_TABULAR / "header_only.csv", with_product=False),
        400,
        ("file",),
    ),
    Case(
        "csv-ragged",
        "api-import-csv",
        api_import(BAD_TABULAR / "ragged_row.csv", with_product=False),
        400,
        ("row 2",),
    ),
    Case(
        "csv-unknown-column",
        "api-import-csv",
        api_import(BAD_TABULAR / "wrong_headers.csv", with_product=False),
        400,
        ("row 1", "Produkt"),
    ),
    Case(
        "csv-duplicate-rows",
        "api-import-csv",
        api_import(BAD_TABULAR / "registration_twice.csv", with_product=False),
        400,
        ("row 2", "registration_number"),
    ),
    Case(
        "csv-feb-30",
        "api-import-csv",
        api_import(BAD_TABULAR / "bad_date.csv", with_product=False),
        400,
        ("row 2", "issue_date"),
    ),
    Case(
        "csv-zero-amount",
        "api-import-csv",
        api_import(BAD_TABULAR / "zero_declared_amount.csv", with_product=False),
        400,
        ("row 2", "declared_amount"),
    ),
    Case(
        "csv-too-many-digits",
        "api-import-csv",
        api_import(BAD_TABULAR / "gwp_too_many_digits.csv", with_product=False),
        400,
        ("row 2", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "csv-unknown-unit",
        "api-import-csv",
        api_import(BAD_TABULAR / "unknown_unit.csv", with_product=False),
        400,
        ("row 2", "declared_unit"),
    ),
    Case(
        "csv-1e309",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, gwp_a1_a3_kg_co2e="1e309")]),
            "e.csv",
            with_product=False,
        ),
        400,
        ("row 2", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "csv-nan",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, gwp_a1_a3_kg_co2e="NaN")]), "e.csv", with_product=False
        ),
        400,
        ("row 2", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "csv-1e-400",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, gwp_a1_a3_kg_co2e="1e-400")]),
            "e.csv",
            with_product=False,
        ),
        400,
        ("row 2", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "csv-year-9999",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, issue_date="9999-12-31", valid_until="9999-12-31")]),
            "e.csv",
            with_product=False,
        ),
        400,
        ("row 2", "valid_until"),
    ),
    Case(
        "csv-year-0",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, issue_date="0000-01-01")]), "e.csv", with_product=False
        ),
        400,
        ("row 2", "issue_date"),
    ),
    Case(
        "csv-nul-byte",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, verifier="CQC\x00")]), "e.csv", with_product=False
        ),
        400,
        ("file", "binary"),
    ),
    Case(
        "csv-zero-width-joiner",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, programme_operator=f"EPD{ZWJ}China")]),
            "e.csv",
            with_product=False,
        ),
        400,
        ("row 2", "programme_operator"),
    ),
    Case(
        "csv-cyrillic-registration",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, registration_number=CYRILLIC_REGISTRATION)]),
            "e.csv",
            with_product=False,
        ),
        400,
        ("row 2", "registration_number"),
    ),
    Case(
        "csv-combining-marks",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, pcr="PCR" + "\u0301" * 30)]),
            "e.csv",
            with_product=False,
        ),
        400,
        ("row 2", "pcr"),
    ),
    Case(
        "csv-latin1",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w, verifier="Vérificateur Société")]).replace(
                "Vérificateur Société".encode(), "Vérificateur Société".encode("latin-1")
            ),
            "e.csv",
            with_product=False,
        ),
        400,
        ("file", "UTF-8"),
    ),
    Case(
        "csv-utf16-bom",
        "api-import-csv",
        api_import(
            lambda w: tabular_csv([declaration_row(w)], encoding="utf-16"), "e.csv", with_product=False
        ),
        400,
        ("file",),
    ),
    Case(
        "csv-oversize",
        "api-import-csv",
        api_import(lambda w: just_over(MAX_UPLOAD_BYTES), "big.csv", with_product=False),
        400,
        ("file", "20 MB"),
    ),
    Case(
        "csv-pdf-content-type",
        "api-import-csv",
        api_import(
            lambda w: b"%PDF-1.7\n%%EOF", "epds.csv", with_product=False, content_type="application/pdf"
        ),
        400,
        ("file",),
    ),
    # XLSX
    Case(
        "xlsx-corrupt",
        "api-import-xlsx",
        api_import(BAD_TABULAR / "corrupt.xlsx", with_product=False),
        400,
        ("file", "XLSX"),
    ),
    Case(
        "xlsx-zip-not-workbook",
        "api-import-xlsx",
        api_import(BAD_TABULAR / "zip_not_workbook.xlsx", with_product=False),
        400,
        ("file",),
    ),
    Case(
        "xlsx-csv-renamed",
        "api-import-xlsx",
        api_import(BAD_TABULAR / "non_numeric_gwp.csv", "epds.xlsx", with_product=False),
        400,
        ("file",),
    ),
    Case(
        "xlsx-negative-gwp",
        "api-import-xlsx",
        api_import(lambda w: xlsx_rows(w, gwp_a1_a3_kg_co2e=-2050), "e.xlsx", with_product=False),
        400,
        ("row 2", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "xlsx-mass-10e30",
        "api-import-xlsx",
        api_import(
            lambda w: xlsx_rows(w, declared_unit="piece", mass_kg_per_declared_unit=10**30),
            "e.xlsx",
            with_product=False,
        ),
        400,
        ("row 2", "mass_kg_per_declared_unit"),
    ),
    Case(
        "xlsx-percent-over-100",
        "api-import-xlsx",
        api_import(lambda w: xlsx_rows(w, recycled_content_pct=140), "e.xlsx", with_product=False),
        400,
        ("row 2", "recycled_content_pct"),
    ),
    Case(
        "xlsx-missing-gwp",
        "api-import-xlsx",
        api_import(lambda w: xlsx_rows(w, gwp_a1_a3_kg_co2e=None), "e.xlsx", with_product=False),
        400,
        ("row 2", "gwp_a1_a3_kg_co2e"),
    ),
    # openEPD JSON
    Case("openepd-empty", "api-import-openepd", api_import(BAD / "empty.json"), 400, ("file",)),
    Case("openepd-broken", "api-import-openepd", api_import(BAD / "broken.json"), 400, ("file",)),
    Case(
        "openepd-top-level-string",
        "api-import-openepd",
        api_import(BAD / "top_level_string.json"),
        400,
        ("file",),
    ),
    Case(
        "openepd-list-with-non-object",
        "api-import-openepd",
        api_import(BAD / "list_with_non_object.json"),
        400,
        ("file",),
    ),
    Case("openepd-pdf-renamed", "api-import-openepd", api_import(BAD / "pdf_renamed.json"), 400, ("file",)),
    Case("openepd-latin1", "api-import-openepd", api_import(BAD / "latin1.json"), 400, ("file",)),
    Case("openepd-nan", "api-import-openepd", api_import(BAD / "nan.json"), 400, ("file", "NaN")),
    Case(
        "openepd-gwp-wrong-unit", "api-import-openepd", api_import(BAD / "gwp_wrong_unit.json"), 400, ("gwp",)
    ),
    Case(
        "openepd-declared-unit-unknown",
        "api-import-openepd",
        api_import(BAD / "declared_unit_unknown.json"),
        400,
        ("declared_unit",),
    ),
    Case("openepd-bad-date", "api-import-openepd", api_import(BAD / "bad_date.json"), 400, ("date",)),
    Case(
        "openepd-no-product",
        "api-import-openepd",
        api_import(lambda w: openepd(), "epd.json", with_product=False),
        400,
        ("product",),
    ),
    Case(
        "openepd-lone-surrogate",
        "api-import-openepd",
        api_import(lambda w: openepd(product_name="x").replace(b'"x"', b'"\\ud800"'), "epd.json"),
        400,
        ("file",),
    ),
    Case(
        "openepd-1e309",
        "api-import-openepd",
        api_import(lambda w: openepd().replace(b'"mean": 2050', b'"mean": 1e309'), "epd.json"),
        400,
        ("gwp",),
    ),
    Case(
        "openepd-list-for-object",
        "api-import-openepd",
        api_import(lambda w: openepd(declared_unit=[1, "t"]), "epd.json"),
        400,
        ("declared_unit",),
    ),
    Case(
        "openepd-oversize",
        "api-import-openepd",
        api_import(lambda w: just_over(MAX_UPLOAD_BYTES, b"{"), "epd.json"),
        400,
        ("file", "20 MB"),
    ),
    # ILCD XML
    Case("ilcd-empty", "api-import-ilcd-xml", api_import(BAD / "empty.xml"), 400, ("file",)),
    Case("ilcd-malformed", "api-import-ilcd-xml", api_import(BAD / "malformed.xml"), 400, ("file",)),
    Case(
        "ilcd-billion-laughs", "api-import-ilcd-xml", api_import(BAD / "billion_laughs.xml"), 400, ("file",)
    ),
    Case(
        "ilcd-external-entity", "api-import-ilcd-xml", api_import(BAD / "external_entity.xml"), 400, ("file",)
    ),
    Case("ilcd-dtd", "api-import-ilcd-xml", api_import(BAD / "dtd.xml"), 400, ("file",)),
    Case("ilcd-not-xml", "api-import-ilcd-xml", api_import(BAD / "not_xml.xml"), 400, ("file",)),
    Case("ilcd-pdf-renamed", "api-import-ilcd-xml", api_import(BAD / "pdf_renamed.xml"), 400, ("file",)),
    Case("ilcd-gwp-not-number", "api-import-ilcd-xml", api_import(BAD / "gwp_not_number.xml"), 400, ("gwp",)),
    Case("ilcd-gwp-wrong-unit", "api-import-ilcd-xml", api_import(BAD / "gwp_wrong_unit.xml"), 400, ("gwp",)),
    Case(
        "ilcd-missing-a1a3",
        "api-import-ilcd-xml",
        api_import(BAD / "missing_a1a3.xml"),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case("ilcd-flow-dataset", "api-import-ilcd-xml", api_import(BAD / "flow_dataset.xml"), 400, ("file",)),
    Case(
        "ilcd-utf16-declared-utf8",
        "api-import-ilcd-xml",
        api_import(
            lambda w: (
                (FILES / "ilcd" / "environdec_S-P-01937.xml").read_bytes().decode("utf-8").encode("utf-16")
            ),
            "epd.xml",
        ),
        201 if False else 400,
        ("file",),
    ),
    # ILCD zip
    Case("zip-garbage", "api-import-ilcd-zip", api_import(BAD / "garbage.zip"), 400, ("file",)),
    Case("zip-nested", "api-import-ilcd-zip", api_import(BAD / "nested.zip"), 400, ("file",)),
    Case(
        "zip-nested-disguised",
        "api-import-ilcd-zip",
        api_import(BAD / "nested_disguised.zip"),
        400,
        ("file",),
    ),
    Case("zip-path-traversal", "api-import-ilcd-zip", api_import(BAD / "path_traversal.zip"), 400, ("file",)),
    Case("zip-absolute-path", "api-import-ilcd-zip", api_import(BAD / "absolute_path.zip"), 400, ("file",)),
    Case("zip-dtd-in-flow", "api-import-ilcd-zip", api_import(BAD / "dtd_in_flow.zip"), 400, ("file",)),
    Case("zip-no-processes", "api-import-ilcd-zip", api_import(BAD / "no_processes.zip"), 400, ("file",)),
    Case(
        "zip-bomb",
        "api-import-ilcd-zip",
        api_import(
            lambda w: zip_of({"processes/bomb.xml": b"<a>" + b" " * 120_000_000 + b"</a>"}), "bomb.zip"
        ),
        400,
        ("file",),
    ),
    Case(
        "zip-empty-archive",
        "api-import-ilcd-zip",
        api_import(lambda w: zip_of({}), "empty.zip"),
        400,
        ("file",),
    ),
    # Declaration create over the API
    Case(
        "api-create-string-for-number",
        "api-declaration-create",
        api_declaration_create(
            lambda w: {"product": w.product_id, **DECLARATION, "gwp_a1_a3_kg_co2e": "lots"}
        ),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case(
        "api-create-list-for-object",
        "api-declaration-create",
        api_declaration_create(lambda w: [{"product": w.product_id, **DECLARATION}]),
        400,
        ("non_field_errors",),
    ),
    Case(
        "api-create-missing-required",
        "api-declaration-create",
        api_declaration_create(lambda w: {"product": w.product_id}),
        400,
        ("registration_number", "gwp_a1_a3_kg_co2e"),
    ),
    Case(
        "api-create-nan-literal",
        "api-declaration-create",
        api_declaration_create(
            lambda w: json.dumps({"product": w.product_id, **DECLARATION}).replace('"2050"', "NaN").encode()
        ),
        400,
        ("JSON", "NaN"),
    ),
    Case(
        "api-create-infinity-literal",
        "api-declaration-create",
        api_declaration_create(
            lambda w: (
                json.dumps({"product": w.product_id, **DECLARATION}).replace('"2050"', "Infinity").encode()
            )
        ),
        400,
        ("JSON", "Infinity"),
    ),
    Case(
        "api-create-1e309",
        "api-declaration-create",
        api_declaration_create(
            lambda w: json.dumps({"product": w.product_id, **DECLARATION}).replace('"2050"', "1e309").encode()
        ),
        400,
        ("gwp_a1_a3_kg_co2e",),
    ),
    Case(
        "api-create-lone-surrogate",
        "api-declaration-create",
        api_declaration_create(
            lambda w: (
                json.dumps({"product": w.product_id, **DECLARATION, "verifier": "V"})
                .replace('"V"', '"\\ud800"')
                .encode()
            )
        ),
        400,
        ("verifier",),
    ),
    Case(
        "api-create-broken-json",
        "api-declaration-create",
        api_declaration_create(lambda w: b'{"product": 1, "registration_number": '),
        400,
        ("JSON",),
    ),
    Case(
        "api-create-unknown-product",
        "api-declaration-create",
        api_declaration_create(lambda w: {"product": 10**9, **DECLARATION}),
        400,
        ("product",),
    ),
    Case(
        "api-create-feb-30",
        "api-declaration-create",
        api_declaration_create(
            lambda w: {"product": w.product_id, **DECLARATION, "valid_until": "2030-02-30"}
        ),
        400,
        ("valid_until",),
    ),
    Case(
        "api-create-minus-zero-amount",
        "api-declaration-create",
        api_declaration_create(lambda w: {"product": w.product_id, **DECLARATION, "declared_amount": -0.0}),
        400,
        ("declared_amount",),
    ),
    Case(
        "api-create-rtl-in-operator",
        "api-declaration-create",
        api_declaration_create(
            lambda w: {"product": w.product_id, **DECLARATION, "programme_operator": f"EPD {RLO}anihC"}
        ),
        400,
        ("programme_operator",),
    ),
    Case(
        "api-create-xml-body",
        "api-declaration-create",
        lambda w: Request("post", "/api/v1/declarations/", b"<declaration/>", None, "application/xml"),
        415,
        ("application/xml",),
    ),
    # Declaration update over the API
    Case(
        "api-update-negative-mass",
        "api-declaration-update",
        api_declaration_update({"declared_unit": "piece", "mass_kg_per_declared_unit": "-3"}),
        400,
        ("mass_kg_per_declared_unit",),
    ),
    Case(
        "api-update-valid-before-issue",
        "api-declaration-update",
        api_declaration_update({"valid_until": "2020-01-01"}),
        400,
        ("valid_until",),
    ),
    Case(
        "api-update-percent-string",
        "api-declaration-update",
        api_declaration_update({"recycled_content_pct": [12]}),
        400,
        ("recycled_content_pct",),
    ),
    Case(
        "api-update-cyrillic-registration",
        "api-declaration-update",
        api_declaration_update({"registration_number": CYRILLIC_REGISTRATION}),
        400,
        ("registration_number",),
    ),
    Case(
        "api-update-unknown-standard",
        "api-declaration-update",
        api_declaration_update({"standard": "ISO 9001"}),
        400,
        ("standard",),
    ),
    Case(
        "api-update-too-many-decimals",
        "api-declaration-update",
        api_declaration_update({"declared_amount": "1.1234567"}),
        400,
        ("declared_amount",),
    ),
    Case(
        "api-update-put-missing-fields",
        "api-declaration-update",
        api_declaration_update({"gwp_a1_a3_kg_co2e": "2000"}, method="put"),
        400,
        ("registration_number",),
    ),
    # Products and plants
    Case(
        "product-unknown-material",
        "api-product-create",
        api_post("/api/v1/products/", {**PRODUCT, "material": "steel.unobtainium"}),
        400,
        ("material",),
    ),
    Case(
        "product-nul-name",
        "api-product-create",
        api_post("/api/v1/products/", {**PRODUCT, "name": "HRC\x00"}),
        400,
        ("name",),
    ),
    Case(
        "product-zero-width-name",
        "api-product-create",
        api_post("/api/v1/products/", {**PRODUCT, "name": f"HRC{ZWJ}Q235B"}),
        400,
        ("name",),
    ),
    Case(
        "product-overlong-name",
        "api-product-create",
        api_post("/api/v1/products/", {**PRODUCT, "name": "H" * 10_000}),
        400,
        ("name",),
    ),
    Case(
        "product-list-for-object",
        "api-product-create",
        api_post("/api/v1/products/", [PRODUCT]),
        400,
        ("non_field_errors",),
    ),
    Case(
        "plant-rtl-name",
        "api-plant-create",
        api_post("/api/v1/plants/", {**PLANT, "name": f"Works {RLO}gpj.exe"}),
        400,
        ("name",),
    ),
    Case(
        "plant-unknown-province",
        "api-plant-create",
        api_post("/api/v1/plants/", {**PLANT, "province": "XX"}),
        400,
        ("province",),
    ),
    Case(
        "plant-number-for-name",
        "api-plant-create",
        api_post("/api/v1/plants/", {**PLANT, "name": {"en": "x"}}),
        400,
        ("name",),
    ),
    # BOM files on the page
    Case("bom-page-empty", "bom-page", bom_page(lambda w: b""), 400, ("file",)),
    Case(
        "bom-page-negative-mass",
        "bom-page",
        bom_page(lambda w: bom_csv(w, [{"mass_kg": "-3"}])),
        400,
        ("mass_kg", "cannot be negative"),
    ),
    Case("bom-page-exe", "bom-page", bom_page(lambda w: b"MZ\x90\x00", "bom.exe"), 400, ("file",)),
    # BOM files over the API
    Case("bom-binary", "api-bom-import", api_bom_import(BAD_TABULAR / "binary.csv"), 400, ("file",)),
    Case(
        "bom-mass-10e30",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"mass_kg": "1" + "0" * 30}])),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-mass-nan",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"mass_kg": "NaN"}])),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-mass-infinity",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"mass_kg": "inf"}])),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-mass-1e309",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"mass_kg": "1e309"}])),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-unknown-material",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"material": "steel.unobtainium"}])),
        400,
        ("material",),
    ),
    Case(
        "bom-unknown-model",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"vehicle_model_external_id": "NOPE"}])),
        400,
        ("vehicle_model",),
    ),
    Case(
        "bom-nul-component",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"component": "Floor\x00panel"}])),
        400,
        ("file", "binary"),
    ),
    Case(
        "bom-rtl-component",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"component": f"Floor {RLO}lenap"}])),
        400,
        ("component",),
    ),
    Case(
        "bom-overlong-component",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"component": "C" * 151}])),
        400,
        ("component",),
    ),
    Case(
        "bom-share-too-precise",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{"share": "0.33333"}])),
        400,
        ("share",),
    ),
    Case(
        "bom-unknown-column",
        "api-bom-import",
        api_bom_import(lambda w: b"Colour,Component\nred,x\n"),
        400,
        ("Colour",),
    ),
    Case(
        "bom-utf16",
        "api-bom-import",
        api_bom_import(lambda w: bom_csv(w, [{}]).decode().encode("utf-16")),
        400,
        ("file",),
    ),
    Case(
        "bom-xlsx-wrong-type",
        "api-bom-import",
        api_bom_import(lambda w: bom_xlsx(w, [{"mass_kg": "heavy"}]), "bom.xlsx"),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-oversize",
        "api-bom-import",
        api_bom_import(lambda w: just_over(4096, bom_csv(w, [{}]))),
        400,
        ("file", "bom.csv"),
        (("accounting.bom_imports.MAX_BOM_FILE_BYTES", 4096),),
    ),
    Case(
        "bom-json-not-multipart",
        "api-bom-import",
        lambda w: Request("post", "/api/v1/boms/import/", {"lines": []}, "json"),
        415,
        ("application/json",),
    ),
    # The BOM as JSON
    Case("bom-put-empty", "api-bom-put", api_bom_put({"lines": []}), 400, ("lines",)),
    Case("bom-put-list-for-object", "api-bom-put", api_bom_put([bom_line()]), 400, ("non_field_errors",)),
    Case(
        "bom-put-string-mass",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(mass_kg="heavy")]}),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-put-negative-mass",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(mass_kg="-3")]}),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-put-mass-10e30",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(mass_kg="1" + "0" * 30)]}),
        400,
        ("mass_kg",),
    ),
    Case(
        "bom-put-nan",
        "api-bom-put",
        api_bom_put(json.dumps({"lines": [bom_line(mass_kg="M")]}).replace('"M"', "NaN").encode()),
        400,
        ("JSON", "NaN"),
    ),
    Case(
        "bom-put-unknown-system",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(system="roof_rack")]}),
        400,
        ("system",),
    ),
    Case(
        "bom-put-unknown-field",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(colour="red")]}),
        400,
        ("colour",),
    ),
    Case(
        "bom-put-zero-width-component",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(component=f"Floor{ZWJ}panel")]}),
        400,
        ("component",),
    ),
    Case(
        "bom-put-lone-surrogate",
        "api-bom-put",
        api_bom_put(json.dumps({"lines": [bom_line(component="C")]}).replace('"C"', '"\\ud800"').encode()),
        400,
        ("component",),
    ),
    Case(
        "bom-put-duplicate-lines",
        "api-bom-put",
        api_bom_put({"lines": [bom_line(share="0.6", supplier_product=None), bom_line(share="0.6")]}),
        400,
        ("share",),
    ),
    # Webhook subscriptions
    Case(
        "webhook-http",
        "api-webhook-create",
        api_post(
            "/api/v1/webhook-subscriptions/",
            {**WEBHOOK, "target_url": "http://hooks.carmaker-a.example/carbon"},
        ),
        400,
        ("target_url",),
    ),
    Case(
        "webhook-localhost",
        "api-webhook-create",
        api_post("/api/v1/webhook-subscriptions/", {**WEBHOOK, "target_url": "https://127.0.0.1/carbon"}),
        400,
        ("target_url",),
    ),
    Case(
        "webhook-unknown-event",
        "api-webhook-create",
        api_post("/api/v1/webhook-subscriptions/", {**WEBHOOK, "event_types": ["everything"]}),
        400,
        ("event_types",),
    ),
    Case(
        "webhook-threshold-1e309",
        "api-webhook-create",
        api_post(
            "/api/v1/webhook-subscriptions/",
            lambda w: json.dumps({**WEBHOOK, "threshold_pct": "T"}).replace('"T"', "1e309").encode(),
            "application/json",
        ),
        400,
        ("threshold_pct",),
    ),
    Case(
        "webhook-negative-threshold",
        "api-webhook-create",
        api_post("/api/v1/webhook-subscriptions/", {**WEBHOOK, "threshold_kg_co2e": "-1"}),
        400,
        ("threshold_kg_co2e",),
    ),
    Case(
        "webhook-rtl-description",
        "api-webhook-create",
        api_post("/api/v1/webhook-subscriptions/", {**WEBHOOK, "description": f"ops {RLO}exe.txt"}),
        400,
        ("description",),
    ),
    Case(
        "webhook-string-for-list",
        "api-webhook-create",
        api_post("/api/v1/webhook-subscriptions/", {**WEBHOOK, "event_types": "footprint.changed"}),
        400,
        ("event_types",),
    ),
]
