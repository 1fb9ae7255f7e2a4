"""Automated checks of a declaration's content: pure functions, no database, the same for every input path.

A browser draft, an imported CSV row and an openEPD or ILCD document all go through `run_checks` with the
declaration's content fields (Python values) and a small context the caller looks up (the product's material
family and route, whether the registration number is taken elsewhere, today's date). Each finding has a
stable code, a severity and a message in English and Chinese. Findings of severity `error` block submission;
`warning` and `info` are shown to the supplier and to the auditor.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from .choices import KG_PER_MASS_UNIT, FindingSeverity

RANGES_CSV = Path(__file__).resolve().parent / "data" / "plausibility_ranges.csv"
EXPIRY_NOTICE_DAYS = 90
MAX_VALIDITY_YEARS = 5  # EN 15804 / ISO 14025 programmes publish EPDs for five years
TOTAL_TOLERANCE = Decimal("0.01")  # 1 % between a declared total and the sum of its modules
SUMMED_MODULES = (
    "gwp_a1_a3_kg_co2e",
    "gwp_a4_kg_co2e",
    "gwp_c1_kg_co2e",
    "gwp_c2_kg_co2e",
    "gwp_c3_kg_co2e",
    "gwp_c4_kg_co2e",
)
OPTIONAL_MODULES = SUMMED_MODULES[1:]


@dataclass(frozen=True)
class CheckFinding:
    code: str
    severity: str
    field: str
    message_en: str
    message_zh: str


@dataclass(frozen=True)
class PlausibilityRange:
    low_kg_co2e_per_kg: Decimal
    high_kg_co2e_per_kg: Decimal
    source: str


@cache
def plausibility_ranges() -> dict[tuple[str, str], PlausibilityRange]:
    """(material family, production route) -> the A1-A3 range outside which a value is flagged."""
    with RANGES_CSV.open(encoding="utf-8") as handle:
        return {
            (row["family"], row["route"]): PlausibilityRange(
                Decimal(row["low_kg_co2e_per_kg"]), Decimal(row["high_kg_co2e_per_kg"]), row["source"]
            )
            for row in csv.DictReader(handle)
        }


def kg_per_declared_unit(fields: Mapping[str, Any]) -> Decimal | None:
    """Kilograms of product in one declared amount: t -> 1000 kg, kg -> 1 kg, else the stated mass."""
    unit_kg = KG_PER_MASS_UNIT.get(fields.get("declared_unit")) or fields.get("mass_kg_per_declared_unit")
    amount = fields.get("declared_amount") or Decimal(1)
    if not unit_kg or amount <= 0:
        return None
    return Decimal(unit_kg) * Decimal(amount)


def a1_a3_kg_co2e_per_kg(fields: Mapping[str, Any]) -> Decimal | None:
    """A1-A3 GWP converted from kg CO2e per declared unit to kg CO2e per kg of product."""
    kg = kg_per_declared_unit(fields)
    gwp = fields.get("gwp_a1_a3_kg_co2e")
    if kg is None or gwp is None:
        return None
    return Decimal(gwp) / kg


def run_checks(
    fields: Mapping[str, Any],
    *,
    family: str,
    route: str,
    today: date,
    registration_taken_elsewhere: bool = False,
    has_document: bool = False,
) -> list[CheckFinding]:
    """Every finding for one declaration's content, most severe first."""
    findings: list[CheckFinding] = []
    add = findings.append
    issue, until = fields.get("issue_date"), fields.get("valid_until")

    if fields.get("gwp_a1_a3_kg_co2e") is None:
        add(
            _f(
                "gwp.a1_a3_missing",
                "error",
                "gwp_a1_a3_kg_co2e",
                "GWP A1-A3 is required.",
                "必须填写A1-A3的GWP。",
            )
        )

    if until and until < today:
        add(
            _f(
                "validity.expired",
                "error",
                "valid_until",
                f"The declaration expired on {until:%Y-%m-%d}.",
                f"该声明已于{until:%Y-%m-%d}过期。",
            )
        )
    elif until and until <= today + timedelta(days=EXPIRY_NOTICE_DAYS):
        add(
            _f(
                "validity.expiring_soon",
                "info",
                "valid_until",
                f"The declaration expires on {until:%Y-%m-%d}, within {EXPIRY_NOTICE_DAYS} days.",
                f"该声明将于{until:%Y-%m-%d}过期（{EXPIRY_NOTICE_DAYS}天内）。",
            )
        )
    if issue and issue > today:
        add(
            _f(
                "validity.not_yet_valid",
                "warning",
                "issue_date",
                f"The issue date {issue:%Y-%m-%d} is in the future.",
                f"签发日期{issue:%Y-%m-%d}晚于今天。",
            )
        )
    if issue and until and until > issue and (until - issue).days > MAX_VALIDITY_YEARS * 366:
        add(
            _f(
                "validity.too_long",
                "warning",
                "valid_until",
                f"Valid for more than {MAX_VALIDITY_YEARS} years ({issue:%Y-%m-%d} to {until:%Y-%m-%d}); EPD programmes publish for five.",
                f"有效期超过{MAX_VALIDITY_YEARS}年（{issue:%Y-%m-%d}至{until:%Y-%m-%d}）；EPD项目通常为五年。",
            )
        )

    findings.extend(_unit_findings(fields))
    findings.extend(_range_findings(fields, family=family, route=route))
    findings.extend(_module_findings(fields))

    if registration_taken_elsewhere:
        number = fields.get("registration_number", "")
        add(
            _f(
                "registration.duplicate",
                "error",
                "registration_number",
                f"Registration number {number} is already used by another product's declaration.",
                f"注册号{number}已被其他产品的声明使用。",
            )
        )
    if not has_document:
        add(document_missing())
    order = {FindingSeverity.ERROR: 0, FindingSeverity.WARNING: 1, FindingSeverity.INFO: 2}
    return sorted(findings, key=lambda finding: (order[finding.severity], finding.code))


