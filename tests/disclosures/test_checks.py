"""The automated checks, by hand: each finding code fires exactly when it should, with the numbers in its message."""

from datetime import date
from decimal import Decimal

import pytest

from disclosures.checks import a1_a3_kg_co2e_per_kg, run_checks

TODAY = date(2026, 11, 29)


def _fields(**overrides):
    fields = {
        "registration_number": "EPD-1",
        "issue_date": date(2026, 1, 1),
        "valid_until": date(2030, 12, 31),
        "declared_unit": "t",
        "declared_amount": Decimal(1),
        "mass_kg_per_declared_unit": None,
        "gwp_a1_a3_kg_co2e": Decimal("2100"),
    }
    fields.update(overrides)
    return fields


def _codes(fields, family="steel", route="bf_bof", **context):
    context.setdefault("has_document", True)
    return [f.code for f in run_checks(fields, family=family, route=route, today=TODAY, **context)]


def test_a_plausible_steel_epd_has_no_findings():
    assert _codes(_fields()) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"declared_unit": "t", "gwp_a1_a3_kg_co2e": Decimal("2100")}, Decimal("2.1")),  # 2100 / 1000 kg
        ({"declared_unit": "kg", "gwp_a1_a3_kg_co2e": Decimal("2.1")}, Decimal("2.1")),
        (
            {"declared_unit": "t", "declared_amount": Decimal(2), "gwp_a1_a3_kg_co2e": Decimal("4200")},
            Decimal("2.1"),
        ),
        (
            {
                "declared_unit": "m2",
                "mass_kg_per_declared_unit": Decimal("7.85"),
                "gwp_a1_a3_kg_co2e": Decimal("16.485"),
            },
            Decimal("2.1"),
        ),
        ({"declared_unit": "piece", "mass_kg_per_declared_unit": None}, None),
    ],
)
def test_a1_a3_is_converted_to_kg_co2e_per_kg_explicitly(fields, expected):
    assert a1_a3_kg_co2e_per_kg(_fields(**fields)) == expected


@pytest.mark.parametrize(
    ("family", "route", "gwp_per_t", "flagged"),
    [
        ("steel", "bf_bof", "1199", True),  # 1.199 < 1.2
        ("steel", "bf_bof", "1200", False),
        ("steel", "bf_bof", "4000", False),
        ("steel", "bf_bof", "4001", True),
        ("steel", "bf_bof", "2.1", True),  # a per-kg value typed into a per-tonne declaration
        ("aluminium", "primary_coal", "2999", True),
        ("aluminium", "primary_hydro", "3200", False),
        ("aluminium", "primary_coal", "25001", True),
        ("aluminium", "secondary", "199", True),
        ("aluminium", "secondary", "600", False),
        ("aluminium", "secondary", "2501", True),
        ("steel", "scrap_eaf", "571", False),  # Feralpi EAF bars, a real EPD
    ],
)
def test_a1_a3_outside_the_reference_range_is_a_warning(family, route, gwp_per_t, flagged):
    findings = run_checks(
        _fields(gwp_a1_a3_kg_co2e=Decimal(gwp_per_t)),
        family=family,
        route=route,
        today=TODAY,
        has_document=True,
    )
    ranged = [f for f in findings if f.code == "gwp.a1_a3_out_of_range"]
    assert bool(ranged) is flagged
    if ranged:
        assert ranged[0].severity == "warning"
        assert ranged[0].field == "gwp_a1_a3_kg_co2e"
        assert "Source:" in ranged[0].message_en and "来源" in ranged[0].message_zh


def test_range_message_names_the_value_the_range_and_the_source():
    (finding,) = run_checks(
        _fields(gwp_a1_a3_kg_co2e=Decimal("2.1")),
        family="steel",
        route="bf_bof",
        today=TODAY,
        has_document=True,
    )
    assert "0.002 kg CO2e per kg" in finding.message_en
    assert "1.2-4.0" in finding.message_en
    assert "EC3 Steel category p90 4.007" in finding.message_en


@pytest.mark.parametrize(
    ("overrides", "code", "severity"),
    [
        ({"valid_until": date(2026, 11, 28)}, "validity.expired", "error"),
        ({"valid_until": date(2027, 2, 27)}, "validity.expiring_soon", "info"),  # 90 days after TODAY
        ({"issue_date": date(2026, 12, 1)}, "validity.not_yet_valid", "warning"),
        ({"issue_date": date(2020, 1, 1), "valid_until": date(2026, 12, 31)}, "validity.too_long", "warning"),
        ({"declared_unit": "t", "mass_kg_per_declared_unit": Decimal(1)}, "unit.mass_inconsistent", "error"),
        ({"declared_unit": "piece"}, "unit.mass_missing", "error"),
        ({"gwp_a1_a3_kg_co2e": None}, "gwp.a1_a3_missing", "error"),
        ({"gwp_a1_a3_kg_co2e": Decimal("-1")}, "gwp.a1_a3_negative", "error"),
        ({"gwp_c3_kg_co2e": Decimal("-5")}, "gwp.module_negative", "warning"),
        (
            {"gwp_a4_kg_co2e": Decimal("40"), "gwp_total_declared_kg_co2e": Decimal("2200")},
            "gwp.total_inconsistent",  # 2100 + 40 = 2140, 2.7 % off 2200
            "warning",
        ),
    ],
)
def test_each_check_fires_with_its_severity(overrides, code, severity):
    findings = run_checks(
        _fields(**overrides), family="steel", route="bf_bof", today=TODAY, has_document=True
    )
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, [f.code for f in findings]
    assert matching[0].severity == severity
    assert matching[0].message_en and matching[0].message_zh


def test_expiry_notice_stops_at_ninety_days():
    assert "validity.expiring_soon" not in _codes(_fields(valid_until=date(2027, 2, 28)))


def test_declared_total_matches_with_or_without_module_d():
    base = {"gwp_a4_kg_co2e": Decimal("40"), "gwp_d_kg_co2e": Decimal("-300")}
    assert _codes(_fields(**base, gwp_total_declared_kg_co2e=Decimal("2140"))) == []  # 2100 + 40
    assert _codes(_fields(**base, gwp_total_declared_kg_co2e=Decimal("1840"))) == []  # 2100 + 40 - 300
    assert _codes(_fields(**base, gwp_total_declared_kg_co2e=Decimal("2161"))) == []  # within 1 % of 2140


def test_duplicate_registration_and_missing_document():
    assert _codes(_fields(), registration_taken_elsewhere=True, has_document=False) == [
        "registration.duplicate",
        "document.missing",
    ]
