"""ILCD+EPD import: a real EPD International dataset, EN 15804+A2 datasets in ILCD zips, hostile XML and zips.

Pure parser tests: no database. Big archives (zip bombs, too many entries) are generated here at runtime.
"""

import ast
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from disclosures.importers import (
    MAX_ARCHIVE_ENTRIES,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    ImportFileError,
)
from disclosures.importers._safe import MAX_ENTRY_BYTES, read_capped
from disclosures.importers.ilcd_xml import parse_ilcd
from tests.disclosures.test_import_openepd import BAD_JSON

FILES = Path(__file__).parent / "files"
BAD = FILES / "bad"
ENVIRONDEC = FILES / "ilcd" / "environdec_S-P-01937.xml"
ENVIRONDEC_FLOW = "47e70177-462e-4ea9-bbde-34e0ed56c59b"  # its reference flow, not in the file

EF30 = "6a37f984-a4b3-458a-a20a-64418c145fa2"
EF31 = "a7ea142a-9749-11ed-a8fc-0242ac120002"
A1_GWP = "77e416eb-a363-4258-a04e-171d843a6460"
GWP_FOSSIL = "5f635281-343e-44fb-83df-1971b155e6b6"
MASS = "93a60a56-a3c8-11da-a746-0800200b9a66"
AREA = "93a60a56-a3c8-19da-a746-0800200c9a66"
ITEMS = "01846770-4cfe-4a25-8ad9-919d8d378345"
VOLUME = "93a60a56-a3c8-22da-a746-0800200c9a66"
FLOW = "5c2e0a37-1f0b-4b8e-9c7e-6a1d2f3e4b5c"
PROCESS = "0b8a4e52-6f0e-4d6c-9a51-2f3c1d2e7a10"
FIXED_TIME = (2025, 1, 1, 0, 0, 0)

NAMESPACES = (
    'xmlns="http://lca.jrc.it/ILCD/Process" xmlns:common="http://lca.jrc.it/ILCD/Common" '
    'xmlns:epd="http://www.iai.kit.edu/EPD/2013" xmlns:epd2="http://www.indata.network/EPD/2019" '
    'xmlns:epd24="http://www.indata.network/EPD/2024" version="1.1"'
)
DEFAULT_GWP = [
    ("A1-A3", "", "2.05E3"),
    ("A4", "Truck 300 km", "12.25"),
    ("A4", "Ship 800 km", "7.5"),
    ("C1", "", "1.5"),
    ("C2", "", "3.0"),
    ("C3", "", ""),
    ("C4", "", "ND"),
    ("D", "", "-3.1E2"),
]


def _reference(tag: str, uuid: str, text: str, kind: str = "contact data set") -> str:
    return (
        f'<{tag} type="{kind}" refObjectId="{uuid}" version="01.00.000">'
        f'<common:shortDescription xml:lang="en">{text}</common:shortDescription></{tag}>'
    )


def _result(method: str, amounts, unit: str | None = "kg CO2 eqv.") -> str:
    rows = "".join(
        f'<epd:amount epd:module="{module}"'
        + (f' epd:scenario="{scenario}"' if scenario else "")
        + f">{text}</epd:amount>"
        for module, scenario, text in amounts
    )
    group = (
        '<epd:referenceToUnitGroupDataSet type="unit group data set" refObjectId="1ebf3012-d0db-4de2-aefd-ef30cedb0be1">'
        f"<common:shortDescription>{unit}</common:shortDescription></epd:referenceToUnitGroupDataSet>"
        if unit is not None
        else ""
    )
    return (
        f'<LCIAResult><referenceToLCIAMethodDataSet type="LCIA method data set" refObjectId="{method}">'
        '<common:shortDescription xml:lang="en">GWP</common:shortDescription></referenceToLCIAMethodDataSet>'
        f"<common:other>{rows}{group}</common:other></LCIAResult>"
    )


