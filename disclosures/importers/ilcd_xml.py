"""ILCD+EPD (EN 15804; ÖKOBAUDAT, InData, EPD International exports): process datasets into declaration drafts.

Input is one process dataset XML or an ILCD zip. In a zip, the process datasets are the XML files in a
`processes/` folder (ILCD/processes/*.xml); `flows/`, `flowproperties/` and `unitgroups/` are read only to find
the declared unit. Every XML is parsed with DTDs, entities and external references forbidden (defusedxml), and
the zip goes through `SafeZip` (entry count, names, nested archives, sizes from the headers and while
reading). Elements are matched by local name, so files that use the `epd` (2013), `epd2` (2019) or `epd24`
extension namespaces are all read.

Mapping of one process dataset:

* GWP: the `LCIAResult` whose `referenceToLCIAMethodDataSet/@refObjectId` is GWP-total of EN 15804+A2
  (EF 3.1 `a7ea142a-…`, preferred, or EF 3.0 `6a37f984-…`), else GWP of EN 15804+A1 (`77e416eb-…`). Amounts
  are `common:other/epd:amount/@epd:module`; an empty amount (or ND, MND, MNR, MNA, INA) means the module was
  not declared. A1, A2, A3 given separately are summed into A1-A3 only when all three are present. Where a
  module has results per scenario, the scenario marked `epd:default="true"` is taken (named in `info`). The
  unit (`epd:referenceToUnitGroupDataSet`) must be kg CO2e; t CO2e is multiplied by 1000; no unit at all means
  the method's own reference unit, kg CO2 eq.
* Declared unit: the reference exchange (`quantitativeReference/referenceToReferenceFlow`) gives the amount
  (`resultingAmount`, else `meanAmount`); its unit is the reference flow property of the flow dataset when the
  zip holds it (via `flowproperties/`, `unitgroups/` or the well-known ILCD UUIDs), else the unit group the
  reference exchange names. The mass of one m2 or piece is the flow's Mass property, else its MatML
  `grammage` / `weight per piece`. When nothing in the file says the unit, it is an error on `declared_unit`:
  it is never guessed.
* Dates: issue date = `epd2:publicationDateOfEPD`, else the "Registration date: YYYY-MM-DD" EPD International
  writes into `timeRepresentativenessDescription`, else 1 January of `common:referenceYear`; valid until =
  that text's "Validity date:", else 31 December of `common:dataSetValidUntil`. `info["dates_source"]` says which.
* Registration number: `publicationAndOwnership/common:registrationNumber`, else the dataset UUID
  (`info["registration_number_source"]`).
* Verifier: the reviewers' `common:referenceToNameOfReviewerAndInstitution` (reviews of type "Not reviewed"
  are skipped). PCR: `referenceToLCAMethodDetails`. Programme operator: `referenceToPublisher`, else
  `common:referenceToRegistrationAuthority` (never the dataset's owner, which is usually the manufacturer)
  (`info["programme_operator_source"]`). Manufacturer (`info`): `epd24:manufacturers`, else the owner of the
  dataset. Standard: EN 15804+A2 when the GWP method or a compliance declaration says so, else GB/T 24067,
  ISO 14067 or ISO 14025 when a compliance declaration names it, else unset.

GWP and mass values are rounded to the 6 decimal places the database keeps (declared amount: 4).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

from ..choices import DeclaredUnit, Standard
from . import ImportFileError, ParsedRecord
from ._safe import SafeZip, check_upload_size, co2e_factor, fit_places, is_zip, to_decimal

# LCIA method dataset UUIDs of GWP, in order of preference: (label, EN 15804 amendment)
GWP_METHODS = {
    "a7ea142a-9749-11ed-a8fc-0242ac120002": ("GWP-total, EN 15804+A2 (EF 3.1)", "A2"),
    "6a37f984-a4b3-458a-a20a-64418c145fa2": ("GWP-total, EN 15804+A2 (EF 3.0)", "A2"),
    "77e416eb-a363-4258-a04e-171d843a6460": ("GWP, EN 15804+A1", "A1"),
}
GWP_UNIT_GROUP = "1ebf3012-d0db-4de2-aefd-ef30cedb0be1"  # "Units for global warming potential", kg CO2 eq.
MODULE_FIELDS = {
    "A1-A3": "gwp_a1_a3_kg_co2e",
    "A4": "gwp_a4_kg_co2e",
    "C1": "gwp_c1_kg_co2e",
    "C2": "gwp_c2_kg_co2e",
    "C3": "gwp_c3_kg_co2e",
    "C4": "gwp_c4_kg_co2e",
    "D": "gwp_d_kg_co2e",
}
_MODULE_ALIASES = {"A1-3": "A1-A3", "A1A2A3": "A1-A3", "A1-A2-A3": "A1-A3", "A1+A2+A3": "A1-A3"}
_NOT_DECLARED = {"", "ND", "MND", "MNR", "MNA", "INA", "NR", "N/A", "-"}
# Reference flow properties and unit groups of the ILCD reference data -> unit name
_FLOW_PROPERTY_UNITS = {
    "93a60a56-a3c8-11da-a746-0800200b9a66": "kg",  # Mass
    "93a60a56-a3c8-19da-a746-0800200c9a66": "m2",  # Area
    "01846770-4cfe-4a25-8ad9-919d8d378345": "piece",  # Number of items
    "93a60a56-a3c8-22da-a746-0800200c9a66": "m3",  # Volume
    "838aaa23-0117-11db-92e3-0800200c9a66": "m",  # Length
}
_UNIT_GROUP_UNITS = {
    "ad38d542-3fe9-439d-9b95-2f5f7752acaf": "kg",  # Units of mass
    "c20a03d7-bd90-4569-bc94-66cfd364dfc8": "m2",  # Units of area
    "934110e3-baf4-49e9-992c-3d8109a6aafb": "piece",  # Units of items
    "cd950537-0a98-4044-9ba7-9f9a68d0a504": "m3",  # Units of volume
    "838aaa22-0117-11db-92e3-0800200c9a66": "m",  # Units of length
}
_FLOW_PROPERTY_NAMES = {"mass": "kg", "area": "m2", "number of items": "piece", "volume": "m3", "length": "m"}
_MASS_PROPERTY = "93a60a56-a3c8-11da-a746-0800200b9a66"
_KG_PER_UNIT = {"kg": Decimal(1), "t": Decimal(1000), "g": Decimal("0.001")}
_AREA_UNITS = {"m2", "m^2", "m²", "qm", "sqm"}
_COUNT_UNITS = {"piece", "pieces", "item", "items", "item(s)", "pcs", "pc", "stück", "stk", "unit", "units"}
_REGISTRATION_DATE = re.compile(r"registration date:\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_VALIDITY_DATE = re.compile(r"validity date:\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_LIBRARY_FOLDERS = ("flows", "flowproperties", "unitgroups")


class _Malformed(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def parse_ilcd(data: bytes, *, filename: str) -> list[ParsedRecord]:
    """The process datasets of an ILCD XML or zip -> one record each; file-level problems raise ImportFileError."""
    check_upload_size(data)
    if is_zip(data):
        return _parse_zip(data, filename)
    if data.startswith(b"%PDF"):
        raise ImportFileError(_("This is a PDF document, not ILCD XML. Upload the ILCD+EPD XML or its zip."))
    if not (data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or data[:2] in (b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            _("The file is neither XML nor a zip archive. Upload the ILCD+EPD XML or its zip.")
        )
    try:
        root = _parse_xml(data, filename)
    except _Malformed as error:
        raise ImportFileError(error.message) from error
    if _local(root.tag) != "processDataSet":
        raise ImportFileError(
            _(
                "This XML is not an ILCD process dataset (its root element is <%(element)s>). "
                "Upload the process dataset, or the whole ILCD zip."
            )
            % {"element": _local(root.tag)}
        )
    return [_record(root, data, location=filename, library=_Library(None, {}))]


def _parse_zip(data: bytes, filename: str) -> list[ParsedRecord]:
    archive = SafeZip(data)
    processes: list[zipfile.ZipInfo] = []
    library: dict[str, list[zipfile.ZipInfo]] = {}
    for info in archive.infos:
        parts = info.filename.replace("\\", "/").split("/")
        if not parts[-1].lower().endswith(".xml") or len(parts) < 2:
            continue
        folder = parts[-2].lower()
        if folder == "processes":
            processes.append(info)
        elif folder in _LIBRARY_FOLDERS:
            library.setdefault(folder, []).append(info)
    if not processes:
        raise ImportFileError(
            _(
                "The zip holds no process datasets: expected XML files in a processes/ folder "
                "(ILCD/processes/*.xml)."
            )
        )
    contents = [(info, archive.read(info)) for info in processes]  # all caps apply before any parsing
    resolver = _Library(archive, library)
    records = []
    for info, content in contents:
        location = f"{filename}:{info.filename}"
        try:
            root = _parse_xml(content, info.filename)
        except _Malformed as error:
            records.append(_broken(location, content, error.message))
            continue
        if _local(root.tag) != "processDataSet":
            records.append(
                _broken(
                    location,
                    content,
                    _("Not an ILCD process dataset (root element <%(element)s>).")
                    % {"element": _local(root.tag)},
                )
            )
            continue
        records.append(_record(root, content, location=location, library=resolver))
    return records


def _broken(location: str, content: bytes, message: str) -> ParsedRecord:
    record = ParsedRecord(location=location, raw_document=_decode(content))
    record.fields["source_format"] = "ilcd"
    record.error("document", message)
    return record


def _parse_xml(data: bytes, location: str) -> Element:
    """Parse with DTDs, entities and external references forbidden; a malformed document raises _Malformed."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ImportFileError(
            _(
                "DTDs and entity declarations are not allowed in ILCD XML, and this file has one "
                "(%(error)s). Export the dataset again without a DOCTYPE."
            )
            % {"error": type(error).__name__},
            location=location,
        ) from error
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        reason = str(error).split(":")[0]
        raise _Malformed(
            _("The XML is not well-formed: %(reason)s (line %(line)s, column %(column)s).")
            % {"reason": reason, "line": line, "column": column}
        ) from error
    except (ValueError, LookupError) as error:
        raise _Malformed(_("The XML cannot be read: %(error)s.") % {"error": error}) from error


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


