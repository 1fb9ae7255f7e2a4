"""BOM import: a carmaker's CSV or XLSX file replaces the BOM of every model it names, all or nothing.

Every check is a column operation over the whole file, and lookups (models, systems, materials, products,
EPD registration numbers) go through the file's distinct values, never a Python loop per line. Each
problem becomes a row error naming the spreadsheet row (header = row 1) and the column; any error refuses
the whole file. A clean file is written in one transaction: one DELETE of the named models' old lines, one
COPY of the new ones (PostgreSQL; one executemany elsewhere), the models' `bom_updated_at`, one audit event
per model and one recompute run for all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carbon_platform.api import ApplicationError
from carbon_platform.bulk import insert_frame
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.models import Organisation
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record_many
from carbon_platform.text import text_problem
from disclosures.choices import DeclarationStatus
from disclosures.importers import ImportFileError
from disclosures.models import Declaration, Product

from .bom_files import COLUMN_BY_FIELD, MAX_BOM_FILE_BYTES, read_bom_file
from .choices import RollupTrigger, VehicleSystem
from .engine import SHARE_TOLERANCE  # what the rollup accepts, so an imported BOM always rolls up
from .models import BomLine, Material, VehicleModel
from .services import recompute_enqueue

MAX_REPORTED_ERRORS = 200  # the answer lists the first errors by row and counts them all
# mass_kg and share are kept with four decimals; from here on they are whole ten-thousandths, so the sums
# the audit trail records are exact and equal to what the table holds.
UNITS_PER_ONE = 10_000
MASS_LIMIT_KG = 10**10  # numeric(14, 4): ten digits before the point
COMPONENT_MAX_LENGTH = BomLine._meta.get_field("component").max_length
LINE_COLUMNS = [
    "vehicle_model_id",
    "component",
    "system",
    "material_id",
    "mass_kg",
    "supplier_product_id",
    "share",
]


@dataclass(frozen=True)
class RowError:
    row: int | None  # spreadsheet row, header = 1; None when the problem is not on one row
    field: str  # the column's field name (e.g. "mass_kg"), or the header as written for a header problem
    message: str


class BomImportError(ApplicationError):
    """The file was refused and nothing was saved; `errors` holds the first MAX_REPORTED_ERRORS by row."""

    def __init__(self, message: str, *, errors: list[RowError], error_count: int):
        super().__init__(message, field="file")
        self.errors = errors
        self.error_count = error_count

    def body(self) -> dict:
        return {
            **super().body(),
            "error_count": self.error_count,
            "errors": [asdict(error) for error in self.errors],
        }


@dataclass(frozen=True)
class BomImportResult:
    models_replaced: int
    lines_written: int
    lines_deleted: int
    vehicle_model_ids: list[int]
    rollup_run_id: int | None


def bom_import(*, actor, upload) -> BomImportResult:
    """Replace the BOM of every vehicle model an uploaded CSV or XLSX file names by the file's lines for it.

    Only the uploader's own models; models the file does not name keep their BOM. All or nothing: any bad
    row raises `BomImportError` with the row errors, and nothing is saved."""
    organisation = organisation_of(actor)
    if organisation is None or organisation.kind != OrganisationKind.CARMAKER:
        raise ApplicationError(_("Only carmakers import BOMs."), status_code=403)
    if upload.size > MAX_BOM_FILE_BYTES:
        raise ApplicationError(
            _("%(name)s is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"name": upload.name, "size": upload.size / 1e6, "limit": MAX_BOM_FILE_BYTES / 1e6},
            field="file",
        )
    try:
        cells = read_bom_file(upload.read())
    except ImportFileError as error:
        row = re.fullmatch(r"row (\d+)", error.location or "")
        raise BomImportError(
            _("The file cannot be imported: %(reason)s") % {"reason": error.message},
            errors=[RowError(int(row.group(1)) if row else None, error.column, error.message)],
            error_count=1,
        ) from error
    lines, errors = bom_lines_check(cells=cells, organisation=organisation)
    if errors.count:
        raise BomImportError(
            ngettext(
                "The file has %(count)d error; nothing was saved.",
                "The file has %(count)d errors; nothing was saved.",
                errors.count,
            )
            % {"count": errors.count},
            errors=errors.first(MAX_REPORTED_ERRORS),
            error_count=errors.count,
        )
    return bom_lines_replace(actor=actor, organisation=organisation, lines=lines, source=upload.name)


class RowErrors:
    """Row errors gathered a check at a time, each check a boolean mask over the file's lines.

    A message may hold %(name)s placeholders filled from per-line parameters; it is formatted only for
    the errors that are reported, so a file that is wrong on every line costs no loop over its lines."""

    def __init__(self, rows: pd.Index):
        self._rows = rows.to_numpy()
        self._parts: list[tuple[np.ndarray, str, str, pd.DataFrame | None]] = []

    def add(self, mask: pd.Series, field: str, message: str, params: dict[str, pd.Series] | None = None):
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        values = None
        if params is not None:
            values = pd.DataFrame({name: np.asarray(series)[mask] for name, series in params.items()})
        self._parts.append((self._rows[mask], field, message, values))

    @property
    def count(self) -> int:
        return sum(len(rows) for rows, _field, _message, _values in self._parts)

    def first(self, limit: int) -> list[RowError]:
        """The first `limit` errors by row; on one row, in the order of the columns."""
        if not self._parts:
            return []
        order = (
            pd.DataFrame(
                {
                    "row": np.concatenate([part[0] for part in self._parts]),
                    "part": np.concatenate([np.full(len(part[0]), n) for n, part in enumerate(self._parts)]),
                    "position": np.concatenate([np.arange(len(part[0])) for part in self._parts]),
                }
            )
            .sort_values(["row", "part"], kind="stable")
            .head(limit)
        )
        reported = []
        for row, part, position in order.itertuples(index=False):
            _rows, field, message, values = self._parts[part]
            text = message if values is None else message % values.iloc[position].to_dict()
            reported.append(RowError(int(row), field, text))
        return reported


def bom_lines_check(*, cells: pd.DataFrame, organisation: Organisation) -> tuple[pd.DataFrame, RowErrors]:
    """Check every cell of a read BOM file and resolve its models, systems, materials and products.

    Returns the lines as table rows (vehicle_model_id, component, system, material_id, mass_kg,
    supplier_product_id, share; meaningful only when there are no errors) and the row errors."""
    errors = RowErrors(cells.index)
    empty = cells == ""
    for field in ("component", "system", "material", "mass_kg"):
        errors.add(
            empty[field], field, _("%(column)s is required.") % {"column": COLUMN_BY_FIELD[field].name}
        )
    model_id = _vehicle_models(cells, empty, organisation, errors)
    errors.add(
        cells["component"].str.len() > COMPONENT_MAX_LENGTH,
        "component",
        _("The component name is longer than %(limit)d characters.") % {"limit": COMPONENT_MAX_LENGTH},
    )
    component_problem = cells["component"].map(text_problem)
    errors.add(component_problem.notna(), "component", "%(problem)s", {"problem": component_problem})
    system = _vehicle_systems(cells, empty, errors)
    codes = dict(Material.objects.values_list("code", "id"))
    material_id = _lookup(cells["material"], codes, normalise=str.lower)
    errors.add(
        ~empty["material"] & material_id.isna(),
        "material",
        _("'%(value)s' is not a material code of the taxonomy, such as steel.hot_rolled_coil."),
        {"value": cells["material"]},
    )
    mass_kg = _decimal_column(cells, empty, "mass_kg", errors)
    errors.add(mass_kg < 0, "mass_kg", _("'%(value)s' cannot be negative."), {"value": cells["mass_kg"]})
    errors.add(
        mass_kg >= MASS_LIMIT_KG,
        "mass_kg",
        _("'%(value)s' kg is more than a BOM line can hold."),
        {"value": cells["mass_kg"]},
    )
    share = _decimal_column(cells, empty, "share", errors)
    out_of_range = (share <= 0) | (share > 1)
    errors.add(
        out_of_range,
        "share",
        _("'%(value)s' is not a share: a share is more than 0 and at most 1."),
        {"value": cells["share"]},
    )
    scaled = share * UNITS_PER_ONE
    too_precise = ~out_of_range & ((scaled - np.rint(scaled)).abs() > 1e-6)
    errors.add(
        too_precise, "share", _("'%(value)s' has more than 4 decimal places."), {"value": cells["share"]}
    )
    share = share.where(~(out_of_range | too_precise))
    product_id = _supplier_products(cells, empty, material_id, {v: k for k, v in codes.items()}, errors)
    _check_shares(cells, model_id, material_id, share, errors)
    lines = pd.DataFrame(
        {
            "vehicle_model_id": model_id,
            "component": cells["component"],
            "system": system,
            "material_id": material_id,
            "mass_kg": np.rint(mass_kg * UNITS_PER_ONE) / UNITS_PER_ONE,
            "supplier_product_id": product_id,
            "share": np.rint(share * UNITS_PER_ONE) / UNITS_PER_ONE,
        }
    )
    return lines, errors


def _lookup(cells: pd.Series, mapping: dict, *, normalise: Callable[[str], str] | None = None) -> pd.Series:
    """Each cell's value in `mapping`, NaN where it has none; looked up once per distinct cell."""
    codes, distinct = pd.factorize(cells.to_numpy())
    keys = pd.Series(
        distinct if normalise is None else [normalise(value) for value in distinct], dtype=object
    )
    found = keys.map(mapping).to_numpy()
    return pd.Series(found[codes] if len(found) else np.full(len(cells), np.nan), index=cells.index)


