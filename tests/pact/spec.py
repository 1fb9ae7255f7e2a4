"""The PACT v2.3 data model as assertions: what a conforming ProductFootprint must look like.

Written from the spec's property tables (ProductFootprint, CarbonFootprint, DataQualityIndicators) and
data types: Decimal values are JSON strings, Percent and DQRs JSON numbers, DateTime strings in UTC, PfId a
UUID v4, CompanyId and ProductId URNs. Properties marked O* must be defined for reference periods that
include the beginning of 2025 or later, as every period of this host's footprints does.
"""

import re
import uuid
from datetime import datetime

DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
POSITIVE_DECIMAL = re.compile(r"^[+]?(\d*[1-9]\d*)(\.\d+)?$|^(0+\.\d*[1-9]\d*)$")
NON_NEGATIVE_DECIMAL = re.compile(r"^[+]?\d+(\.\d+)?$")
NON_POSITIVE_DECIMAL = re.compile(r"^(-\d+(\.\d+)?)$|^0+(\.0+)?$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
URN = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$", re.IGNORECASE)
SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
DECLARED_UNITS = {
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
}
CROSS_SECTORAL_STANDARDS_USED = {"GHG Protocol Product standard", "ISO Standard 14067", "ISO Standard 14044"}
PF_REQUIRED = {
    "id",
    "specVersion",
    "version",
    "created",
    "status",
    "companyName",
    "companyIds",
    "productDescription",
    "productIds",
    "productCategoryCpc",
    "productNameCompany",
    "comment",
    "pcf",
}
PCF_REQUIRED = {
    "declaredUnit",
    "unitaryProductAmount",
    "pCfExcludingBiogenic",
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "biogenicCarbonContent",
    "characterizationFactors",
    "ipccCharacterizationFactorsSources",
    "crossSectoralStandardsUsed",
    "crossSectoralStandards",
    "boundaryProcessesDescription",
    "referencePeriodStart",
    "referencePeriodEnd",
    "exemptedEmissionsPercent",
    "exemptedEmissionsDescription",
    "packagingEmissionsIncluded",
}
# O*: mandatory for reference periods including 2025-01-01 or later.
PCF_REQUIRED_FROM_2025 = {
    "pCfIncludingBiogenic",
    "dLucGhgEmissions",
    "landManagementGhgEmissions",
    "otherBiogenicGhgEmissions",
    "biogenicCarbonWithdrawal",
    "biogenicAccountingMethodology",
    "primaryDataShare",
    "dqi",
}
DQRS = ("technologicalDQR", "temporalDQR", "geographicalDQR", "completenessDQR", "reliabilityDQR")


def _time(value: str) -> datetime:
    assert isinstance(value, str) and DATETIME.match(value), value
    return datetime.fromisoformat(value)


def _number(value) -> float:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return value


def assert_product_footprint(pf: dict) -> None:
    missing = PF_REQUIRED - pf.keys()
    assert not missing, f"missing {missing}"
    pf_id = uuid.UUID(pf["id"])
    assert pf_id.version == 4 and pf["id"] == str(pf_id), pf["id"]  # UUID v4, lowercase
    assert pf["specVersion"] == "2.3.0"
    assert isinstance(pf["version"], int) and 0 <= pf["version"] <= 2**31 - 1
    created = _time(pf["created"])
    assert pf["status"] in {"Active", "Deprecated"}
    if "updated" in pf:
        assert _time(pf["updated"]) > created
    if "precedingPfIds" in pf:
        assert pf["precedingPfIds"] and len(set(pf["precedingPfIds"])) == len(pf["precedingPfIds"])
        assert all(uuid.UUID(value).version == 4 for value in pf["precedingPfIds"])
    assert isinstance(pf["companyName"], str) and pf["companyName"]
    for key in ("companyIds", "productIds"):
        assert pf[key] and all(isinstance(urn, str) and URN.match(urn) for urn in pf[key]), pf[key]
    assert isinstance(pf["productCategoryCpc"], str) and pf["productCategoryCpc"]
    assert isinstance(pf["productNameCompany"], str) and pf["productNameCompany"]
    assert isinstance(pf["productDescription"], str) and isinstance(pf["comment"], str)

    pcf = pf["pcf"]
    missing = PCF_REQUIRED - pcf.keys()
    assert not missing, f"missing pcf {missing}"
    assert pcf["declaredUnit"] in DECLARED_UNITS
    assert POSITIVE_DECIMAL.match(pcf["unitaryProductAmount"])
    for key in ("pCfExcludingBiogenic", "fossilGhgEmissions", "fossilCarbonContent", "biogenicCarbonContent"):
        assert isinstance(pcf[key], str) and NON_NEGATIVE_DECIMAL.match(pcf[key]), (key, pcf[key])
    if "productMassPerDeclaredUnit" in pcf:
        assert DECIMAL.match(pcf["productMassPerDeclaredUnit"])
        if pcf["declaredUnit"] == "kilogram":
            assert pcf["productMassPerDeclaredUnit"] == "1"
    assert pcf["characterizationFactors"] in {"AR5", "AR6"}
    sources = pcf["ipccCharacterizationFactorsSources"]
    assert sources and all(re.fullmatch(r"AR\d+", value) for value in sources)
    assert (
        pcf["crossSectoralStandardsUsed"]
        and set(pcf["crossSectoralStandardsUsed"]) <= CROSS_SECTORAL_STANDARDS_USED
    )
    assert pcf["crossSectoralStandards"] and len(set(pcf["crossSectoralStandards"])) == len(
        pcf["crossSectoralStandards"]
    )
    assert isinstance(pcf["boundaryProcessesDescription"], str) and pcf["boundaryProcessesDescription"]
    start, end = _time(pcf["referencePeriodStart"]), _time(pcf["referencePeriodEnd"])
    assert start < end
    assert 0 <= _number(pcf["exemptedEmissionsPercent"]) <= 5
    assert isinstance(pcf["exemptedEmissionsDescription"], str)
    assert pcf["packagingEmissionsIncluded"] is False and "packagingGhgEmissions" not in pcf

    if end.year >= 2025:
        missing = PCF_REQUIRED_FROM_2025 - pcf.keys()
        assert not missing, f"missing O* {missing}"
    if "pCfIncludingBiogenic" in pcf:
        assert DECIMAL.match(pcf["pCfIncludingBiogenic"])
    for key in ("dLucGhgEmissions", "otherBiogenicGhgEmissions"):
        if key in pcf:
            assert NON_NEGATIVE_DECIMAL.match(pcf[key])
    if "landManagementGhgEmissions" in pcf:
        assert DECIMAL.match(pcf["landManagementGhgEmissions"])
    if "biogenicCarbonWithdrawal" in pcf:
        assert NON_POSITIVE_DECIMAL.match(pcf["biogenicCarbonWithdrawal"])
    if "biogenicAccountingMethodology" in pcf:
        assert pcf["biogenicAccountingMethodology"] in {"PEF", "ISO", "GHGP", "Quantis"}
    if "primaryDataShare" in pcf:
        assert 0 <= _number(pcf["primaryDataShare"]) <= 100
    if "dqi" in pcf:
        assert 0 <= _number(pcf["dqi"]["coveragePercent"]) <= 100
        assert all(1 <= _number(pcf["dqi"][name]) <= 3 for name in DQRS)
    if "secondaryEmissionFactorSources" in pcf:
        assert pcf["secondaryEmissionFactorSources"]
        assert all(source["name"] and source["version"] for source in pcf["secondaryEmissionFactorSources"])

    # Geography: global, or exactly one of region, country, subdivision.
    geography = [
        key
        for key in ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")
        if key in pcf
    ]
    assert len(geography) <= 1
    if "geographyCountry" in pcf:
        assert re.fullmatch(r"[A-Z]{2}", pcf["geographyCountry"])
    if "geographyCountrySubdivision" in pcf:
        assert SUBDIVISION.match(pcf["geographyCountrySubdivision"])

    # Validity period: from the end of the reference period, at most three years after it.
    if "validityPeriodStart" in pf or "validityPeriodEnd" in pf:
        valid_from, valid_to = _time(pf["validityPeriodStart"]), _time(pf["validityPeriodEnd"])
        assert end <= valid_from < valid_to
        assert valid_to <= end.replace(year=end.year + 3)
