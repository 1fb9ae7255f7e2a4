"""openEPD JSON (Building Transparency / EC3): one EPD object, or a JSON list of them, into declaration drafts.

The `openepd` package validates each document's structure (`Epd`, or `IndustryEpd` for `openIndustryEpd`);
its errors become record errors naming the JSON path. The package does not check units, so this module does:

* GWP is read from one LCIA method only, never mixed: the first of `METHOD_PREFERENCE` the document has a
  `gwp` for, else the first method in the document with one (EN 15804+A2's EF 3.x first, then plain IPCC
  GWP100, then TRACI, then CML). Each module's unit must be kg CO2e; t CO2e is multiplied by 1000; anything
  else (kg CO2, unitless) is an error on that module's field naming the JSON path. Modules: A1A2A3 -> A1-A3
  (or A1 + A2 + A3 when the document splits them and gives all three), A4, C1..C4, D.
* The declared unit maps to kg or t (g, lb and short tons are converted to kg explicitly), m2, or piece
  (item, unit, pcs); any other unit (m3, m, ...) is expressed as its mass in kg from `kg_per_declared_unit`,
  or is an error when the document gives no mass. A document with no declared unit but a
  `kg_per_declared_unit` (typical of industry-wide EPDs) declares per that mass of product.
  `mass_kg_per_declared_unit` is kilograms per ONE unit (per m2, per piece): `kg_per_declared_unit`, which
  openEPD gives per whole declared unit (qty x unit), divided by the declared quantity; an m2 or piece
  declaration without it is an error on `mass_kg_per_declared_unit`.
* Registration number: `program_operator_doc_id` (the programme operator's EPD number, what is printed on
  the EPD), else the openEPD `id`, else `declaration_url`; `info["registration_number_source"]` says which.
* Dates: `date_of_issue` and `valid_until` as written (the calendar date of the timestamp in its own offset).
* Programme operator: `program_operator.name`; verifier: `third_party_verifier.name`, with the person
  `third_party_verifier_name` in brackets when both are given; PCR: `pcr.name`; `info` carries the
  manufacturer (`manufacturer`, or an industry EPD's `manufacturers`) and the product name (`product_name`,
  or an industry EPD's `name`).
* Standard: EN 15804+A2 when a compliance standard or the PCR names "EN 15804+A2", or names EN 15804 and the
  GWP comes from EF 3.0/3.1; else GB/T 24067, ISO 14067, ISO 14025 when named; else left unset.

GWP and mass values are rounded to the 6 decimal places the database keeps (declared amount: 4).
Locations: "<file>" for a single object, "<file>[i]" (0-based, as in a JSON path) for list items.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pydantic
from django.utils.translation import gettext as _
from openepd.model.epd import Epd
from openepd.model.industry_epd import IndustryEpd

from ..choices import DeclaredUnit, Standard
from . import MAX_RECORDS, ImportFileError, ParsedRecord
from ._safe import check_upload_size, co2e_factor, fit_places, to_decimal

METHOD_PREFERENCE = (
    "EF 3.1",
    "EF 3.0",
    "IPCC AR6",
    "IPCC AR5",
    "EF 2.0",
    "TRACI 2.2",
    "TRACI 2.1",
    "TRACI 2.0",
    "TRACI 1.0",
    "CML 2016",
    "CML 2012",
    "CML 2007",
    "CML 2001",
    "CML 1992",
)
# openEPD scope -> Declaration field
MODULE_FIELDS = {
    "A1A2A3": "gwp_a1_a3_kg_co2e",
    "A4": "gwp_a4_kg_co2e",
    "C1": "gwp_c1_kg_co2e",
    "C2": "gwp_c2_kg_co2e",
    "C3": "gwp_c3_kg_co2e",
    "C4": "gwp_c4_kg_co2e",
    "D": "gwp_d_kg_co2e",
}
# Top-level openEPD key -> the Declaration field an error in it blocks.
_FIELD_OF_KEY = {
    "date_of_issue": "issue_date",
    "valid_until": "valid_until",
    "declared_unit": "declared_unit",
    "kg_per_declared_unit": "mass_kg_per_declared_unit",
    "program_operator_doc_id": "registration_number",
    "id": "registration_number",
    "declaration_url": "registration_number",
    "program_operator": "programme_operator",
    "third_party_verifier": "verifier",
    "third_party_verifier_name": "verifier",
    "pcr": "pcr",
    "compliance": "standard",
}
_KG_PER_MASS_UNIT = {
    "kg": Decimal(1),
    "kgs": Decimal(1),
    "kilogram": Decimal(1),
    "kilograms": Decimal(1),
    "g": Decimal("0.001"),
    "gram": Decimal("0.001"),
    "grams": Decimal("0.001"),
    "t": Decimal(1000),
    "tonne": Decimal(1000),
    "tonnes": Decimal(1000),
    "metricton": Decimal(1000),
    "metrictons": Decimal(1000),
    "lb": Decimal("0.45359237"),
    "lbs": Decimal("0.45359237"),
    "pound": Decimal("0.45359237"),
    "pounds": Decimal("0.45359237"),
    "shortton": Decimal("907.18474"),
    "shorttons": Decimal("907.18474"),
}
_AREA_UNITS = {"m2", "m^2", "m²", "sqm", "squaremetre", "squaremeter", "squaremetres", "squaremeters"}
_COUNT_UNITS = {"item", "items", "piece", "pieces", "pc", "pcs", "unit", "units", "ea", "each"}
_AMOUNT_TEXT = re.compile(r"^\s*(?P<qty>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>\S.*?)\s*$")
_DOCTYPES = {"openepd": "epd", "openindustryepd": "industry_epd"}


def parse_openepd(data: bytes, *, filename: str) -> list[ParsedRecord]:
    """The EPD objects of an openEPD JSON file -> one record each; file-level problems raise ImportFileError."""
    check_upload_size(data)
    if data.startswith(b"%PDF"):
        raise ImportFileError(
            _("This is a PDF document, not openEPD JSON. Upload the EPD's openEPD .json file.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "The file is not UTF-8 text (byte 0x%(byte)02x at position %(position)d); "
                "openEPD JSON must be saved as UTF-8."
            )
            % {"byte": data[error.start], "position": error.start}
        ) from error
    document = _load_json(text)
    if isinstance(document, dict):
        return [_record(document, location=filename, raw=text)]
    if not isinstance(document, list):
        raise ImportFileError(
            _("The file must hold one openEPD object or a JSON list of them; it holds a JSON %(type)s.")
            % {"type": _json_type(document)}
        )
    if not document:
        raise ImportFileError(_("The JSON list is empty: the file holds no EPD."))
    if len(document) > MAX_RECORDS:
        raise ImportFileError(
            _("The file holds %(count)d EPDs; the limit is %(limit)d. Split it.")
            % {"count": len(document), "limit": MAX_RECORDS}
        )
    return [
        _record(item, location=f"{filename}[{index}]", raw=json.dumps(item, ensure_ascii=False, indent=2))
        for index, item in enumerate(document)
    ]


def _load_json(text: str) -> Any:
    def refuse_constant(name: str) -> None:
        raise ImportFileError(
            _("The file contains %(name)s, which is not valid JSON; write a number or null.") % {"name": name}
        )

    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            _("The file is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": error.msg, "line": error.lineno, "column": error.colno},
            location=f"line {error.lineno}, column {error.colno}",
        ) from error
    except RecursionError as error:
        raise ImportFileError(_("The JSON is nested too deeply to be an openEPD document.")) from error


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _record(document: Any, *, location: str, raw: str) -> ParsedRecord:
    record = ParsedRecord(location=location, raw_document=raw)
    record.fields["source_format"] = "openepd"
    if not isinstance(document, dict):
        record.error(
            "document",
            _("Each item of the list must be an openEPD object, not a JSON %(type)s.")
            % {"type": _json_type(document)},
        )
        return record
    model = _validate(document, record)
    if model is None:
        return record
    _identity(model, record)
    _dates(model, record)
    _declared_unit(model, record)
    method = _gwp(model, record)
    _parties(model, record, method)
    return record


def _validate(document: dict, record: ParsedRecord) -> Epd | IndustryEpd | None:
    doctype = document.get("doctype", "openEPD")
    kind = _DOCTYPES.get(str(doctype).strip().lower()) if isinstance(doctype, str) else None
    if kind is None:
        record.error(
            "doctype",
            _(
                "Document type '%(doctype)s' is not an EPD; this import reads openEPD and openIndustryEpd "
                "documents (doctype)."
            )
            % {"doctype": doctype},
        )
        return None
    document = _amounts_from_text(document, record)
    if document is None:
        return None
    try:
        return (IndustryEpd if kind == "industry_epd" else Epd).model_validate(document)
    except pydantic.ValidationError as error:
        for problem in error.errors():
            path = _json_path(problem["loc"])
            record.error(
                _field_for(problem["loc"]), f"{problem['msg']}: {_short(problem.get('input'))} ({path})"
            )
        return None


def _amounts_from_text(document: dict, record: ParsedRecord) -> dict | None:
    """openEPD also writes amounts as text ("1 t", "12.5 kg"): turn those into {qty, unit} for the model."""
    changed = dict(document)
    for key in ("declared_unit", "kg_per_declared_unit"):
        value = document.get(key)
        if not isinstance(value, str):
            continue
        match = _AMOUNT_TEXT.match(value)
        if not match:
            record.error(
                _FIELD_OF_KEY[key],
                _("'%(value)s' is not an amount such as '1 t' or '12.5 kg' (%(key)s).")
                % {"value": value, "key": key},
            )
            return None
        changed[key] = {"qty": float(match.group("qty")), "unit": match.group("unit")}
    return changed


def _json_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "$"


def _field_for(loc: tuple) -> str:
    if not loc:
        return "document"
    head = loc[0]
    if head == "impacts":
        module = next((part for part in loc if part in MODULE_FIELDS), None)
        return MODULE_FIELDS.get(module, "gwp_a1_a3_kg_co2e")
    return _FIELD_OF_KEY.get(head, _json_path(loc))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _identity(model, record: ParsedRecord) -> None:
    for attribute in ("program_operator_doc_id", "id", "declaration_url"):
        value = getattr(model, attribute, None)
        if value and str(value).strip():
            record.fields["registration_number"] = str(value).strip()
            record.info["registration_number_source"] = attribute
            break
    else:
        record.error(
            "registration_number",
            _("The document has no registration number (program_operator_doc_id, id or declaration_url)."),
        )
    product = getattr(model, "product_name", None) or getattr(model, "name", None)
    if product:
        record.info["product_name"] = str(product).strip()
    manufacturer = getattr(model, "manufacturer", None)
    names = [manufacturer.name] if manufacturer is not None and manufacturer.name else []
    names += [org.name for org in getattr(model, "manufacturers", None) or [] if org.name]
    if names:
        record.info["manufacturer"] = "; ".join(names)


def _dates(model, record: ParsedRecord) -> None:
    for attribute, field in (("date_of_issue", "issue_date"), ("valid_until", "valid_until")):
        value = getattr(model, attribute)
        if value is None:
            record.error(field, _("The document has no %(attribute)s.") % {"attribute": attribute})
        else:
            record.fields[field] = value.date()


def _unit_key(unit: str) -> str:
    return re.sub(r"[\s_\-.]", "", unit).lower()


def _declared_unit(model, record: ParsedRecord) -> None:
    declared, mass = model.declared_unit, model.kg_per_declared_unit
    mass_kg = None
    if mass is not None:
        factor = _KG_PER_MASS_UNIT.get(_unit_key(mass.unit or ""))
        quantity = to_decimal(mass.qty)
        if factor is None:
            record.error(
                "mass_kg_per_declared_unit",
                _("Unit '%(unit)s' is not a mass unit (kg_per_declared_unit.unit).") % {"unit": mass.unit},
            )
        elif quantity is None or quantity <= 0:
            record.error(
                "mass_kg_per_declared_unit",
                _(
                    "The mass per declared unit must be a number greater than zero (kg_per_declared_unit.qty)."
                ),
            )
        else:
            mass_kg = quantity * factor
    if declared is None or declared.unit is None:
        if mass_kg is None:
            record.error(
                "declared_unit",
                _("The document has no declared unit and no kg_per_declared_unit (declared_unit)."),
            )
            return
        record.fields["declared_unit"] = DeclaredUnit.KG.value
        record.fields["declared_amount"] = fit_places(mass_kg, 4)
        record.info["declared_unit_note"] = (
            f"No declared unit in the document; declared per {_plain(mass_kg)} kg (kg_per_declared_unit)."
        )
        return
    quantity = to_decimal(declared.qty) if declared.qty is not None else Decimal(1)
    if declared.qty is None:
        record.info["declared_unit_note"] = "The declared unit has no quantity; 1 is assumed."
    if quantity is None or quantity <= 0:
        record.error(
            "declared_amount", _("The declared quantity must be greater than zero (declared_unit.qty).")
        )
        return
    key = _unit_key(declared.unit)
    if key in _KG_PER_MASS_UNIT:
        factor = _KG_PER_MASS_UNIT[key]
        if factor in (Decimal(1), Decimal(1000)):
            unit, amount = (DeclaredUnit.KG if factor == 1 else DeclaredUnit.TONNE), quantity
        else:
            unit, amount = DeclaredUnit.KG, quantity * factor
            record.info["declared_unit_note"] = (
                f"Declared unit {_plain(quantity)} {declared.unit} converted to {_plain(amount)} kg."
            )
        if mass_kg is not None and abs(mass_kg - quantity * factor) > quantity * factor * Decimal("0.005"):
            record.error(
                "mass_kg_per_declared_unit",
                _("kg_per_declared_unit (%(mass)s kg) contradicts the declared unit %(quantity)s %(unit)s.")
                % {"mass": _plain(mass_kg), "quantity": _plain(quantity), "unit": declared.unit},
            )
        record.fields["declared_unit"] = unit.value
        record.fields["declared_amount"] = fit_places(amount, 4)
        return
    if key in _AREA_UNITS or key in _COUNT_UNITS:
        unit = DeclaredUnit.M2 if key in _AREA_UNITS else DeclaredUnit.PIECE
        record.fields["declared_unit"] = unit.value
        record.fields["declared_amount"] = fit_places(quantity, 4)
        if mass_kg is not None:
            record.fields["mass_kg_per_declared_unit"] = fit_places(mass_kg / quantity, 6)
        elif "mass_kg_per_declared_unit" not in {error.field for error in record.errors}:
            record.error(
                "mass_kg_per_declared_unit",
                _(
                    "Declared unit '%(unit)s' is not a mass and the document gives no kg_per_declared_unit "
                    "to convert it (kg_per_declared_unit)."
                )
                % {"unit": declared.unit},
            )
        return
    if mass_kg is None:
        record.error(
            "declared_unit",
            _(
                "Declared unit '%(unit)s' is not one this platform takes (kg, t, m2, piece) and the document "
                "gives no kg_per_declared_unit to convert it (declared_unit.unit)."
            )
            % {"unit": declared.unit},
        )
        return
    record.fields["declared_unit"] = DeclaredUnit.KG.value
    record.fields["declared_amount"] = fit_places(mass_kg, 4)
    record.info["declared_unit_note"] = (
        f"Declared unit {_plain(quantity)} {declared.unit} expressed as its mass, {_plain(mass_kg)} kg "
        "(kg_per_declared_unit)."
    )


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _gwp(model, record: ParsedRecord) -> str | None:
    """Fill the GWP fields from one LCIA method; returns the method's name, or None when there is no GWP."""
    impacts = model.impacts.root if model.impacts is not None else {}
    with_gwp = [
        str(name) for name, impact_set in impacts.items() if impact_set is not None and impact_set.gwp
    ]
    if not with_gwp:
        record.error("gwp_a1_a3_kg_co2e", _("The document declares no GWP (impacts.<method>.gwp)."))
        return None
    preferred = [name for name in METHOD_PREFERENCE if name in with_gwp]
    method = preferred[0] if preferred else with_gwp[0]
    record.info["lcia_method"] = method
    gwp = next(impact_set.gwp for name, impact_set in impacts.items() if str(name) == method)
    base = f"impacts.{method}.gwp"
    values: dict[str, Decimal] = {}
    for module in ("A1A2A3", "A1", "A2", "A3", "A4", "C1", "C2", "C3", "C4", "D"):
        measurement = getattr(gwp, module)
        if measurement is None:
            continue
        field = MODULE_FIELDS.get(module, "gwp_a1_a3_kg_co2e")
        factor = co2e_factor(measurement.unit)
        if factor is None:
            path = f"{base}.{module}.unit"
            message = (
                _("GWP unit '%(unit)s' is not kg CO2e (%(path)s).") % {"unit": measurement.unit, "path": path}
                if measurement.unit
                else _("GWP unit is missing (%(path)s).") % {"path": path}
            )
            record.error(field, message)
            continue
        value = to_decimal(measurement.mean)
        if value is None:
            record.error(
                field,
                _("GWP %(value)s is not a finite number (%(path)s).")
                % {"value": repr(measurement.mean), "path": f"{base}.{module}.mean"},
            )
            continue
        values[module] = value * factor
        if factor != 1:
            record.info[f"{field}_conversion"] = (
                f"{module}: {_plain(value)} {measurement.unit} x 1000 = kg CO2e"
            )
    if "A1A2A3" not in values and all(part in values for part in ("A1", "A2", "A3")):
        values["A1A2A3"] = values["A1"] + values["A2"] + values["A3"]
        record.info["gwp_a1_a3_note"] = f"A1-A3 is the sum of A1, A2 and A3 ({base})."
    failed = {error.field for error in record.errors}
    for module, field in MODULE_FIELDS.items():
        if module in values:
            record.fields[field] = fit_places(values[module], 6)
        elif module == "A1A2A3" and field not in failed:
            split = [part for part in ("A1", "A2", "A3") if getattr(gwp, part) is not None]
            path = f"{base}.A1A2A3"
            record.error(
                field,
                _("GWP for A1-A3 is missing (%(path)s); only %(modules)s of A1, A2, A3 are given.")
                % {"path": path, "modules": ", ".join(split)}
                if split
                else _("GWP for A1-A3 is missing (%(path)s).") % {"path": path},
            )
    return method