def _whole_numbers(cells: pd.Series) -> pd.Series:
    """Cells holding a whole number >= 0 (an id), as floats; NaN for empty cells and anything else."""
    numbers = pd.to_numeric(cells, errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers) & (numbers >= 0) & (numbers % 1 == 0))


def _decimal_column(cells: pd.DataFrame, empty: pd.DataFrame, field: str, errors: RowErrors) -> pd.Series:
    """A column of numbers as floats (NaN where empty); a cell that is no finite number is an error."""
    numbers = pd.to_numeric(cells[field], errors="coerce").astype(float)
    numbers = numbers.where(np.isfinite(numbers))
    errors.add(
        ~empty[field] & numbers.isna(), field, _("'%(value)s' is not a number."), {"value": cells[field]}
    )
    return numbers


def _vehicle_models(cells, empty, organisation: Organisation, errors: RowErrors) -> pd.Series:
    """Each line's model id, by external id or by id, among the uploader's own models only."""
    external, given_id = cells["vehicle_model_external_id"], cells["vehicle_model_id"]
    owned = dict(VehicleModel.objects.filter(carmaker=organisation).values_list("external_id", "id"))
    by_external = _lookup(external, owned)
    numbers = _whole_numbers(given_id)
    by_id = numbers.where(numbers.isin(list(owned.values())))
    errors.add(
        empty["vehicle_model_external_id"] & empty["vehicle_model_id"],
        "vehicle_model_external_id",
        _("Name the line's vehicle model by its external id or its id."),
    )
    errors.add(
        ~empty["vehicle_model_external_id"] & by_external.isna(),
        "vehicle_model_external_id",
        _("Your organisation has no vehicle model with the external id '%(value)s'."),
        {"value": external},
    )
    errors.add(
        ~empty["vehicle_model_id"] & numbers.isna(),
        "vehicle_model_id",
        _("'%(value)s' is not an id (a whole number)."),
        {"value": given_id},
    )
    errors.add(
        numbers.notna() & by_id.isna(),
        "vehicle_model_id",
        _("Your organisation has no vehicle model with the id %(value)s."),
        {"value": given_id},
    )
    errors.add(
        by_external.notna() & by_id.notna() & (by_external != by_id),
        "vehicle_model_id",
        _("Vehicle model %(value)s is not the model with the external id '%(external)s'."),
        {"value": given_id, "external": external},
    )
    return by_external.fillna(by_id)