def process_xml(
    *,
    uuid: str = PROCESS,
    name: str = "Hot-rolled steel coil",
    registration: str | None = "EPD-DE-2025-017",
    reference_year: str | None = "2024",
    valid_until: str | None = "2029",
    publication_date: str | None = "2025-03-14",
    reference_flow: str | None = "0",
    flow: str = FLOW,
    amount: str = "1000",
    exchange_unit: str = "",
    results: str | None = None,
    reviews: str = (
        '<review type="Independent external review">'
        + _reference(
            "common:referenceToNameOfReviewerAndInstitution",
            "7cde93bd-0000-0000-0000-000000000001",
            "Jane Verifier",
        )
        + "</review>"
    ),
    compliance: str = "EN 15804+A2",
    publisher: str | None = "Institut Bauen und Umwelt e.V.",
    authority: str | None = None,
    owner: str | None = "Example Stahl GmbH",
    manufacturer: str | None = "Example Stahlwerk AG",
) -> str:
    """A compact ILCD+EPD v1.2/1.3 process dataset in the layout ÖKOBAUDAT exports."""
    results = (
        results
        if results is not None
        else _result(EF30, DEFAULT_GWP) + _result(GWP_FOSSIL, [("A1-A3", "", "1")])
    )
    publication = f"<common:other><epd2:publicationDateOfEPD>{publication_date}</epd2:publicationDateOfEPD></common:other>"
    time = (
        (
            f"<common:referenceYear>{reference_year}</common:referenceYear>"
            if reference_year is not None
            else ""
        )
        + (
            f"<common:dataSetValidUntil>{valid_until}</common:dataSetValidUntil>"
            if valid_until is not None
            else ""
        )
        + (publication if publication_date else "")
    )
    manufacturers = (
        "<common:other><epd24:manufacturers><epd24:manufacturer>"
        + _reference("epd24:contact", "12345678-0000-0000-0000-000000000002", manufacturer)
        + "</epd24:manufacturer></epd24:manufacturers></common:other>"
        if manufacturer
        else ""
    )
    ownership = (
        (
            _reference(
                "common:referenceToRegistrationAuthority", "bee77d31-0000-0000-0000-000000000003", authority
            )
            if authority
            else ""
        )
        + (f"<common:registrationNumber>{registration}</common:registrationNumber>" if registration else "")
        + (
            _reference("common:referenceToOwnershipOfDataSet", "9c5cd1fd-0000-0000-0000-000000000004", owner)
            if owner
            else ""
        )
        + (
            "<common:other>"
            + _reference("epd2:referenceToPublisher", "bee77d31-0000-0000-0000-000000000005", publisher)
            + "</common:other>"
            if publisher
            else ""
        )
    )
    quantitative = (
        f"<quantitativeReference><referenceToReferenceFlow>{reference_flow}</referenceToReferenceFlow></quantitativeReference>"
        if reference_flow is not None
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<processDataSet {NAMESPACES}>
  <processInformation>
    <dataSetInformation>
      <common:UUID>{uuid}</common:UUID>
      <name><baseName xml:lang="de">Warmgewalztes Stahlband</baseName><baseName xml:lang="en">{name}</baseName></name>
      <common:other>
        <epd:scenarios>
          <epd:scenario epd:name="Truck 300 km" epd:group="Transport" epd:default="true"/>
          <epd:scenario epd:name="Ship 800 km" epd:group="Transport"/>
        </epd:scenarios>
      </common:other>
    </dataSetInformation>
    {quantitative}
    <time>{time}</time>
  </processInformation>
  <modellingAndValidation>
    <LCIMethodAndAllocation>
      <typeOfDataSet>EPD</typeOfDataSet>
      {_reference("referenceToLCAMethodDetails", "33132dd2-0000-0000-0000-000000000006", "PCR Part B: Steel products", "source data set")}
    </LCIMethodAndAllocation>
    <dataSourcesTreatmentAndRepresentativeness>{manufacturers}</dataSourcesTreatmentAndRepresentativeness>
    <validation>{reviews}</validation>
    <complianceDeclarations><compliance>
      {_reference("common:referenceToComplianceSystem", "c0016b33-0000-0000-0000-000000000007", compliance, "source data set")}
    </compliance></complianceDeclarations>
  </modellingAndValidation>
  <administrativeInformation>
    <publicationAndOwnership>{ownership}</publicationAndOwnership>
  </administrativeInformation>
  <exchanges>
    <exchange dataSetInternalID="0">
      {_reference("referenceToFlowDataSet", flow, name, "flow data set")}
      <meanAmount>{amount}</meanAmount>
      {exchange_unit}
    </exchange>
  </exchanges>
  <LCIAResults>{results}</LCIAResults>
</processDataSet>
"""


def flow_xml(
    uuid: str = FLOW, properties=((0, MASS, "Mass", "1.0"),), reference: int = 0, matml: str = ""
) -> str:
    """An ILCD flow dataset: flow properties as (internal id, flow property UUID, name, meanValue)."""
    rows = "".join(
        f'<flowProperty dataSetInternalID="{internal}">'
        + _reference("referenceToFlowPropertyDataSet", property_uuid, property_name, "flow property data set")
        + f"<meanValue>{value}</meanValue></flowProperty>"
        for internal, property_uuid, property_name, value in properties
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<flowDataSet xmlns="http://lca.jrc.it/ILCD/Flow" xmlns:common="http://lca.jrc.it/ILCD/Common" version="1.1">
  <flowInformation>
    <dataSetInformation><common:UUID>{uuid}</common:UUID><common:other>{matml}</common:other></dataSetInformation>
    <quantitativeReference><referenceToReferenceFlowProperty>{reference}</referenceToReferenceFlowProperty></quantitativeReference>
  </flowInformation>
  <flowProperties>{rows}</flowProperties>
</flowDataSet>
"""


def grammage(kg_per_m2: str) -> str:
    return (
        '<mm:MatML_Doc xmlns:mm="http://www.matml.org/"><mm:Material><mm:BulkDetails><mm:Name>steel sheet</mm:Name>'
        f'<mm:PropertyData property="pr1"><mm:Data format="float">{kg_per_m2}</mm:Data></mm:PropertyData>'
        '</mm:BulkDetails></mm:Material><mm:Metadata><mm:PropertyDetails id="pr1"><mm:Name>grammage</mm:Name>'
        '<mm:Units name="kg/m^2"><mm:Unit><mm:Name>kg</mm:Name></mm:Unit></mm:Units></mm:PropertyDetails>'
        "</mm:Metadata></mm:MatML_Doc>"
    )


def zip_of(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), content, compress_type=compression)
    return buffer.getvalue()


