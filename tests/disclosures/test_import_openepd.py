"""openEPD JSON import: the openepd package's own examples, explicit unit conversions, and every error path.

Pure parser tests: no database.
"""

import ast
import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openepd.model.examples.epd import EXAMPLE_EPD_WORK_SURFACES
from openepd.model.examples.industry_epd import EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS

from disclosures.importers import MAX_RECORDS, MAX_UPLOAD_BYTES, ImportFileError
from disclosures.importers.openepd_json import parse_openepd

FILES = Path(__file__).parent / "files"
BAD = FILES / "bad"


def _epd(**overrides) -> dict:
    """A steel EPD in openEPD form (EF 3.1, per tonne); overrides replace top-level keys, None removes one."""
    document = {
        "doctype": "openEPD",
        "id": "EC3STEEL",
        "program_operator_doc_id": "EPD-CN-2025-0001",
        "declaration_url": "https://example.org/epd/EPD-CN-2025-0001",
        "date_of_issue": "2025-03-01T00:00:00Z",
        "valid_until": "2030-02-28T00:00:00+08:00",
        "declared_unit": {"qty": 1, "unit": "t"},
        "product_name": "Hot-rolled coil Q235B",
        "manufacturer": {"name": "Example Steel Co.", "web_domain": "steel.example.com"},
        "program_operator": {"name": "China EPD Programme", "web_domain": "epd.example.cn"},
        "third_party_verifier": {"name": "CQC Verification", "web_domain": "cqc.example.cn"},
        "pcr": {"name": "PCR 2012:01 Construction products (EN 15804+A2)"},
        "impacts": {
            "EF 3.1": {
                "gwp": {
                    "A1A2A3": {"mean": 2050.5, "unit": "kgCO2e"},
                    "A4": {"mean": 12.25, "unit": "kgCO2e"},
                    "C1": {"mean": 1.5, "unit": "kgCO2e"},
                    "C2": {"mean": 3.0, "unit": "kgCO2e"},
                    "C3": {"mean": 0.0, "unit": "kgCO2e"},
                    "C4": {"mean": 0.75, "unit": "kgCO2e"},
                    "D": {"mean": -310, "unit": "kgCO2e"},
                }
            }
        },
    }
    for key, value in overrides.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document


def _parse(document, filename="epd.json"):
    return parse_openepd(json.dumps(document).encode(), filename=filename)


def _one(document):
    records = _parse(document)
    assert len(records) == 1
    return records[0]


def _errors(record) -> dict[str, str]:
    return {error.field: error.message for error in record.errors}


def _gwp(**modules) -> dict:
    return {"EF 3.1": {"gwp": modules}}


# --- the package's own examples ----------------------------------------------------------------------------------


def test_the_packaged_work_surfaces_example_maps_every_field():
    record = _one(EXAMPLE_EPD_WORK_SURFACES)
    assert record.location == "epd.json"
    assert record.fields["source_format"] == "openepd"
    assert record.fields["registration_number"] == "EPD10526"  # program_operator_doc_id
    assert record.info["registration_number_source"] == "program_operator_doc_id"
    assert record.fields["issue_date"] == date(2021, 2, 24)
    assert record.fields["valid_until"] == date(2026, 2, 24)
    # CML 2012 and TRACI 2.1 both declare A1A2A3 = 50.0 kgCO2e; TRACI ranks before CML, and no conversion
    # applies (kgCO2e x 1) -> 50.0 kg CO2e per declared unit. No other module is declared.
    assert record.info["lcia_method"] == "TRACI 2.1"
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("50.0")
    assert not any(name in record.fields for name in ("gwp_a4_kg_co2e", "gwp_c3_kg_co2e", "gwp_d_kg_co2e"))
    assert record.fields["programme_operator"] == "NSF International"
    assert record.fields["verifier"] == "NSF International (Tony Favilla)"
    assert record.fields["pcr"] == "BIFMA PCR for Seating: UNCPC 3811"
    assert "standard" not in record.fields  # no compliance, PCR names no standard
    assert record.info["manufacturer"] == "Herman Miller"
    assert record.info["product_name"] == "Ratio Desk with Screen"
    assert json.loads(record.raw_document) == EXAMPLE_EPD_WORK_SURFACES
    # 1 m2 is not a mass and the example gives no kg_per_declared_unit: the unit is kept, the mass is missing.
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == ("m2", Decimal("1.0"))
    assert list(_errors(record)) == ["mass_kg_per_declared_unit"]
    assert "kg_per_declared_unit" in _errors(record)["mass_kg_per_declared_unit"]