def _vehicle_systems(cells, empty, errors: RowErrors) -> pd.Series:
    """The system's value, given as the value ("body_in_white") or its English name ("Body in white")."""
    with translation.override("en"):
        systems = {str(label).lower(): value for value, label in VehicleSystem.choices}
    systems.update({value: value for value in VehicleSystem.values})
    system = _lookup(cells["system"], systems, normalise=lambda text: " ".join(text.split()).lower())
    message = _("'%(value)s' is not a vehicle system; use one of: %(systems)s.")
    errors.add(
        ~empty["system"] & system.isna(),
        "system",
        message % {"value": "%(value)s", "systems": ", ".join(VehicleSystem.values)},
        {"value": cells["system"]},
    )
    return system


def _supplier_products(cells, empty, material_id, material_codes: dict, errors: RowErrors) -> pd.Series:
    """Each line's supplier product, by product id or by the registration number of one of its EPDs.

    Registration numbers of drafts do not count (a draft is its supplier's private business); a number
    whose declarations belong to more than one product is ambiguous. The product's material must be the
    line's material."""
    by_id_cells, number_cells = cells["supplier_product_id"], cells["epd_registration_number"]
    linked_by_id, linked_by_number = ~empty["supplier_product_id"], ~empty["epd_registration_number"]
    errors.add(
        linked_by_id & linked_by_number,
        "epd_registration_number",
        _("Link the line by supplier product id or by EPD registration number, not both."),
    )
    product_materials = dict(Product.objects.values_list("id", "material_id"))
    numbers = _whole_numbers(by_id_cells)
    by_id = numbers.where(numbers.isin(list(product_materials)))
    errors.add(
        linked_by_id & numbers.isna(),
        "supplier_product_id",
        _("'%(value)s' is not an id (a whole number)."),
        {"value": by_id_cells},
    )
    errors.add(
        numbers.notna() & by_id.isna(),
        "supplier_product_id",
        _("No supplier product has the id %(value)s."),
        {"value": by_id_cells},
    )
    by_number = pd.Series(np.nan, index=cells.index)
    if linked_by_number.any():
        pairs = pd.DataFrame.from_records(
            list(
                Declaration.objects.exclude(status=DeclarationStatus.DRAFT)
                .values_list("registration_number", "product_id")
                .distinct()
            ),
            columns=["number", "product_id"],
        )
        products_per_number = pairs.groupby("number")["product_id"].nunique()
        ambiguous = number_cells.isin(set(products_per_number.index[products_per_number > 1]))
        unambiguous = pairs.drop_duplicates("number").set_index("number")["product_id"].to_dict()
        by_number = _lookup(number_cells, unambiguous).where(~ambiguous)
        errors.add(
            ambiguous,
            "epd_registration_number",
            _(
                "The EPD registration number %(value)s belongs to declarations of several products; "
                "link the line by supplier product id instead."
            ),
            {"value": number_cells},
        )
        errors.add(
            linked_by_number & ~ambiguous & by_number.isna(),
            "epd_registration_number",
            _("No declaration has the registration number %(value)s."),
            {"value": number_cells},
        )
    product_id = by_id.fillna(by_number)
    product_material = product_id.map(product_materials)
    mismatch = product_material.notna() & material_id.notna() & (product_material != material_id)
    if mismatch.any():
        params = {
            "value": by_id_cells.where(linked_by_id, number_cells),
            "product_material": product_material.map(material_codes),
            "material": cells["material"],
        }
        errors.add(
            mismatch & linked_by_id,
            "supplier_product_id",
            _("Supplier product %(value)s is %(product_material)s, not %(material)s."),
            params,
        )
        errors.add(
            mismatch & ~linked_by_id,
            "epd_registration_number",
            _("The product of EPD %(value)s is %(product_material)s, not %(material)s."),
            params,
        )
    return product_id