def _errors(record) -> dict[str, str]:
    return {error.field: error.message for error in record.errors}


def _one(data: bytes | str, filename="epd.zip"):
    records = parse_ilcd(data.encode() if isinstance(data, str) else data, filename=filename)
    assert len(records) == 1
    return records[0]


def _gwp_fields(record) -> dict:
    return {name: value for name, value in record.fields.items() if name.startswith("gwp_")}


# --- the real dataset ----------------------------------------------------------------------------------------------


def test_the_real_environdec_dataset_reads_as_its_gwp_table_says():
    data = ENVIRONDEC.read_bytes()
    record = _one(data, filename="S-P-01937.xml")
    assert record.location == "S-P-01937.xml"
    assert record.fields["source_format"] == "ilcd"
    # The file's LCIAResult for method 77e416eb-... ("Global warming potential (GWP)", EN 15804+A1), unit
    # "kg CO2-Äqv.", reads: A1-A3 2.79, A4 0.776, A5 0.0635 (not a platform field), C1 0.0308, C2 0.0323,
    # C3 0.0, C4 0.0497, D empty (= not declared). kg CO2e x 1, no conversion.
    assert _gwp_fields(record) == {
        "gwp_a1_a3_kg_co2e": Decimal("2.79"),
        "gwp_a4_kg_co2e": Decimal("0.776"),
        "gwp_c1_kg_co2e": Decimal("0.0308"),
        "gwp_c2_kg_co2e": Decimal("0.0323"),
        "gwp_c3_kg_co2e": Decimal("0"),
        "gwp_c4_kg_co2e": Decimal("0.0497"),
    }
    assert record.info["lcia_method"] == "GWP, EN 15804+A1"
    # No common:registrationNumber: the dataset UUID, and the file says why.
    assert record.fields["registration_number"] == "daa1778e-be8f-4d2f-b1b3-c32ca2f0e90d"
    assert record.info["registration_number_source"].startswith("dataset UUID")
    # "Registration date: 2020-05-06 / Validity date: 2025-04-22" beat referenceYear 2020 / validUntil 2025.
    assert (record.fields["issue_date"], record.fields["valid_until"]) == (
        date(2020, 5, 6),
        date(2025, 4, 22),
    )
    assert record.fields["verifier"] == "Rina Services S.p.A."
    assert record.fields["pcr"] == "2012:01 Construction products and construction services"
    # compliance: EN 15804 and ISO 14025; the GWP method is EN 15804+A1's, the more specific of the two
    assert record.fields["standard"] == "EN 15804+A1"
    # The only named party besides the verifier is the dataset's owner, the manufacturer: not a programme operator.
    assert "programme_operator" not in record.fields
    assert record.info["product_name"] == "12.5 mm Plasterboard Knauf A-ZERO"
    assert record.info["manufacturer"] == "Knauf di Knauf S.r.l. s.a.s."
    assert record.raw_document == data.decode("utf-8")
    # The reference flow (exchange 1) has no flow dataset in the file and names no unit group: no guessing.
    assert list(_errors(record)) == ["declared_unit"]
    assert f"flows/{ENVIRONDEC_FLOW}" in _errors(record)["declared_unit"]
    assert "declared_unit" not in record.fields


def test_the_real_dataset_in_an_ilcd_zip_with_its_flow_dataset_gets_its_declared_unit():
    flow = flow_xml(ENVIRONDEC_FLOW, properties=[(0, AREA, "Area", "1.0"), (1, MASS, "Mass", "9.2")])
    data = zip_of(
        [
            ("ILCD/processes/daa1778e-be8f-4d2f-b1b3-c32ca2f0e90d.xml", ENVIRONDEC.read_bytes()),
            (f"ILCD/flows/{ENVIRONDEC_FLOW}_00.00.002.xml", flow),
            ("ILCD/contacts/91f89cf7-faeb-4b22-a6e1-95483d429bf5.xml", "<contactDataSet/>"),
        ]
    )
    record = _one(data, filename="knauf.zip")
    assert record.location == "knauf.zip:ILCD/processes/daa1778e-be8f-4d2f-b1b3-c32ca2f0e90d.xml"
    assert record.ok, record.errors
    # resultingAmount 1.0 of a flow whose reference property is Area; Mass 9.2 per 1.0 m2 -> 9.2 kg/m2.
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == ("m2", Decimal("1.0"))
    assert record.fields["mass_kg_per_declared_unit"] == Decimal("9.2")
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2.79")