def test_the_work_surfaces_example_with_a_mass_per_declared_unit_is_complete():
    document = copy.deepcopy(EXAMPLE_EPD_WORK_SURFACES)
    document["declared_unit"] = {"qty": 2.0, "unit": "m2"}
    document["kg_per_declared_unit"] = {"qty": 25.0, "unit": "kg"}
    record = _one(document)
    assert record.ok, record.errors
    # openEPD gives the mass per whole declared unit (2 m2 weigh 25 kg); the platform keeps kg per m2: 12.5.
    assert record.fields["declared_amount"] == Decimal("2.0")
    assert record.fields["mass_kg_per_declared_unit"] == Decimal("12.5")


def test_the_packaged_industry_epd_example_declares_per_its_mass():
    record = _one(EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS)
    assert record.ok, record.errors
    assert record.fields["registration_number"] == "IND-GALV-2022"
    assert (record.fields["issue_date"], record.fields["valid_until"]) == (date(2022, 6, 1), date(2027, 6, 1))
    # No declared_unit, kg_per_declared_unit = 1.0 kg: declared per 1 kg of product.
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == ("kg", Decimal("1.0"))
    assert "kg_per_declared_unit" in record.info["declared_unit_note"]
    # CML 2012 is the only method: A1A2A3 = 2.1 kgCO2e x 1 = 2.1 kg CO2e.
    assert record.info["lcia_method"] == "CML 2012"
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2.1")
    assert record.fields["programme_operator"] == "NSF International"
    assert record.info["manufacturer"] == "Herman Miller"


def test_a_list_of_both_examples_gives_one_record_each_with_its_own_location_and_json():
    records = _parse([EXAMPLE_EPD_WORK_SURFACES, EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS], filename="batch.json")
    assert [record.location for record in records] == ["batch.json[0]", "batch.json[1]"]
    assert [record.fields["registration_number"] for record in records] == ["EPD10526", "IND-GALV-2022"]
    assert json.loads(records[1].raw_document) == EXAMPLE_INDUSTRY_EPD_METAL_PRODUCTS


# --- GWP: modules, units, methods --------------------------------------------------------------------------------


def test_a_complete_steel_epd_fills_every_module():
    record = _one(_epd())
    assert record.ok, record.errors
    assert {name: record.fields[name] for name in record.fields if name.startswith("gwp_")} == {
        "gwp_a1_a3_kg_co2e": Decimal("2050.5"),
        "gwp_a4_kg_co2e": Decimal("12.25"),
        "gwp_c1_kg_co2e": Decimal("1.5"),
        "gwp_c2_kg_co2e": Decimal("3.0"),
        "gwp_c3_kg_co2e": Decimal("0.0"),
        "gwp_c4_kg_co2e": Decimal("0.75"),
        "gwp_d_kg_co2e": Decimal("-310"),
    }
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == ("t", Decimal("1"))
    assert record.fields["valid_until"] == date(2030, 2, 28)  # the date as written, in its own +08:00 offset
    assert record.fields["standard"] == "EN 15804+A2"  # the PCR names EN 15804+A2
    assert record.fields["verifier"] == "CQC Verification"
    assert (record.info["manufacturer"], record.info["product_name"]) == (
        "Example Steel Co.",
        "Hot-rolled coil Q235B",
    )


def test_gwp_in_tonnes_is_converted_explicitly_per_module():
    record = _one(
        _epd(
            impacts=_gwp(
                A1A2A3={"mean": 2.05, "unit": "t CO2e"},
                A4={"mean": 0.012, "unit": "tCO2e"},
                C3={"mean": 4.5, "unit": "kgCO2e"},
                D={"mean": -0.31, "unit": "t CO2e"},
            )
        )
    )
    assert record.ok, record.errors
    # 2.05 t x 1000 = 2050 kg; 0.012 t x 1000 = 12 kg; C3 already kg: 4.5; -0.31 t x 1000 = -310 kg.
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2050")
    assert record.fields["gwp_a4_kg_co2e"] == Decimal("12")
    assert record.fields["gwp_c3_kg_co2e"] == Decimal("4.5")
    assert record.fields["gwp_d_kg_co2e"] == Decimal("-310")
    assert "x 1000" in record.info["gwp_a1_a3_kg_co2e_conversion"]