def _check_shares(cells, model_id, material_id, share, errors: RowErrors) -> None:
    """The valid shares of a multi-sourced component (same model, component and material) add up to 1."""
    shared = share.notna() & model_id.notna() & material_id.notna()
    if not shared.any():
        return
    keyed = pd.DataFrame(
        {
            "model_id": model_id[shared],
            "component": cells["component"][shared],
            "material_id": material_id[shared],
            "share": share[shared],
        }
    )
    totals = keyed.groupby(["model_id", "component", "material_id"], sort=False)["share"].transform("sum")
    total = pd.Series(np.nan, index=cells.index)
    total[totals.index] = totals.round(6)
    errors.add(
        (total - 1).abs() > SHARE_TOLERANCE,
        "share",
        _("The shares of component '%(component)s' (%(material)s) in this model add up to %(total)s, not 1."),
        {"component": cells["component"], "material": cells["material"], "total": total},
    )


def _ids_in(column: str, ids: list[int]) -> tuple[str, list]:
    """A WHERE condition on many ids: one array parameter on PostgreSQL, a parameter list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def bom_lines_replace(
    *, actor, organisation: Organisation, lines: pd.DataFrame, source: str
) -> BomImportResult:
    """Write checked lines in one transaction: every model they name loses its old lines and gets these.

    The models are locked in id order (as the rollup's writes lock them), so an import and a recompute
    never deadlock; an audit event per model records its line count and mass before and after."""
    lines = lines[LINE_COLUMNS].astype(
        {"vehicle_model_id": "int64", "material_id": "int64", "supplier_product_id": "Int64"}
    )
    mass_units = np.rint(lines["mass_kg"].to_numpy() * UNITS_PER_ONE).astype("int64")
    after = (
        pd.DataFrame({"model_id": lines["vehicle_model_id"].to_numpy(), "units": mass_units})
        .groupby("model_id")["units"]
        .agg(["size", "sum"])
    )
    model_ids = [int(model_id) for model_id in after.index]
    with transaction.atomic():
        list(
            VehicleModel.objects.select_for_update()
            .filter(id__in=model_ids)
            .order_by("id")
            .values_list("id", flat=True)
        )
        before = {
            model_id: (count, mass)
            for model_id, count, mass in BomLine.objects.filter(vehicle_model_id__in=model_ids)
            .values("vehicle_model_id")
            .annotate(count=Count("id"), mass=Sum("mass_kg"))
            .values_list("vehicle_model_id", "count", "mass")
        }
        condition, params = _ids_in("vehicle_model_id", model_ids)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {BomLine._meta.db_table} WHERE {condition}", params)
            deleted = cursor.rowcount
        written = insert_frame(BomLine._meta.db_table, lines)
        VehicleModel.objects.filter(id__in=model_ids).update(bom_updated_at=timezone.now())
        entries = []
        for model_id, count, units in after.itertuples(name=None):  # one event per model, not per line
            count_before, mass_before = before.get(model_id, (0, Decimal(0)))
            entries.append(
                (
                    VehicleModel(pk=model_id),
                    {"bom": {"lines": count_before, "mass_kg": f"{mass_before or 0:.4f}"}},
                    {
                        "bom": {
                            "lines": int(count),
                            "mass_kg": f"{Decimal(int(units)).scaleb(-4):.4f}",
                            "file": source,
                        }
                    },
                )
            )
        audit_record_many(actor=actor, organisation=organisation, action=AuditAction.UPDATED, entries=entries)
        run = recompute_enqueue(
            model_ids=model_ids,
            trigger=RollupTrigger.BOM_CHANGED,
            # Not the file's name: runs and their causes are public, the carmaker's files are not (the
            # name is in the carmaker's audit events).
            trigger_object="bom_import",
        )
    return BomImportResult(
        models_replaced=len(model_ids),
        lines_written=written,
        lines_deleted=deleted,
        vehicle_model_ids=model_ids,
        rollup_run_id=run.pk if run else None,
    )