# --- an EN 15804+A2 dataset ----------------------------------------------------------------------------------------


def test_an_en_15804_a2_dataset_maps_every_field():
    data = zip_of([(f"ILCD/processes/{PROCESS}.xml", process_xml()), (f"ILCD/flows/{FLOW}.xml", flow_xml())])
    record = _one(data)
    assert record.ok, record.errors
    # GWP-total (EF 3.0): A1-A3 2.05E3 = 2050; A4 of the default scenario "Truck 300 km" = 12.25 (not the ship's
    # 7.5); C1 1.5; C2 3.0; C3 empty and C4 "ND" = not declared; D -3.1E2 = -310. GWP-fossil is ignored.
    assert _gwp_fields(record) == {
        "gwp_a1_a3_kg_co2e": Decimal("2050"),
        "gwp_a4_kg_co2e": Decimal("12.25"),
        "gwp_c1_kg_co2e": Decimal("1.5"),
        "gwp_c2_kg_co2e": Decimal("3.0"),
        "gwp_d_kg_co2e": Decimal("-310"),
    }
    assert record.info["scenario_A4"] == "Truck 300 km"
    assert record.info["lcia_method"] == "GWP-total, EN 15804+A2 (EF 3.0)"
    assert record.fields["registration_number"] == "EPD-DE-2025-017"
    assert record.info["registration_number_source"] == "publicationAndOwnership/common:registrationNumber"
    assert record.fields["issue_date"] == date(2025, 3, 14)  # epd2:publicationDateOfEPD
    assert record.fields["valid_until"] == date(2029, 12, 31)  # dataSetValidUntil 2029
    assert record.fields["standard"] == "EN 15804+A2"
    assert record.fields["programme_operator"] == "Institut Bauen und Umwelt e.V."
    assert record.fields["verifier"] == "Jane Verifier"
    assert record.fields["pcr"] == "PCR Part B: Steel products"
    assert (record.info["manufacturer"], record.info["product_name"]) == (
        "Example Stahlwerk AG",
        "Hot-rolled steel coil",
    )
    # The flow's reference property is Mass (kg): 1000 kg declared.
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == ("kg", Decimal("1000"))
    assert "mass_kg_per_declared_unit" not in record.fields
    assert record.raw_document.startswith('<?xml version="1.0"')


def test_ef_3_1_is_preferred_over_ef_3_0_and_a1():
    results = (
        _result(A1_GWP, [("A1-A3", "", "1900")])
        + _result(EF30, [("A1-A3", "", "2000")])
        + _result(EF31, [("A1-A3", "", "2100")])
    )
    record = _one(process_xml(results=results), filename="p.xml")
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2100")
    assert record.info["lcia_method"] == "GWP-total, EN 15804+A2 (EF 3.1)"
    record = _one(
        process_xml(results=_result(A1_GWP, [("A1-A3", "", "1900")]), compliance="EN 15804"), filename="p.xml"
    )
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("1900")
    assert record.fields["standard"] == "EN 15804+A1" and "+A1" in record.info["standard_note"]


def test_gwp_in_tonnes_is_converted_explicitly():
    results = _result(
        EF30, [("A1-A3", "", "2.0505"), ("C3", "", "0.0045"), ("D", "", "-0.31")], unit="t CO2 eqv."
    )
    record = _one(process_xml(results=results), filename="p.xml")
    # 2.0505 t x 1000 = 2050.5 kg; 0.0045 t x 1000 = 4.5 kg; -0.31 t x 1000 = -310 kg.
    assert _gwp_fields(record) == {
        "gwp_a1_a3_kg_co2e": Decimal("2050.5"),
        "gwp_c3_kg_co2e": Decimal("4.5"),
        "gwp_d_kg_co2e": Decimal("-310"),
    }
    assert "multiplied by 1000" in record.info["gwp_conversion"]


def test_a1_a2_a3_are_summed_only_when_all_three_are_declared():
    results = _result(EF30, [("A1", "", "1800.25"), ("A2", "", "20"), ("A3", "", "230.25"), ("A4", "", "12")])
    record = _one(process_xml(results=results), filename="p.xml")
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2050.50")  # 1800.25 + 20 + 230.25
    results = _result(EF30, [("A1", "", "1800.25"), ("A2", "", ""), ("A3", "", "230.25")])
    record = _one(process_xml(results=results), filename="p.xml")
    assert _errors(record)["gwp_a1_a3_kg_co2e"].endswith("only A1, A3 of A1, A2, A3 are declared.")