@pytest.mark.parametrize("unit", ["kgCO2", "kg", "MJ", "kgCO2e/kg"])
def test_a_gwp_unit_other_than_co2e_is_an_error_naming_the_json_path(unit):
    record = _one(_epd(impacts=_gwp(A1A2A3={"mean": 2050.5, "unit": "kgCO2e"}, C2={"mean": 3, "unit": unit})))
    assert _errors(record) == {
        "gwp_c2_kg_co2e": f"GWP unit '{unit}' is not kg CO2e (impacts.EF 3.1.gwp.C2.unit)."
    }
    assert "gwp_c2_kg_co2e" not in record.fields
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2050.5")


def test_a_gwp_without_a_unit_is_an_error():
    record = _one(_epd(impacts=_gwp(A1A2A3={"mean": 2050.5})))
    assert _errors(record) == {"gwp_a1_a3_kg_co2e": "GWP unit is missing (impacts.EF 3.1.gwp.A1A2A3.unit)."}


def test_ef_3_1_is_preferred_over_traci_and_cml_whatever_the_order_in_the_document():
    impacts = {
        "CML 2012": {"gwp": {"A1A2A3": {"mean": 1.0, "unit": "kgCO2e"}}},
        "TRACI 2.1": {"gwp": {"A1A2A3": {"mean": 2.0, "unit": "kgCO2e"}}},
        "EF 3.1": {"gwp": {"A1A2A3": {"mean": 3.0, "unit": "kgCO2e"}}},
    }
    record = _one(_epd(impacts=impacts))
    assert (record.info["lcia_method"], record.fields["gwp_a1_a3_kg_co2e"]) == ("EF 3.1", Decimal("3.0"))
    del impacts["EF 3.1"]
    record = _one(_epd(impacts=impacts))
    assert (record.info["lcia_method"], record.fields["gwp_a1_a3_kg_co2e"]) == ("TRACI 2.1", Decimal("2.0"))


def test_an_unlisted_method_is_used_when_it_is_the_only_one_and_methods_are_never_mixed():
    impacts = {
        "Ecological Scarcity 2021": {"gwp": {"A1A2A3": {"mean": 7.0, "unit": "kgCO2e"}}},
        "EF 3.0": {"odp": {"A1A2A3": {"mean": 1e-6, "unit": "kgCFC11e"}}},  # no gwp: not a candidate
    }
    record = _one(_epd(impacts=impacts))
    assert record.info["lcia_method"] == "Ecological Scarcity 2021"
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("7.0")
    impacts = {
        "EF 3.0": {"gwp": {"A1A2A3": {"mean": 2000, "unit": "kgCO2e"}}},
        "TRACI 2.1": {
            "gwp": {"A1A2A3": {"mean": 1900, "unit": "kgCO2e"}, "D": {"mean": -300, "unit": "kgCO2e"}}
        },
    }
    record = _one(_epd(impacts=impacts))
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2000")
    assert "gwp_d_kg_co2e" not in record.fields  # D exists only under TRACI: not borrowed


def test_a1_a2_a3_given_separately_are_summed_only_when_all_three_are_there():
    record = _one(
        _epd(
            impacts=_gwp(
                A1={"mean": 1800.25, "unit": "kgCO2e"},
                A2={"mean": 0.02, "unit": "t CO2e"},
                A3={"mean": 230.25, "unit": "kgCO2e"},
            )
        )
    )
    # 1800.25 + 0.02 t x 1000 (= 20) + 230.25 = 2050.5
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2050.5")
    assert "sum of A1, A2 and A3" in record.info["gwp_a1_a3_note"]
    record = _one(_epd(impacts=_gwp(A1={"mean": 1800, "unit": "kgCO2e"}, A3={"mean": 230, "unit": "kgCO2e"})))
    assert _errors(record) == {
        "gwp_a1_a3_kg_co2e": "GWP for A1-A3 is missing (impacts.EF 3.1.gwp.A1A2A3); only A1, A3 of A1, A2, A3 "
        "are given."
    }


