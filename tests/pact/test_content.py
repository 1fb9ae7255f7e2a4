"""What a ProductFootprint of this host says: the vehicle footprint per kilogram of vehicle, the supplier
declarations in PACT units, URNs, geography, data quality and an honest boundary; numbers hand-checked."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import DeclarationFactory, ProductFactory

from .conftest import recompute
from .spec import assert_product_footprint


def listed(client) -> dict:
    response = client.get("/2/footprints")
    assert response.status_code == 200
    return {tuple(pf["productIds"])[0]: pf for pf in response.json()["data"]}


def test_every_listed_footprint_conforms_to_the_data_model(world, carmaker_a):
    pfs = listed(carmaker_a.client())
    assert len(pfs) == 3
    for pf in pfs.values():
        assert_product_footprint(pf)


def test_a_vehicle_footprint_is_per_kilogram_of_vehicle(world, carmaker_a):
    pf = listed(carmaker_a.client())[f"urn:pact:carbon.test:product-id:vehicle-model-{world.vehicle_a.pk}"]
    pcf = pf["pcf"]
    # 400 kg x 2.1 (the EPD, per kg) + 100 kg x 20.0 (conservative aluminium) = 2,840 kg CO2e; / 1,800 kg.
    assert pcf["declaredUnit"] == "kilogram"
    assert pcf["unitaryProductAmount"] == "1800"
    assert pcf["pCfExcludingBiogenic"] == str((Decimal(2840) / Decimal(1800)).quantize(Decimal("0.000001")))
    assert pcf["pCfExcludingBiogenic"] == "1.577778"
    assert pcf["pCfIncludingBiogenic"] == pcf["fossilGhgEmissions"] == "1.577778"
    # Primary data: 840 of 2,840 kg CO2e, in percent, as a JSON number.
    assert pcf["primaryDataShare"] == pytest.approx(29.5775)
    # DQRs weighted by emissions: level 1 rated 1 (840), level 4 rated 3 (2,000): 6,840 / 2,840.
    assert pcf["dqi"] == {
        "coveragePercent": 100.0,
        "technologicalDQR": 2.41,
        "temporalDQR": 2.41,
        "geographicalDQR": 2.41,
        "completenessDQR": 2.41,
        "reliabilityDQR": 2.41,
    }
    assert pcf["secondaryEmissionFactorSources"][0]["name"]  # the aluminium came from a default factor
    assert pcf["geographyCountry"] == "CN"
    assert pcf["referencePeriodStart"].endswith("-01-01T00:00:00Z")
    assert pf["productCategoryCpc"] == "491"
    assert pf["companyName"] == "Carmaker A"
    assert pf["companyIds"] == [f"urn:pact:carbon.test:uscc:{world.vehicle_a.carmaker.uscc}"]
    assert pf["productIds"] == [
        f"urn:pact:carbon.test:product-id:vehicle-model-{world.vehicle_a.pk}",
        f"urn:pact:carbon.test:supplier-id:{world.vehicle_a.carmaker.uscc}:AUR%20S5%2FLR",
    ]
    assert pf["productNameCompany"] == "Aurora S5 Long Range"


def test_the_boundary_says_what_is_in_and_what_is_not(world, carmaker_a):
    pf = listed(carmaker_a.client())[f"urn:pact:carbon.test:product-id:vehicle-model-{world.vehicle_a.pk}"]
    boundary = pf["pcf"]["boundaryProcessesDescription"]
    assert "steel (400 kg) and aluminium (100 kg)" in boundary
    assert "curb mass of 1800 kg" in boundary
    assert "(40 kg in this bill of materials" in boundary  # the glass: outside, zero
    assert "vehicle manufacturing and assembly" in boundary
    assert "Module D (-60 kg CO2e per vehicle)" in boundary  # -150 kg/t x 0.4 t, not netted in
    assert "not split into fossil, biogenic and land-use parts" in pf["comment"]


def test_footprints_of_primary_data_only_name_no_secondary_sources(world, carmaker_a, materials):
    from accounting.models import BomLine

    BomLine.objects.filter(vehicle_model=world.vehicle_a).exclude(supplier_product=world.product).delete()
    recompute(world.vehicle_a)
    pcf = listed(carmaker_a.client())[f"urn:pact:carbon.test:product-id:vehicle-model-{world.vehicle_a.pk}"][
        "pcf"
    ]
    assert "secondaryEmissionFactorSources" not in pcf  # MUST be undefined without secondary data
    assert pcf["primaryDataShare"] == 100.0
    assert pcf["dqi"]["technologicalDQR"] == 1.0


def test_a_declaration_per_tonne_is_given_per_kilogram(world, carmaker_a):
    pf = listed(carmaker_a.client())[f"urn:pact:carbon.test:product-id:product-{world.product.pk}"]
    pcf = pf["pcf"]
    assert pcf["declaredUnit"] == "kilogram"  # PACT v2.3 has no tonne
    assert pcf["unitaryProductAmount"] == "1000"  # the declared 1 t
    assert pcf["pCfExcludingBiogenic"] == "2.1"  # 2,100 kg CO2e per t
    assert pcf["productMassPerDeclaredUnit"] == "1"
    assert "D -0.15" in pcf["boundaryProcessesDescription"]  # other modules named, per kg
    assert pcf["geographyCountrySubdivision"] == "CN-HE"  # the plant's province, ISO 3166-2:CN
    assert "geographyCountry" not in pcf
    issue = world.declaration.issue_date
    assert pf["validityPeriodStart"] == f"{issue.isoformat()}T00:00:00Z"
    assert pf["validityPeriodEnd"] == f"{issue.replace(year=issue.year + 3).isoformat()}T00:00:00Z"
    assert pcf["referencePeriodEnd"] == f"{issue.isoformat()}T00:00:00Z"
    assert pf["productCategoryCpc"] == "412"
    assert pf["companyIds"] == [f"urn:pact:carbon.test:uscc:{world.supplier.uscc}"]
    assert pcf["primaryDataShare"] == 100.0


@pytest.mark.parametrize(
    ("unit", "amount", "mass", "gwp", "expected_unit", "expected_amount", "expected_value", "expected_mass"),
    [
        ("kg", "1", None, "2.35", "kilogram", "1", "2.35", "1"),
        ("t", "2", None, "4200", "kilogram", "2000", "2.1", "1"),
        ("m2", "1", "7.85", "18.055", "square meter", "1", "18.055", "7.85"),
        ("piece", "10", "0.5", "11", "kilogram", "5", "2.2", "1"),  # no piece in v2.3: through its mass
    ],
)
def test_declared_units_map_to_pact_units(
    world, supplier_a, unit, amount, mass, gwp, expected_unit, expected_amount, expected_value, expected_mass
):
    from django.utils import timezone

    product = ProductFactory(supplier=world.supplier, material=world.product.material)
    DeclarationFactory(
        product=product,
        status="approved",
        decided_at=timezone.now(),
        declared_unit=unit,
        declared_amount=Decimal(amount),
        mass_kg_per_declared_unit=Decimal(mass) if mass else None,
        gwp_a1_a3_kg_co2e=Decimal(gwp),
        issue_date=date(2026, 3, 1),
    )
    pf = listed(supplier_a.client())[f"urn:pact:carbon.test:product-id:product-{product.pk}"]
    assert_product_footprint(pf)
    assert pf["pcf"]["declaredUnit"] == expected_unit
    assert pf["pcf"]["unitaryProductAmount"] == expected_amount
    assert pf["pcf"]["pCfExcludingBiogenic"] == expected_value
    assert pf["pcf"]["productMassPerDeclaredUnit"] == expected_mass
    assert "geographyCountry" in pf["pcf"]  # no plant: the country
