"""BOM files: the columns of a bill-of-materials CSV or XLSX, its templates, and reading one into text cells.

No database access here: `read_bom_file` turns the bytes of an upload into a DataFrame of stripped text
cells, one column per field, indexed by spreadsheet row number (header = row 1). Checking the cells
against the database is the job of `accounting.bom_imports`.
"""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disclosures.importers import ImportFileError
from disclosures.importers.tabular import (
    HEADER_ROW,
    Column,
    read_rows,
    template_csv_of,
    template_xlsx_of,
)

# A carmaker's whole fleet in one file is legitimately large: 1.2 million lines are 80-100 MB of CSV,
# far above the 20 MB cap of a supplier's declaration upload. 200 MB leaves room for long component names.
MAX_BOM_FILE_BYTES = 200_000_000
# openpyxl reads a few tens of thousands of rows a second and keeps the whole sheet in memory, so an XLSX
# BOM may unpack to 300 MB (about 400,000 lines); larger BOMs go as CSV.
MAX_BOM_XLSX_UNPACKED_BYTES = 300_000_000
# Lines in one file: the 8,000-model fleet of the reference platform has about 1.4 million.
MAX_BOM_LINES = 3_000_000

MODEL_FIELDS = ("vehicle_model_external_id", "vehicle_model_id")
COLUMNS = [
    Column("vehicle_model_external_id", "Vehicle model external id", "车型外部编号", "model"),
    Column("vehicle_model_id", "Vehicle model id", "车型ID", "model"),
    Column("component", "Component", "零部件", "text", True),
    Column("system", "System", "系统", "system", True),
    Column("material", "Material code", "材料代码", "material", True),
    Column("mass_kg", "Mass (kg)", "质量（千克）", "non_negative", True),
    Column("supplier_product_id", "Supplier product id", "供应商产品ID", "link"),
    Column("epd_registration_number", "EPD registration number", "EPD注册号", "link"),
    Column("share", "Share of the component (0-1)", "份额（0-1）", "share"),
]
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
# What each column holds, as the import page explains it.
COLUMN_HELP = {
    "vehicle_model_external_id": gettext_lazy(
        "Your external id of the vehicle model. Or leave it empty and give the platform's id in "
        "vehicle_model_id: one of the two is required, and when both are given they must agree."
    ),
    "vehicle_model_id": gettext_lazy("The platform's id of the vehicle model."),
    "component": gettext_lazy("The component's name."),
    "system": gettext_lazy(
        "body_in_white, closures, chassis, powertrain, battery_enclosure, wheels, interior, electrical, "
        "thermal or other."
    ),
    "material": gettext_lazy("The material code, such as steel.hot_rolled_coil or aluminium.extrusion."),
    "mass_kg": gettext_lazy("The component's mass in kg, zero or more; kept to four decimals."),
    "supplier_product_id": gettext_lazy(
        "The supplier product the line is bought as, by its id; its material must be the line's."
    ),
    "epd_registration_number": gettext_lazy(
        "Or the registration number of one of the product's EPDs instead of its id. Leave both empty for "
        "a line without supplier data."
    ),
    "share": gettext_lazy(
        "For a component bought from several suppliers: one line per supplier with the same component, "
        "material and mass, each with its share (more than 0, at most 1, four decimals); the shares add "
        "up to 1."
    ),
}

# A 60/40 multi-sourced floor panel, one line linked through an EPD and an unlinked one.
_EXAMPLE_ROWS = [
    [
        "MY-SUV-2026-BEV",
        "",
        "Floor panel",
        "body_in_white",
        "steel.hot_dip_galvanized",
        "42.5",
        "17",
        "",
        "0.6",
    ],
    [
        "MY-SUV-2026-BEV",
        "",
        "Floor panel",
        "body_in_white",
        "steel.hot_dip_galvanized",
        "42.5",
        "23",
        "",
        "0.4",
    ],
    [
        "MY-SUV-2026-BEV",
        "",
        "Battery tray",
        "battery_enclosure",
        "aluminium.extrusion",
        "38",
        "",
        "EPD-CN-2026-0001",
        "",
    ],
    ["MY-SUV-2026-BEV", "", "Seat frames", "interior", "steel.cold_rolled_coil", "21.75", "", "", ""],
]


TEMPLATE_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def template_file(fmt: str) -> bytes:
    """The template in one of TEMPLATE_CONTENT_TYPES' formats: bilingual headers and example lines."""
    if fmt == "xlsx":
        return template_xlsx_of(COLUMNS, _EXAMPLE_ROWS, sheet_name="bom")
    return template_csv_of(COLUMNS, _EXAMPLE_ROWS)


def read_bom_file(data: bytes) -> pd.DataFrame:
    """The lines of a BOM file as stripped text, every column of COLUMNS present (absent ones empty),
    indexed by spreadsheet row number. A file that cannot be read as a whole raises `ImportFileError`."""
    cells = read_rows(
        data,
        COLUMNS,
        max_bytes=MAX_BOM_FILE_BYTES,
        max_unpacked_bytes=MAX_BOM_XLSX_UNPACKED_BYTES,
        max_rows=MAX_BOM_LINES,
    )
    if not any(field in cells.columns for field in MODEL_FIELDS):
        raise ImportFileError(
            _("Name each line's vehicle model: add the column '%(external)s' or '%(id)s'.")
            % {
                "external": COLUMN_BY_FIELD["vehicle_model_external_id"].name,
                "id": COLUMN_BY_FIELD["vehicle_model_id"].name,
            },
            location=f"row {HEADER_ROW}",
        )
    cells = cells.reindex(columns=[column.field for column in COLUMNS], fill_value="")
    cells.index = cells.index + HEADER_ROW + 1
    cells.index.name = "row"
    return cells