def test_values_beyond_six_decimal_places_are_rounded_to_what_the_database_keeps():
    record = _one(_epd(impacts=_gwp(A1A2A3={"mean": 58.76638612884466, "unit": "kgCO2e"})))
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("58.766386")


def test_an_infinite_gwp_is_an_error():
    document = json.dumps(_epd()).replace("2050.5", "1e400").encode()
    record = parse_openepd(document, filename="epd.json")[0]
    assert "is not a finite number (impacts.EF 3.1.gwp.A1A2A3.mean)" in _errors(record)["gwp_a1_a3_kg_co2e"]


# --- declared unit -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "mass", "unit", "amount", "kg_per_unit"),
    [
        ({"qty": 1, "unit": "t"}, None, "t", Decimal("1"), None),
        ({"qty": 1000, "unit": "kg"}, {"qty": 1000, "unit": "kg"}, "kg", Decimal("1000"), None),
        ("1 t", None, "t", Decimal("1.0"), None),  # openEPD amount written as text
        ({"qty": 500, "unit": "g"}, None, "kg", Decimal("0.5"), None),  # 500 g x 0.001 = 0.5 kg
        ({"qty": 1, "unit": "short_ton"}, None, "kg", Decimal("907.1847"), None),  # 907.18474 kg, 4 places
        ({"qty": 1, "unit": "item"}, {"qty": 3.5, "unit": "kg"}, "piece", Decimal("1"), Decimal("3.5")),
        ({"qty": 10, "unit": "m2"}, "0.25 t", "m2", Decimal("10"), Decimal("25")),  # 250 kg / 10 m2
        ({"qty": 1, "unit": "m3"}, {"qty": 7850, "unit": "kg"}, "kg", Decimal("7850"), None),  # as its mass
    ],
)
def test_declared_units_map_to_the_platforms_units_with_explicit_conversions(
    declared, mass, unit, amount, kg_per_unit
):
    record = _one(_epd(declared_unit=declared, kg_per_declared_unit=mass))
    assert record.ok, record.errors
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == (unit, amount)
    assert record.fields.get("mass_kg_per_declared_unit") == kg_per_unit


def test_declared_unit_errors():
    record = _one(_epd(declared_unit={"qty": 1, "unit": "m3"}))
    assert _errors(record) == {
        "declared_unit": "Declared unit 'm3' is not one this platform takes (kg, t, m2, piece) and the document "
        "gives no kg_per_declared_unit to convert it (declared_unit.unit)."
    }
    record = _one(_epd(declared_unit=None))
    assert "no declared unit and no kg_per_declared_unit" in _errors(record)["declared_unit"]
    record = _one(_epd(declared_unit={"qty": 0, "unit": "t"}))
    assert "greater than zero (declared_unit.qty)" in _errors(record)["declared_amount"]
    record = _one(_epd(declared_unit={"qty": 1, "unit": "m2"}, kg_per_declared_unit={"qty": 1, "unit": "m2"}))
    assert _errors(record)["mass_kg_per_declared_unit"] == (
        "Unit 'm2' is not a mass unit (kg_per_declared_unit.unit)."
    )
    record = _one(_epd(declared_unit={"qty": 1, "unit": "t"}, kg_per_declared_unit={"qty": 1, "unit": "kg"}))
    assert "contradicts the declared unit 1 t" in _errors(record)["mass_kg_per_declared_unit"]
    record = _one(_epd(declared_unit="one tonne"))
    assert "'one tonne' is not an amount" in _errors(record)["declared_unit"]


# --- identity, dates, parties, standard ----------------------------------------------------------------------------


def test_the_registration_number_falls_back_from_doc_id_to_id_to_declaration_url():
    record = _one(_epd(program_operator_doc_id=None))
    assert (record.fields["registration_number"], record.info["registration_number_source"]) == (
        "EC3STEEL",
        "id",
    )
    record = _one(_epd(program_operator_doc_id=None, id=None))
    assert record.fields["registration_number"] == "https://example.org/epd/EPD-CN-2025-0001"
    record = _one(_epd(program_operator_doc_id=None, id=None, declaration_url=None))
    assert "no registration number" in _errors(record)["registration_number"]