def document_missing() -> CheckFinding:
    """An info finding: no PDF attached. Imported drafts always start without one."""
    return _f(
        "document.missing",
        "info",
        "document",
        "No EPD document (PDF) is attached; auditors usually ask for it.",
        "未附EPD文件（PDF）；审核方通常会要求提供。",
    )


def _unit_findings(fields: Mapping[str, Any]) -> list[CheckFinding]:
    unit, mass = fields.get("declared_unit"), fields.get("mass_kg_per_declared_unit")
    if unit in KG_PER_MASS_UNIT:
        if mass is not None and Decimal(mass) != Decimal(KG_PER_MASS_UNIT[unit]):
            return [
                _f(
                    "unit.mass_inconsistent",
                    "error",
                    "mass_kg_per_declared_unit",
                    f"One {unit} is {KG_PER_MASS_UNIT[unit]} kg, but the mass per declared unit says {mass} kg.",
                    f"1 {unit}等于{KG_PER_MASS_UNIT[unit]}千克，但每声明单位质量填写为{mass}千克。",
                )
            ]
    elif unit and not mass:
        return [
            _f(
                "unit.mass_missing",
                "error",
                "mass_kg_per_declared_unit",
                f"The declared unit {unit} is not a mass: give the mass per declared unit in kg.",
                f"声明单位{unit}不是质量单位：请填写每声明单位的质量（千克）。",
            )
        ]
    return []


def _range_findings(fields: Mapping[str, Any], *, family: str, route: str) -> list[CheckFinding]:
    per_kg = a1_a3_kg_co2e_per_kg(fields)
    allowed = plausibility_ranges().get((family, route))
    if per_kg is None:
        return []
    if per_kg < 0:
        return [
            _f(
                "gwp.a1_a3_negative",
                "error",
                "gwp_a1_a3_kg_co2e",
                "GWP A1-A3 cannot be negative.",
                "A1-A3的GWP不能为负数。",
            )
        ]
    if allowed is None or allowed.low_kg_co2e_per_kg <= per_kg <= allowed.high_kg_co2e_per_kg:
        return []
    value = f"{per_kg:.3f}"
    low, high = allowed.low_kg_co2e_per_kg, allowed.high_kg_co2e_per_kg
    return [
        _f(
            "gwp.a1_a3_out_of_range",
            "warning",
            "gwp_a1_a3_kg_co2e",
            f"A1-A3 is {value} kg CO2e per kg, outside the plausible range {low}-{high} for {family} ({route}). "
            f"Source: {allowed.source}. Check the declared unit (t or kg) and the value.",
            f"A1-A3为每千克{value}千克二氧化碳当量，超出{family}（{route}）的合理范围{low}-{high}。"
            f"来源：{allowed.source}。请检查声明单位（吨或千克）和数值。",
        )
    ]


def _module_findings(fields: Mapping[str, Any]) -> list[CheckFinding]:
    findings = []
    for name in OPTIONAL_MODULES:
        value = fields.get(name)
        if value is not None and value < 0:
            module = name.removeprefix("gwp_").removesuffix("_kg_co2e").upper()
            findings.append(
                _f(
                    "gwp.module_negative",
                    "warning",
                    name,
                    f"GWP {module} is negative ({value}); only module D usually carries credits.",
                    f"{module}模块的GWP为负数（{value}）；通常只有D模块包含抵免。",
                )
            )
    total = fields.get("gwp_total_declared_kg_co2e")
    if total is not None:
        summed = sum((Decimal(fields.get(name) or 0) for name in SUMMED_MODULES), Decimal(0))
        with_d = summed + Decimal(fields.get("gwp_d_kg_co2e") or 0)
        tolerance = abs(Decimal(total)) * TOTAL_TOLERANCE
        if abs(summed - total) > tolerance and abs(with_d - total) > tolerance:
            findings.append(
                _f(
                    "gwp.total_inconsistent",
                    "warning",
                    "gwp_total_declared_kg_co2e",
                    f"The declared total {total} differs from the sum of the modules ({summed}, or {with_d} with D) by more than 1 %.",
                    f"声明的总量{total}与各模块之和（{summed}，含D为{with_d}）相差超过1%。",
                )
            )
    return findings


def _f(code: str, severity: str, field: str, message_en: str, message_zh: str) -> CheckFinding:
    return CheckFinding(code, FindingSeverity(severity), field, message_en, message_zh)