# --- element helpers: ILCD elements by local name, whatever the namespace prefix ------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element | None, *path: str) -> Element | None:
    for name in path:
        found = _children(element, name)
        element = found[0] if found else None
        if element is None:
            return None
    return element


def _all(element: Element | None, *path: str) -> list[Element]:
    """Every element at the path (all matches at each step)."""
    current = [element] if element is not None else []
    for name in path:
        current = [child for parent in current for child in _children(parent, name)]
    return current


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _attr(element: Element | None, name: str) -> str:
    """An attribute by local name (`epd:module`, `module`)."""
    if element is None:
        return ""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value.strip()
    return ""


def _english(elements: list[Element]) -> str:
    """The English text among language variants, else the first non-empty one."""
    texts = [
        (element.get("{http://www.w3.org/XML/1998/namespace}lang", ""), _text(element))
        for element in elements
    ]
    texts = [(lang, text) for lang, text in texts if text]
    for lang, text in texts:
        if lang.lower().startswith("en"):
            return text
    return texts[0][1] if texts else ""


def _description(reference: Element | None) -> str:
    return _english(_children(reference, "shortDescription"))


# --- the other datasets of a zip: flows, flow properties, unit groups -----------------------------------------


class _Library:
    """Lazily parsed supporting datasets of a zip, found by UUID (file name first, then the UUID inside)."""

    def __init__(self, archive: SafeZip | None, entries: dict[str, list[zipfile.ZipInfo]]):
        self.archive, self.entries = archive, entries
        self._parsed: dict[str, Element | None] = {}
        self._by_uuid: dict[str, dict[str, zipfile.ZipInfo]] = {}

    def get(self, folder: str, uuid: str) -> Element | None:
        if not uuid or self.archive is None:
            return None
        uuid = uuid.lower()
        candidates = [
            info
            for info in self.entries.get(folder, [])
            if info.filename.rsplit("/", 1)[-1].lower().startswith(uuid)
        ]
        if not candidates:
            info = self._index(folder).get(uuid)
            candidates = [info] if info else []
        if not candidates:
            return None
        return self._load(sorted(candidates, key=lambda info: info.filename)[-1])  # the latest version

    def _index(self, folder: str) -> dict[str, zipfile.ZipInfo]:
        if folder not in self._by_uuid:
            index = {}
            for info in self.entries.get(folder, []):
                root = self._load(info)
                uuid = (
                    _text(next((e for e in root.iter() if _local(e.tag) == "UUID"), None))
                    if root is not None
                    else ""
                )
                if uuid:
                    index.setdefault(uuid.lower(), info)
            self._by_uuid[folder] = index
        return self._by_uuid[folder]

    def _load(self, info: zipfile.ZipInfo) -> Element | None:
        if info.filename not in self._parsed:
            try:
                self._parsed[info.filename] = _parse_xml(self.archive.read(info), info.filename)
            except _Malformed:
                self._parsed[info.filename] = None  # a broken supporting dataset counts as absent
        return self._parsed[info.filename]