def test_gwp_amounts_that_are_not_numbers_are_errors_naming_the_module():
    results = _result(EF30, [("A1-A3", "", "2050,5"), ("C2", "", "three"), ("D", "", "NaN")])
    record = _one(process_xml(results=results, exchange_unit=KG_GROUP), filename="p.xml")
    errors = _errors(record)
    assert set(errors) == {"gwp_a1_a3_kg_co2e", "gwp_c2_kg_co2e", "gwp_d_kg_co2e"}
    assert errors["gwp_a1_a3_kg_co2e"].startswith("The GWP amount '2050,5' for module A1-A3 is not a number")
    assert "'three' for module C2" in errors["gwp_c2_kg_co2e"] and "epd:amount C2" in errors["gwp_c2_kg_co2e"]


def test_scenarios_without_one_default_are_an_error_and_a_lone_scenario_is_taken():
    results = _result(
        EF30,
        [
            ("A1-A3", "", "2050"),
            ("C3", "Recycling", "1"),
            ("C3", "Landfill", "2"),
            ("D", "Recycling", "-300"),
        ],
    )
    record = _one(process_xml(results=results), filename="p.xml")
    assert "several scenarios (Landfill, Recycling)" in _errors(record)["gwp_c3_kg_co2e"]
    assert record.fields["gwp_d_kg_co2e"] == Decimal("-300")  # the only D amount
    results = _result(EF30, [("A1-A3", "", "2050"), ("A1-A3", "", "2060")])
    record = _one(process_xml(results=results), filename="p.xml")
    assert "2 GWP amounts without a scenario" in _errors(record)["gwp_a1_a3_kg_co2e"]


def test_the_gwp_unit_may_be_given_by_unit_group_only_or_not_at_all():
    results = _result(EF30, [("A1-A3", "", "2050")], unit="")
    record = _one(process_xml(results=results), filename="p.xml")
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2050")  # unit group 1ebf3012-... is kg CO2 eq.
    results = _result(EF30, [("A1-A3", "", "2050")], unit=None)
    record = _one(process_xml(results=results), filename="p.xml")
    assert record.fields["gwp_a1_a3_kg_co2e"] == Decimal("2050")
    assert "kg CO2 eq., is assumed" in record.info["gwp_unit_note"]


# --- declared unit -------------------------------------------------------------------------------------------------


UNIT_GROUP_T = """<?xml version="1.0"?>
<unitGroupDataSet xmlns="http://lca.jrc.it/ILCD/UnitGroup" xmlns:common="http://lca.jrc.it/ILCD/Common">
  <unitGroupInformation>
    <dataSetInformation><common:UUID>bbbbbbbb-0000-0000-0000-00000000000b</common:UUID></dataSetInformation>
    <quantitativeReference><referenceToReferenceUnit>1</referenceToReferenceUnit></quantitativeReference>
  </unitGroupInformation>
  <units>
    <unit dataSetInternalID="0"><name>kg</name><meanValue>0.001</meanValue></unit>
    <unit dataSetInternalID="1"><name>t</name><meanValue>1</meanValue></unit>
  </units>
</unitGroupDataSet>
"""
FLOW_PROPERTY_T = """<?xml version="1.0"?>
<flowPropertyDataSet xmlns="http://lca.jrc.it/ILCD/FlowProperty" xmlns:common="http://lca.jrc.it/ILCD/Common">
  <flowPropertiesInformation>
    <dataSetInformation><common:UUID>aaaaaaaa-0000-0000-0000-00000000000a</common:UUID></dataSetInformation>
    <quantitativeReference>
      <referenceToReferenceUnitGroup type="unit group data set" refObjectId="bbbbbbbb-0000-0000-0000-00000000000b"/>
    </quantitativeReference>
  </flowPropertiesInformation>
</flowPropertyDataSet>
"""
GRAM = '<common:other><epd:referenceToUnitGroupDataSet refObjectId="00000000-0000-0000-0000-000000000000"><common:shortDescription>g</common:shortDescription></epd:referenceToUnitGroupDataSet></common:other>'
KG_GROUP = '<common:other><epd:referenceToUnitGroupDataSet refObjectId="ad38d542-3fe9-439d-9b95-2f5f7752acaf"/></common:other>'