def test_missing_dates_are_errors_on_their_fields():
    record = _one(_epd(date_of_issue=None, valid_until=None))
    assert _errors(record) == {
        "issue_date": "The document has no date_of_issue.",
        "valid_until": "The document has no valid_until.",
    }


@pytest.mark.parametrize(
    ("compliance", "pcr", "impacts", "standard"),
    [
        ([{"short_name": "EN 15804+A2"}], None, None, "EN 15804+A2"),
        ([{"short_name": "EN15804", "name": "EN 15804:2012"}], None, "EF 3.0", "EN 15804+A2"),
        ([{"short_name": "EN15804"}], None, "TRACI 2.1", None),  # EN 15804, but +A1 or +A2 unknown
        ([{"short_name": "ISO 14025"}], None, None, "ISO 14025"),
        ([{"name": "ISO 14067:2018"}], None, None, "ISO 14067"),
        ([], {"name": "GB/T 24067-2024 carbon footprint of steel"}, None, "GB/T 24067-2024"),
        ([], {"name": "Seating"}, None, None),
    ],
)
def test_the_standard_is_mapped_when_the_document_names_one(compliance, pcr, impacts, standard):
    method = impacts or "EF 3.1"
    overrides = {"compliance": compliance, "pcr": pcr or {"name": "PCR"}}
    overrides["impacts"] = {method: {"gwp": {"A1A2A3": {"mean": 1, "unit": "kgCO2e"}}}}
    record = _one(_epd(**overrides))
    assert record.fields.get("standard") == standard


# --- validation errors become record errors naming the JSON path ---------------------------------------------------


def test_schema_errors_name_the_json_path_and_block_only_that_record():
    bad = _epd(date_of_issue="2025-13-45")
    bad["impacts"]["EF 3.1"]["gwp"]["C2"] = {"mean": "much", "unit": "kgCO2e"}
    records = _parse([_epd(), bad])
    assert records[0].ok
    errors = _errors(records[1])
    assert set(errors) == {"issue_date", "gwp_c2_kg_co2e"}
    assert errors["issue_date"].endswith("'2025-13-45' (date_of_issue)")
    assert errors["gwp_c2_kg_co2e"].endswith("'much' (impacts.EF 3.1.gwp.C2.mean)")
    assert records[1].location == "epd.json[1]"
    assert records[1].raw_document  # kept for the preview even when invalid


def test_a_field_without_a_declaration_counterpart_is_named_by_its_path():
    record = _one(_epd(language="english"))
    assert list(_errors(record)) == ["language"]
    assert "(language)" in _errors(record)["language"]


def test_documents_that_are_not_epds_are_refused_per_record():
    record = _one(_epd(doctype="openGenericEstimate"))
    assert "is not an EPD" in _errors(record)["doctype"]
    records = _parse([_epd(), "EPD-1", None])
    assert [list(_errors(record)) for record in records] == [[], ["document"], ["document"]]
    assert "not a JSON string" in _errors(records[1])["document"]


# --- file-level errors ---------------------------------------------------------------------------------------------


def test_file_level_errors():
    with pytest.raises(ImportFileError, match="empty"):
        parse_openepd(b"", filename="epd.json")
    with pytest.raises(ImportFileError, match=r"; the limit is \d+ MB"):
        parse_openepd(b" " * (MAX_UPLOAD_BYTES + 1), filename="epd.json")
    with pytest.raises(ImportFileError, match=r"not UTF-8 text \(byte 0xc8 at position 18\)"):
        parse_openepd('{"product_name": "热轧卷"}'.encode("gb18030"), filename="epd.json")
    with pytest.raises(ImportFileError) as broken:
        parse_openepd(b'{\n  "id": "x",\n  "impacts": {\n}', filename="epd.json")
    assert broken.value.location == "line 4, column 2"
    assert "not valid JSON" in broken.value.message and "(line 4, column 2)" in broken.value.message
    with pytest.raises(ImportFileError, match="it holds a JSON boolean"):
        parse_openepd(b"true", filename="epd.json")
    with pytest.raises(ImportFileError, match="nested too deeply"):
        parse_openepd(b"[" * 100_000 + b"]" * 100_000, filename="epd.json")