def _parties(model, record: ParsedRecord, method: str | None) -> None:
    operator = getattr(model, "program_operator", None)
    if operator is not None and operator.name:
        record.fields["programme_operator"] = operator.name.strip()
    verifier = getattr(model, "third_party_verifier", None)
    organisation = (verifier.name or "").strip() if verifier is not None else ""
    person = (getattr(model, "third_party_verifier_name", None) or "").strip()
    if organisation and person and person != organisation:
        record.fields["verifier"] = f"{organisation} ({person})"
    elif organisation or person:
        record.fields["verifier"] = organisation or person
    if model.pcr is not None and model.pcr.name:
        record.fields["pcr"] = model.pcr.name.strip()
    standard = _standard(model, method)
    if standard:
        record.fields["standard"] = standard


def _standard(model, method: str | None) -> str | None:
    texts = [" ".join(filter(None, (item.short_name, item.name))) for item in model.compliance or []]
    if model.pcr is not None:
        texts.append(" ".join(filter(None, (model.pcr.name, model.pcr.short_name))))
    text = " ".join(texts).upper()
    if re.search(r"15804\s*\+\s*A2", text) or ("15804" in text and method in ("EF 3.0", "EF 3.1")):
        return Standard.EN_15804_A2.value
    for needle, standard in (
        ("24067", Standard.GB_T_24067),
        ("14067", Standard.ISO_14067),
        ("14025", Standard.ISO_14025),
    ):
        if needle in text:
            return standard.value
    return None