@pytest.mark.parametrize(
    ("extra_entries", "process_options", "unit", "amount", "kg_per_unit"),
    [
        pytest.param(
            [("flows/x.xml", flow_xml())], {}, "kg", Decimal("1000"), None, id="flow-found-by-uuid-inside"
        ),
        pytest.param(
            [
                (
                    f"flows/{FLOW}.xml",
                    flow_xml(properties=[(0, "aaaaaaaa-0000-0000-0000-00000000000a", "Masse", "1")]),
                ),
                ("flowproperties/aaaaaaaa-0000-0000-0000-00000000000a.xml", FLOW_PROPERTY_T),
                ("unitgroups/bbbbbbbb-0000-0000-0000-00000000000b.xml", UNIT_GROUP_T),
            ],
            {"amount": "1"},
            "t",
            Decimal("1"),
            None,
            id="unit-from-flowproperty-and-unitgroup-datasets",
        ),
        pytest.param(
            [(f"flows/{FLOW}.xml", flow_xml(properties=[(0, AREA, "Area", "1.0")], matml=grammage("78.5")))],
            {"amount": "1"},
            "m2",
            Decimal("1"),
            Decimal("78.5"),
            id="area-with-matml-grammage",
        ),
        pytest.param(
            [
                (
                    f"flows/{FLOW}.xml",
                    flow_xml(properties=[(0, ITEMS, "Number of items", "1"), (1, MASS, "Mass", "12.5")]),
                )
            ],
            {"amount": "4"},
            "piece",
            Decimal("4"),
            Decimal("12.5"),
            id="pieces-with-mass-property",
        ),
        pytest.param(
            [
                (
                    f"flows/{FLOW}.xml",
                    flow_xml(properties=[(0, VOLUME, "Volume", "1"), (1, MASS, "Mass", "7850")]),
                )
            ],
            {"amount": "1"},
            "kg",
            Decimal("7850"),  # 1 m3 x 7850 kg/m3, expressed as its mass
            None,
            id="volume-as-its-mass",
        ),
        pytest.param(
            [], {"exchange_unit": KG_GROUP}, "kg", Decimal("1000"), None, id="unit-group-on-the-exchange"
        ),
        pytest.param(
            [], {"exchange_unit": GRAM, "amount": "500"}, "kg", Decimal("0.5"), None, id="grams-converted"
        ),
    ],
)
def test_the_declared_unit_comes_from_the_files_own_statements(
    extra_entries, process_options, unit, amount, kg_per_unit
):
    entries = [(f"ILCD/processes/{PROCESS}.xml", process_xml(**process_options))]
    entries += [(f"ILCD/{name}", content) for name, content in extra_entries]
    record = _one(zip_of(entries))
    assert record.ok, record.errors
    assert (record.fields["declared_unit"], record.fields["declared_amount"]) == (unit, amount)
    assert record.fields.get("mass_kg_per_declared_unit") == kg_per_unit


def test_declared_unit_errors():
    volume = flow_xml(properties=[(0, VOLUME, "Volume", "1")])
    record = _one(zip_of([(f"processes/{PROCESS}.xml", process_xml()), (f"flows/{FLOW}.xml", volume)]))
    assert _errors(record) == {
        "declared_unit": "The declared unit 'm3' (exchange 0) is not one this platform takes (kg, t, m2, piece) and "
        "the file gives no mass to convert it."
    }
    area = flow_xml(properties=[(0, AREA, "Area", "1")])
    record = _one(zip_of([(f"processes/{PROCESS}.xml", process_xml()), (f"flows/{FLOW}.xml", area)]))
    assert record.fields["declared_unit"] == "m2"
    assert "no mass per m2" in _errors(record)["mass_kg_per_declared_unit"]
    record = _one(process_xml(amount="zero"), filename="p.xml")
    assert (
        "'zero' is not a number greater than zero (exchange 0, meanAmount)"
        in _errors(record)["declared_amount"]
    )
    record = _one(process_xml(reference_flow=None), filename="p.xml")
    assert "names no reference flow" in _errors(record)["declared_unit"]
    record = _one(process_xml(), filename="p.xml")  # no flows/ folder, no unit group: not guessed
    assert "cannot be determined" in _errors(record)["declared_unit"]


# --- dates, identity, parties ------------------------------------------------------------------------------------


def test_dates_fall_back_to_the_reference_and_valid_until_years():
    record = _one(process_xml(publication_date=None, exchange_unit=KG_GROUP), filename="p.xml")
    assert record.ok, record.errors
    assert (record.fields["issue_date"], record.fields["valid_until"]) == (
        date(2024, 1, 1),
        date(2029, 12, 31),
    )
    assert "1 January of common:referenceYear" in record.info["dates_source"]
    record = _one(process_xml(publication_date=None, reference_year="24", valid_until=None), filename="p.xml")
    assert "common:referenceYear '24' is not a year" in _errors(record)["issue_date"]
    assert "has no common:dataSetValidUntil" in _errors(record)["valid_until"]


def test_programme_operator_and_manufacturer_fallbacks_and_unreviewed_datasets():
    record = _one(
        process_xml(
            publisher=None, authority="EPD Norge", manufacturer=None, reviews='<review type="Not reviewed"/>'
        ),
        filename="p.xml",
    )
    assert record.fields["programme_operator"] == "EPD Norge"
    assert record.info["programme_operator_source"] == "common:referenceToRegistrationAuthority"
    assert record.info["manufacturer"] == "Example Stahl GmbH"  # the owner of the dataset
    assert "verifier" not in record.fields
    record = _one(process_xml(publisher=None, registration=None), filename="p.xml")
    assert (
        "programme_operator" not in record.fields
    )  # the dataset's owner is the manufacturer, not an operator
    assert record.fields["registration_number"] == PROCESS