def test_a_utf8_byte_order_mark_is_accepted():
    record = parse_openepd(b"\xef\xbb\xbf" + json.dumps(_epd()).encode(), filename="epd.json")[0]
    assert record.ok, record.errors


def test_more_than_max_records_epds_is_refused_before_any_is_validated():
    data = ("[" + ",".join(["{}"] * (MAX_RECORDS + 1)) + "]").encode()
    with pytest.raises(ImportFileError, match=f"holds {MAX_RECORDS + 1} EPDs; the limit is {MAX_RECORDS}"):
        parse_openepd(data, filename="epd.json")


# --- the bad-input corpus ------------------------------------------------------------------------------------------

# file -> (error text fragment, location of a file error | (record location, field) of a record error)
BAD_JSON = {
    "broken.json": ("not valid JSON: Expecting ',' delimiter (line 4, column 47)", "line 4, column 47"),
    "top_level_string.json": ("it holds a JSON string", ""),
    "top_level_number.json": ("it holds a JSON number", ""),
    "empty_list.json": ("the file holds no EPD", ""),
    "empty.json": ("The file is empty", ""),
    "latin1.json": ("not UTF-8 text (byte 0xe9 at position 29)", ""),
    "pdf_renamed.json": ("This is a PDF document, not openEPD JSON", ""),
    "nan.json": ("contains NaN, which is not valid JSON", ""),
    "gwp_wrong_unit.json": (
        "GWP unit 'kgCO2' is not kg CO2e (impacts.EF 3.1.gwp.A1A2A3.unit)",
        ("gwp_wrong_unit.json", "gwp_a1_a3_kg_co2e"),
    ),
    "gwp_unit_missing.json": (
        "GWP unit is missing (impacts.EF 3.1.gwp.A1A2A3.unit)",
        ("gwp_unit_missing.json", "gwp_a1_a3_kg_co2e"),
    ),
    "gwp_not_number.json": (
        "'lots' (impacts.EF 3.1.gwp.A1A2A3.mean)",
        ("gwp_not_number.json", "gwp_a1_a3_kg_co2e"),
    ),
    "declared_unit_unknown.json": (
        "Declared unit 'm3' is not one this platform takes",
        ("declared_unit_unknown.json", "declared_unit"),
    ),
    "declared_unit_missing.json": (
        "no declared unit and no kg_per_declared_unit",
        ("declared_unit_missing.json", "declared_unit"),
    ),
    "missing_a1a3.json": (
        "GWP for A1-A3 is missing (impacts.EF 3.1.gwp.A1A2A3)",
        ("missing_a1a3.json", "gwp_a1_a3_kg_co2e"),
    ),
    "no_gwp.json": ("declares no GWP", ("no_gwp.json", "gwp_a1_a3_kg_co2e")),
    "bad_date.json": ("'2025-13-45' (date_of_issue)", ("bad_date.json", "issue_date")),
    "generic_estimate.json": ("'openGenericEstimate' is not an EPD", ("generic_estimate.json", "doctype")),
    "list_with_non_object.json": (
        "must be an openEPD object, not a JSON number",
        ("list_with_non_object.json[1]", "document"),
    ),
}


@pytest.mark.parametrize(("name", "expected"), BAD_JSON.items(), ids=list(BAD_JSON))
def test_bad_input_corpus(name, expected):
    fragment, where = expected
    data = (BAD / name).read_bytes()
    if isinstance(where, str):  # the whole file is refused
        with pytest.raises(ImportFileError) as refused:
            parse_openepd(data, filename=name)
        assert fragment in refused.value.message
        assert refused.value.location == where
        return
    records = {record.location: record for record in parse_openepd(data, filename=name)}
    location, field = where
    errors = _errors(records[location])
    assert field in errors, errors
    assert fragment in errors[field]
    assert all(record.ok for other, record in records.items() if other != location)


def test_the_parser_module_touches_no_database_models():
    source = (Path(__file__).parents[2] / "disclosures" / "importers" / "openepd_json.py").read_text()
    imported = [
        node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not any("models" in name.split(".") for name in imported if not name.startswith("openepd")), (
        imported
    )