# --- one process dataset -----------------------------------------------------------------------------------------


@dataclass
class _Dataset:
    root: Element
    record: ParsedRecord
    library: _Library

    def section(self, *path: str) -> Element | None:
        return _child(self.root, *path)


def _record(root: Element, content: bytes, *, location: str, library: _Library) -> ParsedRecord:
    record = ParsedRecord(location=location, raw_document=_decode(content))
    record.fields["source_format"] = "ilcd"
    dataset = _Dataset(root, record, library)
    _identity(dataset)
    _dates(dataset)
    _declared_unit(dataset)
    amendment = _gwp(dataset)
    _parties(dataset, amendment)
    return record


def _identity(dataset: _Dataset) -> None:
    record = dataset.record
    information = dataset.section("processInformation", "dataSetInformation")
    uuid = _text(_child(information, "UUID"))
    if uuid:
        record.info["uuid"] = uuid
    name = _english(_all(information, "name", "baseName"))
    if name:
        record.info["product_name"] = name
    publication = dataset.section("administrativeInformation", "publicationAndOwnership")
    number = _text(_child(publication, "registrationNumber"))
    if number:
        record.fields["registration_number"] = number
        record.info["registration_number_source"] = "publicationAndOwnership/common:registrationNumber"
    elif uuid:
        record.fields["registration_number"] = uuid
        record.info["registration_number_source"] = "dataset UUID (the file has no common:registrationNumber)"
    else:
        record.error(
            "registration_number", _("The dataset has neither a common:registrationNumber nor a common:UUID.")
        )
    manufacturers = [
        _description(_child(manufacturer, "contact"))
        for manufacturer in _all(
            dataset.section("modellingAndValidation", "dataSourcesTreatmentAndRepresentativeness"),
            "other",
            "manufacturers",
            "manufacturer",
        )
    ]
    manufacturers = [name for name in manufacturers if name]
    owner = _description(_child(publication, "referenceToOwnershipOfDataSet"))
    if manufacturers:
        record.info["manufacturer"] = "; ".join(manufacturers)
    elif owner:
        record.info["manufacturer"] = owner