def test_a_zip_with_several_process_datasets_gives_one_record_each_and_a_broken_one_its_own_error():
    second = "1c9b5f63-7a1f-4e7d-8b62-3f4d2e8f9b21"
    data = zip_of(
        [
            (f"EPD/ILCD/processes/{PROCESS}.xml", process_xml(exchange_unit=KG_GROUP)),
            (
                f"EPD/ILCD/processes/{second}.xml",
                process_xml(uuid=second, registration="EPD-DE-2025-018", exchange_unit=KG_GROUP),
            ),
            ("EPD/ILCD/processes/broken.xml", "<processDataSet><oops></processDataSet>"),
            ("EPD/ILCD/processes/flow.xml", flow_xml()),
            ("EPD/ILCD/lciamethods/readme.txt", "ignored"),
        ]
    )
    records = parse_ilcd(data, filename="batch.zip")
    by_location = {record.location: record for record in records}
    assert sorted(by_location) == [
        f"batch.zip:EPD/ILCD/processes/{PROCESS}.xml",
        f"batch.zip:EPD/ILCD/processes/{second}.xml",
        "batch.zip:EPD/ILCD/processes/broken.xml",
        "batch.zip:EPD/ILCD/processes/flow.xml",
    ]
    assert (
        by_location[f"batch.zip:EPD/ILCD/processes/{second}.xml"].fields["registration_number"]
        == "EPD-DE-2025-018"
    )
    assert by_location[f"batch.zip:EPD/ILCD/processes/{PROCESS}.xml"].ok
    assert (
        "not well-formed: mismatched tag (line 1"
        in _errors(by_location["batch.zip:EPD/ILCD/processes/broken.xml"])["document"]
    )
    assert (
        "root element <flowDataSet>"
        in _errors(by_location["batch.zip:EPD/ILCD/processes/flow.xml"])["document"]
    )


# --- hostile and broken files --------------------------------------------------------------------------------------


def test_upload_and_archive_caps():
    with pytest.raises(ImportFileError, match=r"; the limit is \d+ MB"):
        parse_ilcd(b"<" + b" " * MAX_UPLOAD_BYTES, filename="big.xml")
    with pytest.raises(
        ImportFileError, match=f"has {MAX_ARCHIVE_ENTRIES + 1} entries; the limit is {MAX_ARCHIVE_ENTRIES}"
    ):
        parse_ilcd(
            zip_of([(f"ILCD/flows/{index}.xml", "") for index in range(MAX_ARCHIVE_ENTRIES + 1)]),
            filename="many.zip",
        )


def _bomb(entries: list[tuple[str, int]]) -> bytes:
    """A zip of entries of `size` zero bytes each, written in chunks: tiny compressed, huge unpacked."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, size in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as stream:
                for offset in range(0, size, len(chunk)):
                    stream.write(chunk[: min(len(chunk), size - offset)])
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb([("ILCD/processes/bomb.xml", MAX_UNCOMPRESSED_BYTES + 1)])


def test_a_zip_bomb_is_refused_from_its_headers(bomb):
    assert len(bomb) < 1_000_000  # ~100 kB that unpacks to over MAX_UNCOMPRESSED_BYTES
    with pytest.raises(ImportFileError) as refused:
        parse_ilcd(bomb, filename="bomb.zip")
    assert "unpacks to" in refused.value.message and refused.value.location == "ILCD/processes/bomb.xml"


def test_entries_that_together_unpack_past_the_cap_are_refused():
    size = MAX_ENTRY_BYTES - 1
    count = MAX_UNCOMPRESSED_BYTES // size + 1
    data = _bomb([(f"ILCD/processes/{index}.xml", size) for index in range(count)])
    with pytest.raises(ImportFileError, match=r"The zip unpacks to \d+ MB in total; the limit is \d+ MB"):
        parse_ilcd(data, filename="bombs.zip")


def _patch_headers(data: bytes, local_offset: int, central_offset: int, value: int, size: int = 4) -> bytes:
    """Overwrite one field of every local and central zip header (little-endian)."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        start = patched.find(signature)
        while start != -1:
            patched[start + offset : start + offset + size] = value.to_bytes(size, "little")
            start = patched.find(signature, start + 4)
    return bytes(patched)


def _lie_about_sizes(data: bytes, size: int) -> bytes:
    return _patch_headers(data, 22, 24, size)  # the uncompressed size fields


def test_a_zip_whose_headers_understate_the_size_cannot_unpack_more_than_they_say():
    honest = zip_of(
        [("ILCD/processes/big.xml", b"<processDataSet>" + b" " * 5_000_000 + b"</processDataSet>")]
    )
    lying = _lie_about_sizes(honest, 1000)
    assert zipfile.ZipFile(io.BytesIO(lying)).infolist()[0].file_size == 1000
    with pytest.raises(ImportFileError) as refused:
        parse_ilcd(lying, filename="liar.zip")
    assert "damaged" in refused.value.message