def _year(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{4}", text) and 1900 <= int(text) <= 2200 else None


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _dates(dataset: _Dataset) -> None:
    record = dataset.record
    time = dataset.section("processInformation", "time")
    description = " ".join(_text(element) for element in _children(time, "timeRepresentativenessDescription"))
    sources = []
    published = _text(_child(time, "other", "publicationDateOfEPD"))
    registered = _REGISTRATION_DATE.search(description)
    reference_year = _text(_child(time, "referenceYear"))
    if published and _iso_date(published):
        record.fields["issue_date"] = _iso_date(published)
        sources.append("issue date from epd2:publicationDateOfEPD")
    elif registered and _iso_date(registered.group(1)):
        record.fields["issue_date"] = _iso_date(registered.group(1))
        sources.append("issue date from 'Registration date' in timeRepresentativenessDescription")
    elif _year(reference_year):
        record.fields["issue_date"] = date(_year(reference_year), 1, 1)
        sources.append("issue date = 1 January of common:referenceYear")
    elif reference_year:
        record.error(
            "issue_date",
            _("common:referenceYear '%(value)s' is not a year (time/referenceYear).")
            % {"value": reference_year},
        )
    else:
        record.error("issue_date", _("The dataset has no common:referenceYear (time/referenceYear)."))
    valid = _VALIDITY_DATE.search(description)
    valid_year = _text(_child(time, "dataSetValidUntil"))
    if valid and _iso_date(valid.group(1)):
        record.fields["valid_until"] = _iso_date(valid.group(1))
        sources.append("valid until from 'Validity date' in timeRepresentativenessDescription")
    elif _year(valid_year):
        record.fields["valid_until"] = date(_year(valid_year), 12, 31)
        sources.append("valid until = 31 December of common:dataSetValidUntil")
    elif valid_year:
        record.error(
            "valid_until",
            _("common:dataSetValidUntil '%(value)s' is not a year (time/dataSetValidUntil).")
            % {"value": valid_year},
        )
    else:
        record.error(
            "valid_until", _("The dataset has no common:dataSetValidUntil (time/dataSetValidUntil).")
        )
    if sources:
        record.info["dates_source"] = "; ".join(sources)


# --- declared unit -------------------------------------------------------------------------------------------------


def _declared_unit(dataset: _Dataset) -> None:
    record = dataset.record
    reference = _text(
        dataset.section("processInformation", "quantitativeReference", "referenceToReferenceFlow")
    )
    exchange = next(
        (e for e in _all(dataset.root, "exchanges", "exchange") if e.get("dataSetInternalID") == reference),
        None,
    )
    if not reference or exchange is None:
        record.error(
            "declared_unit",
            _(
                "The declared unit cannot be determined: the dataset names no reference flow "
                "(quantitativeReference/referenceToReferenceFlow) among its exchanges."
            ),
        )
        return
    where = f"exchange {reference}"
    amount_text = _text(_child(exchange, "resultingAmount")) or _text(_child(exchange, "meanAmount"))
    amount = to_decimal(amount_text)
    if amount is None or amount <= 0:
        record.error(
            "declared_amount",
            _(
                "The reference flow amount '%(amount)s' is not a number greater than zero (%(where)s, meanAmount)."
            )
            % {"amount": amount_text, "where": where},
        )
        return
    flow_reference = _child(exchange, "referenceToFlowDataSet")
    flow_uuid = flow_reference.get("refObjectId", "") if flow_reference is not None else ""
    flow = dataset.library.get("flows", flow_uuid)
    unit, mass_per_unit, source = None, None, ""
    if flow is not None:
        unit, mass_per_unit = _flow_unit(flow, dataset.library)
        source = f"flow dataset {flow_uuid}"
    if unit is None:
        group = next((e for e in exchange.iter() if _local(e.tag) == "referenceToUnitGroupDataSet"), None)
        unit = _UNIT_GROUP_UNITS.get(group.get("refObjectId", "").lower()) if group is not None else None
        unit = unit or (_description(group) if group is not None else None)
        source = f"unit group named on {where}"
    if not unit:
        values = {"flow": _description(flow_reference) or flow_uuid, "where": where, "uuid": flow_uuid}
        if flow is None:
            message = _(
                "The declared unit cannot be determined: the reference flow '%(flow)s' (%(where)s) has no unit "
                "in this file (its flow dataset (flows/%(uuid)s) is not in the file, and the exchange names no "
                "unit group). Upload the whole ILCD zip with its flows/ folder."
            )
        else:
            message = _(
                "The declared unit cannot be determined: the reference flow '%(flow)s' (%(where)s) has no unit "
                "in this file (its flow dataset (%(uuid)s) names no unit this importer knows, and the exchange "
                "names no unit group). Upload the whole ILCD zip with its flows/ folder."
            )
        record.error("declared_unit", message % values)
        return
    record.info["declared_unit_source"] = f"'{unit}' from the {source}"
    key = unit.strip().lower().replace(" ", "")
    if key in _KG_PER_UNIT:
        factor = _KG_PER_UNIT[key]
        if key == "g":
            record.fields["declared_unit"], amount = DeclaredUnit.KG.value, amount * factor
        else:
            record.fields["declared_unit"] = (
                DeclaredUnit.KG.value if key == "kg" else DeclaredUnit.TONNE.value
            )
        record.fields["declared_amount"] = fit_places(amount, 4)
        return
    if key in _AREA_UNITS or key in _COUNT_UNITS:
        record.fields["declared_unit"] = (
            DeclaredUnit.M2.value if key in _AREA_UNITS else DeclaredUnit.PIECE.value
        )
        record.fields["declared_amount"] = fit_places(amount, 4)
        if mass_per_unit is not None and mass_per_unit > 0:
            record.fields["mass_kg_per_declared_unit"] = fit_places(mass_per_unit, 6)
        else:
            record.error(
                "mass_kg_per_declared_unit",
                _(
                    "The declared unit is %(unit)s, not a mass, and the file gives no mass per %(unit)s (flow "
                    "property Mass, or MatML grammage / weight per piece of the flow dataset)."
                )
                % {"unit": unit},
            )
        return
    if mass_per_unit is not None and mass_per_unit > 0:
        record.fields["declared_unit"] = DeclaredUnit.KG.value
        record.fields["declared_amount"] = fit_places(amount * mass_per_unit, 4)
        record.info["declared_unit_note"] = (
            f"Declared unit {amount.normalize():f} {unit} expressed as its mass from the flow dataset."
        )
        return
    record.error(
        "declared_unit",
        _(
            "The declared unit '%(unit)s' (%(where)s) is not one this platform takes (kg, t, m2, piece) and the "
            "file gives no mass to convert it."
        )
        % {"unit": unit, "where": where},
    )


def _flow_unit(flow: Element, library: _Library) -> tuple[str | None, Decimal | None]:
    """The reference unit of a flow dataset and, for a non-mass unit, the kg in one of that unit."""
    information = _child(flow, "flowInformation")
    reference_id = _text(_child(information, "quantitativeReference", "referenceToReferenceFlowProperty"))
    properties = _all(flow, "flowProperties", "flowProperty")
    reference = next((p for p in properties if p.get("dataSetInternalID") == reference_id), None)
    if reference is None and len(properties) == 1:
        reference = properties[0]
    if reference is None:
        return None, None
    unit = _property_unit(_child(reference, "referenceToFlowPropertyDataSet"), library)
    if unit is None:
        return None, None
    reference_value = to_decimal(_text(_child(reference, "meanValue"))) or Decimal(1)
    mass = None
    if unit not in _KG_PER_UNIT:
        for candidate in properties:
            if candidate is reference:
                continue
            if _property_unit(_child(candidate, "referenceToFlowPropertyDataSet"), library) == "kg":
                value = to_decimal(_text(_child(candidate, "meanValue")))
                if value is not None and value > 0:
                    mass = value / reference_value
                    break
        if mass is None:
            mass = _matml_mass(information, unit)
    return unit, mass


def _property_unit(reference: Element | None, library: _Library) -> str | None:
    if reference is None:
        return None
    uuid = reference.get("refObjectId", "").lower()
    if uuid in _FLOW_PROPERTY_UNITS:
        return _FLOW_PROPERTY_UNITS[uuid]
    flow_property = library.get("flowproperties", uuid)
    if flow_property is not None:
        group_reference = next(
            (e for e in flow_property.iter() if _local(e.tag) == "referenceToReferenceUnitGroup"), None
        )
        group_uuid = group_reference.get("refObjectId", "").lower() if group_reference is not None else ""
        if group_uuid in _UNIT_GROUP_UNITS:
            return _UNIT_GROUP_UNITS[group_uuid]
        group = library.get("unitgroups", group_uuid)
        if group is not None:
            reference_unit = _text(
                next((e for e in group.iter() if _local(e.tag) == "referenceToReferenceUnit"), None)
            )
            for unit in (e for e in group.iter() if _local(e.tag) == "unit"):
                if unit.get("dataSetInternalID") == reference_unit:
                    return _text(_child(unit, "name")) or None
    return _FLOW_PROPERTY_NAMES.get(_description(reference).lower())


def _matml_mass(information: Element | None, unit: str) -> Decimal | None:
    """kg per m2 (`grammage`) or per piece (`weight per piece`) from the flow's MatML material properties."""
    wanted = {"grammage": "m2", "weight per piece": "piece"}
    documents = (
        [e for e in information.iter() if _local(e.tag) == "MatML_Doc"] if information is not None else []
    )
    for document in documents:
        names = {
            details.get("id"): _text(_child(details, "Name")).lower()
            for details in document.iter()
            if _local(details.tag) == "PropertyDetails"
        }
        for data in (e for e in document.iter() if _local(e.tag) == "PropertyData"):
            name = names.get(data.get("property"), "")
            if wanted.get(name) == ("m2" if unit.lower() in _AREA_UNITS else "piece"):
                value = to_decimal(_text(_child(data, "Data")))
                if value is not None and value > 0:
                    return value
    return None


# --- GWP -----------------------------------------------------------------------------------------------------------


def _normal_module(text: str) -> str:
    module = text.upper().replace(" ", "").replace("–", "-").replace("—", "-")
    return _MODULE_ALIASES.get(module, module)


def _gwp(dataset: _Dataset) -> str | None:
    """Fill the GWP fields from the GWP LCIA result; returns the EN 15804 amendment ("A1"/"A2") or None."""
    record = dataset.record
    results = _all(dataset.root, "LCIAResults", "LCIAResult")
    by_method = {}
    for result in results:
        method = _child(result, "referenceToLCIAMethodDataSet")
        uuid = method.get("refObjectId", "").lower() if method is not None else ""
        by_method.setdefault(uuid, result)
    uuid = next((uuid for uuid in GWP_METHODS if uuid in by_method), None)
    if uuid is None:
        record.error(
            "gwp_a1_a3_kg_co2e",
            _(
                "The dataset has no GWP result: no LCIAResult refers to the GWP-total method of EN 15804+A2 "
                "(6a37f984-a4b3-458a-a20a-64418c145fa2 or a7ea142a-9749-11ed-a8fc-0242ac120002) or the GWP "
                "method of EN 15804+A1 (77e416eb-a363-4258-a04e-171d843a6460)."
            ),
        )
        return None
    label, amendment = GWP_METHODS[uuid]
    record.info["lcia_method"] = label
    result = by_method[uuid]
    other = _child(result, "other")
    where = f"LCIAResult {label}"
    factor = _gwp_unit(other, record, where)
    if factor is None:
        return amendment
    defaults = {
        _attr(scenario, "name")
        for scenario in _all(
            dataset.section("processInformation", "dataSetInformation"), "other", "scenarios", "scenario"
        )
        if _attr(scenario, "default").lower() == "true"
    }
    entries: dict[str, list[tuple[str, str]]] = {}
    for amount in _children(other, "amount"):
        entries.setdefault(_normal_module(_attr(amount, "module")), []).append(
            (_attr(amount, "scenario"), _text(amount))
        )
    values: dict[str, Decimal] = {}
    for module in ("A1-A3", "A1", "A2", "A3", "A4", "C1", "C2", "C3", "C4", "D"):
        field = MODULE_FIELDS.get(module, "gwp_a1_a3_kg_co2e")
        chosen = _choose(module, entries.get(module, []), defaults, record, field, where)
        if chosen is None or chosen.upper() in _NOT_DECLARED:
            continue
        value = to_decimal(chosen)
        if value is None:
            record.error(
                field,
                _(
                    "The GWP amount '%(amount)s' for module %(module)s is not a number (%(where)s, epd:amount %(module)s)."
                )
                % {"amount": chosen, "module": module, "where": where},
            )
            continue
        values[module] = value * factor
    if "A1-A3" not in values and all(part in values for part in ("A1", "A2", "A3")):
        values["A1-A3"] = values["A1"] + values["A2"] + values["A3"]
        record.info["gwp_a1_a3_note"] = "A1-A3 is the sum of the A1, A2 and A3 amounts."
    failed = {error.field for error in record.errors}
    for module, field in MODULE_FIELDS.items():
        if module in values:
            record.fields[field] = fit_places(values[module], 6)
        elif module == "A1-A3" and field not in failed:
            split = [part for part in ("A1", "A2", "A3") if part in values]
            record.error(
                field,
                _(
                    "GWP for module A1-A3 is missing (%(where)s, epd:amount A1-A3); only %(modules)s of A1, A2, "
                    "A3 are declared."
                )
                % {"where": where, "modules": ", ".join(split)}
                if split
                else _("GWP for module A1-A3 is missing (%(where)s, epd:amount A1-A3).") % {"where": where},
            )
    return amendment


def _gwp_unit(other: Element | None, record: ParsedRecord, where: str) -> Decimal | None:
    group = _child(other, "referenceToUnitGroupDataSet")
    if group is None:
        record.info["gwp_unit_note"] = (
            "No unit group on the GWP result; the method's unit, kg CO2 eq., is assumed."
        )
        return Decimal(1)
    name = _description(group)
    factor = co2e_factor(name)
    if factor is None and not name and group.get("refObjectId", "").lower() == GWP_UNIT_GROUP:
        factor = Decimal(1)
    if factor is None:
        record.error(
            "gwp_a1_a3_kg_co2e",
            _("GWP unit '%(unit)s' is not kg CO2e (%(where)s, epd:referenceToUnitGroupDataSet).")
            % {"unit": name or group.get("refObjectId", ""), "where": where},
        )
        return None
    if factor != 1:
        record.info["gwp_conversion"] = f"GWP amounts in {name} multiplied by 1000 to kg CO2e."
    return factor


def _choose(
    module: str,
    entries: list[tuple[str, str]],
    defaults: set[str],
    record: ParsedRecord,
    field: str,
    where: str,
) -> str | None:
    """The one amount of a module: the only one, or the one of the default scenario."""
    if not entries:
        return None
    plain = [text for scenario, text in entries if not scenario]
    if len(plain) == 1:
        return plain[0]
    if len(plain) > 1:
        record.error(
            field,
            _("Module %(module)s has %(count)d GWP amounts without a scenario (%(where)s).")
            % {"module": module, "count": len(plain), "where": where},
        )
        return None
    chosen = [(scenario, text) for scenario, text in entries if scenario in defaults]
    if len(chosen) != 1 and len(entries) == 1:
        chosen = entries
    if len(chosen) != 1:
        names = ", ".join(sorted({scenario for scenario, _amount in entries}))
        record.error(
            field,
            _(
                "Module %(module)s has GWP amounts for several scenarios (%(names)s) and not exactly one of them "
                "is marked epd:default (%(where)s)."
            )
            % {"module": module, "names": names, "where": where},
        )
        return None
    record.info[f"scenario_{module}"] = chosen[0][0]
    return chosen[0][1]


# --- parties and standard ------------------------------------------------------------------------------------------


def _parties(dataset: _Dataset, amendment: str | None) -> None:
    record = dataset.record
    modelling = dataset.section("modellingAndValidation")
    reviewers = []
    for review in _all(modelling, "validation", "review"):
        if review.get("type", "").strip().lower() == "not reviewed":
            continue
        for reference in _children(review, "referenceToNameOfReviewerAndInstitution"):
            name = _description(reference)
            if name and name not in reviewers:
                reviewers.append(name)
    if reviewers:
        record.fields["verifier"] = "; ".join(reviewers)
    pcrs = [_description(e) for e in _all(modelling, "LCIMethodAndAllocation", "referenceToLCAMethodDetails")]
    pcrs = [name for name in pcrs if name]
    if pcrs:
        record.fields["pcr"] = "; ".join(pcrs)
    publication = dataset.section("administrativeInformation", "publicationAndOwnership")
    for source, reference in (
        ("referenceToPublisher", _child(publication, "other", "referenceToPublisher")),
        ("common:referenceToRegistrationAuthority", _child(publication, "referenceToRegistrationAuthority")),
    ):  # not the dataset's owner: in real EPD International files that is the manufacturer
        name = _description(reference)
        if name:
            record.fields["programme_operator"] = name
            record.info["programme_operator_source"] = source
            break
    compliance = " ".join(
        _description(reference)
        for reference in _all(
            modelling, "complianceDeclarations", "compliance", "referenceToComplianceSystem"
        )
    ).upper()
    standard = None
    if amendment == "A2" or re.search(r"15804\s*\+\s*A2", compliance):
        standard = Standard.EN_15804_A2
    elif amendment == "A1" or re.search(r"15804\s*\+\s*A1", compliance):
        standard = Standard.EN_15804_A1
    else:
        for needle, candidate in (
            ("24067", Standard.GB_T_24067),
            ("14067", Standard.ISO_14067),
            ("14025", Standard.ISO_14025),
        ):
            if needle in compliance:
                standard = candidate
                break
    if standard is not None:
        record.fields["standard"] = standard.value
    if amendment == "A1":
        record.info["standard_note"] = "The GWP follows EN 15804+A1 (not +A2)."