def test_reading_stops_at_the_cap_whatever_the_headers_claim():
    with pytest.raises(ImportFileError, match="unpacks to more than"):
        read_capped(io.BytesIO(b"x" * 200_000), 100_000, "The zip entry x.xml")
    assert read_capped(io.BytesIO(b"x" * 100_000), 100_000, "The zip entry x.xml") == b"x" * 100_000


def test_encrypted_and_oversized_entries_are_refused():
    encrypted = _patch_headers(zip_of([("ILCD/processes/secret.xml", process_xml())]), 6, 8, 0x1, size=2)
    assert zipfile.ZipFile(io.BytesIO(encrypted)).infolist()[0].flag_bits & 0x1  # the "encrypted" flag
    with pytest.raises(ImportFileError, match="encrypted"):
        parse_ilcd(encrypted, filename="secret.zip")
    big = _bomb([("ILCD/processes/big.xml", MAX_ENTRY_BYTES + 1)])
    with pytest.raises(ImportFileError, match="the limit for one file in a zip is"):
        parse_ilcd(big, filename="big.zip")


# file -> (error text fragment, location of a file error | (record location, field) of a record error)
BAD_XML = {
    "dtd.xml": ("DTDs and entity declarations are not allowed", "dtd.xml"),
    "external_entity.xml": ("DTDs and entity declarations are not allowed", "external_entity.xml"),
    "billion_laughs.xml": ("DTDs and entity declarations are not allowed", "billion_laughs.xml"),
    "dtd_in_flow.zip": (
        "DTDs and entity declarations are not allowed",
        f"ILCD/flows/{FLOW}.xml",
    ),
    "empty.xml": ("The file is empty", ""),
    "pdf_renamed.xml": ("This is a PDF document, not ILCD XML", ""),
    "not_xml.xml": ("neither XML nor a zip archive", ""),
    "malformed.xml": ("The XML is not well-formed: mismatched tag (line 4, column 2)", ""),
    "flow_dataset.xml": ("not an ILCD process dataset (its root element is <flowDataSet>)", ""),
    "garbage.zip": ("The zip archive cannot be read", ""),
    "path_traversal.zip": ("climbs out of the archive with '..'", "../../ILCD/processes/evil.xml"),
    "absolute_path.zip": ("is an absolute path", "/etc/ILCD/processes/evil.xml"),
    "nested.zip": ("nested archives are not allowed", "more/inner.zip"),
    "nested_disguised.zip": ("nested archives are not allowed", "ILCD/processes/a.xml"),
    "no_processes.zip": ("holds no process datasets", ""),
    "missing_a1a3.xml": ("GWP for module A1-A3 is missing", ("missing_a1a3.xml", "gwp_a1_a3_kg_co2e")),
    "split_a1_a3_incomplete.xml": (
        "only A1, A3 of A1, A2, A3 are declared",
        ("split_a1_a3_incomplete.xml", "gwp_a1_a3_kg_co2e"),
    ),
    "gwp_not_number.xml": (
        "The GWP amount 'n/a?' for module A4 is not a number",
        ("gwp_not_number.xml", "gwp_a4_kg_co2e"),
    ),
    "gwp_wrong_unit.xml": (
        "GWP unit 'kg SO2 eqv.' is not kg CO2e",
        ("gwp_wrong_unit.xml", "gwp_a1_a3_kg_co2e"),
    ),
    "no_gwp_result.xml": ("has no GWP result", ("no_gwp_result.xml", "gwp_a1_a3_kg_co2e")),
    "declared_unit_unknown.xml": (
        "The declared unit cannot be determined",
        ("declared_unit_unknown.xml", "declared_unit"),
    ),
}


@pytest.mark.parametrize(("name", "expected"), BAD_XML.items(), ids=list(BAD_XML))
def test_bad_input_corpus(name, expected):
    fragment, where = expected
    data = (BAD / name).read_bytes()
    if isinstance(where, str):
        with pytest.raises(ImportFileError) as refused:
            parse_ilcd(data, filename=name)
        assert fragment in refused.value.message
        assert refused.value.location == where
        return
    records = {record.location: record for record in parse_ilcd(data, filename=name)}
    location, field = where
    errors = _errors(records[location])
    assert field in errors, errors
    assert fragment in errors[field]


def test_every_corpus_file_has_an_expectation_and_no_corpus_file_is_big():
    names = {path.name for path in BAD.iterdir()}
    assert names == set(BAD_XML) | set(BAD_JSON)
    assert len(names) >= 20
    assert all(path.stat().st_size < 200_000 for path in FILES.rglob("*") if path.is_file())


def test_the_parser_modules_touch_no_database_models():
    for module in ("ilcd_xml.py", "_safe.py"):
        tree = ast.parse((Path(__file__).parents[2] / "disclosures" / "importers" / module).read_text())
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        imported += [
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        ]
        assert not any("models" in name.split(".") for name in imported), (module, imported)
