"""PACT JSON: ProductFootprints as the v2.3 data model has them, and the CloudEvents of /2/events.

Every value follows the spec's types: Decimal properties are JSON strings ("2.1"), Percent and DQR
properties JSON numbers, DateTime strings ISO 8601 in UTC with a Z. Texts are English (the API's language).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from django.utils import timezone, translation

from accounting.choices import RollupTrigger
from disclosures.checks import kg_per_declared_unit
from disclosures.choices import DeclarationStatus, DeclaredUnit, Standard

from . import urns
from .choices import (
    CLOUDEVENTS_SPEC_VERSION,
    COUNTRY,
    CPC_BY_FAMILY,
    CPC_BY_MATERIAL,
    DEFAULT_METAL_CPC,
    DQR_BY_LEVEL,
    DQR_NAMES,
    SPEC_VERSION,
    VEHICLE_CPC,
    EventType,
    PfKind,
    PfStatus,
)
from .errors import PactError

if TYPE_CHECKING:
    from .selectors import Pf

# kg CO2e per declared unit: six decimals (a milligram per kilogram) is finer than any input.
VALUE_DECIMALS = 6
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# The IPCC report of the characterisation factors: EN 15804+A2 (the default standard) uses AR5 GWP100.
IPCC_SOURCES = ["AR5"]
STANDARDS_BY_DECLARATION_STANDARD = {
    # crossSectoralStandardsUsed (deprecated enumeration), crossSectoralStandards
    Standard.ISO_14067: (["ISO Standard 14067"], ["ISO14067"]),
    Standard.GB_T_24067: (["ISO Standard 14067"], ["ISO14067"]),
}
LCA_STANDARDS = (["ISO Standard 14044"], ["ISO14040-44"])
OTHER_MODULES = ("A4", "C1", "C2", "C3", "C4", "D")


def pact_datetime(value: datetime) -> str:
    """A PACT DateTime: ISO 8601 in UTC, with microseconds only when there are any."""
    value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds").replace("+00:00", "Z")


def _midnight(day: date) -> str:
    return pact_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))


@functools.cache
def _choice_labels(model, field_name: str) -> dict:
    return dict(model._meta.get_field(field_name).flatchoices)


def _display(instance, field_name: str) -> str:
    """`get_<field>_display()` without its cost: Django rebuilds and hashes the whole choice list (lazy
    translations included) on every call, which was half the time of a page of 100 footprints."""
    value = getattr(instance, field_name)
    return str(_choice_labels(type(instance), field_name).get(value, value))


def pact_decimal(value: Decimal, places: int = VALUE_DECIMALS) -> str:
    """A PACT Decimal: a dotted-decimal string, rounded half-even to `places`, no exponent, no trailing zeros."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = format(rounded.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def product_footprint(pf: Pf) -> dict:
    """The ProductFootprint JSON object of a PF, in its latest version."""
    with translation.override("en"):
        return _vehicle(pf) if pf.kind == PfKind.VEHICLE else _declaration(pf)


def _lifecycle(pf: Pf, status_comment: str) -> dict:
    """id, specVersion, precedingPfIds, version, created, updated, status, statusComment.

    A PF changes once at most: when deprecated, it becomes version 2 with `updated` set."""
    data = {"id": str(pf.pf_id), "specVersion": SPEC_VERSION}
    if pf.preceding_pf_id:
        data["precedingPfIds"] = [str(pf.preceding_pf_id)]
    data["version"] = 1 if pf.is_active else 2
    data["created"] = pact_datetime(pf.created)
    if not pf.is_active:
        data["updated"] = pact_datetime(pf.updated)
    data["status"] = PfStatus.ACTIVE if pf.is_active else PfStatus.DEPRECATED
    if status_comment:
        data["statusComment"] = status_comment
    return data


def _no_biogenic_split(value: str) -> dict:
    """The emission fields for one GWP figure that declarations do not split into fossil, biogenic and
    land-use parts: all of it is reported as fossil, the other parts as 0 (see the PF's comment)."""
    return {
        "pCfExcludingBiogenic": value,
        "pCfIncludingBiogenic": value,
        "fossilGhgEmissions": value,
        "fossilCarbonContent": "0",
        "biogenicCarbonContent": "0",
        "dLucGhgEmissions": "0",
        "landManagementGhgEmissions": "0",
        "otherBiogenicGhgEmissions": "0",
        "biogenicCarbonWithdrawal": "0",
    }


NOT_SPLIT_NOTE = (
    "The supplier declarations and default factors give one GWP figure, not split into fossil, biogenic and "
    "land-use parts: pCfExcludingBiogenic, pCfIncludingBiogenic and fossilGhgEmissions carry that figure; "
    "the carbon contents and the biogenic and land-use emissions are not declared and are reported as 0. "
    "Characterisation factors are those of the declarations (IPCC AR5 under EN 15804+A2), not recomputed."
)


# --- Vehicle footprints ------------------------------------------------------------------------------


def _kg(value) -> str:
    return pact_decimal(Decimal(str(value)), 1)


def _dqi(by_level_kg: dict) -> dict:
    """Emission-weighted data quality ratings over the data source levels of the footprint's lines."""
    weights = {level: Decimal(str(by_level_kg.get(str(level), 0) or 0)) for level in DQR_BY_LEVEL}
    total = sum(weights.values())
    if total <= 0:  # nothing inside the boundary emits: nothing to rate
        return {"coveragePercent": 0.0, **{name: 3.0 for name in DQR_NAMES}}
    ratings = {
        name: float(round(sum(weights[level] * DQR_BY_LEVEL[level][index] for level in weights) / total, 2))
        for index, name in enumerate(DQR_NAMES)
    }
    return {"coveragePercent": 100.0, **ratings}


def _vehicle(pf: Pf) -> dict:
    footprint = pf.footprint
    vehicle = footprint.vehicle_model
    carmaker = vehicle.carmaker
    curb_mass = vehicle.curb_mass_kg
    name = " ".join(part for part in (vehicle.brand, vehicle.model_name, vehicle.variant) if part)
    computed = footprint.computed_at.astimezone(UTC)
    trigger = _display(footprint.run, "trigger") if footprint.run else ""
    if pf.is_active:
        status_comment = (
            f"Replaces {pf.preceding_pf_id}: recomputed after: {trigger or 'a recompute'}."
            if pf.preceding_pf_id
            else ""
        )
    else:
        reason = _trigger_label(pf.successor_trigger)
        status_comment = f"Superseded by {pf.successor_pf_id}, recomputed after: {reason or 'a recompute'}."
    level_kg = footprint.by_data_source or {}
    secondary_kg = sum(Decimal(str(level_kg.get(level, 0) or 0)) for level in ("3", "4"))
    steel = pf.mass_kg_by_family.get("steel", Decimal(0))
    aluminium = pf.mass_kg_by_family.get("aluminium", Decimal(0))
    outside = (footprint.mass_by_data_source or {}).get("0", 0)
    pcf = {
        "declaredUnit": "kilogram",
        "unitaryProductAmount": pact_decimal(curb_mass, 1),
        "productMassPerDeclaredUnit": "1",
        **_no_biogenic_split(pact_decimal(footprint.total_kg_co2e / curb_mass)),
        "characterizationFactors": IPCC_SOURCES[0],
        "ipccCharacterizationFactorsSources": IPCC_SOURCES,
        "crossSectoralStandardsUsed": ["ISO Standard 14067"],
        "crossSectoralStandards": ["ISO14067"],
        "biogenicAccountingMethodology": "ISO",
        "boundaryProcessesDescription": (
            f"Cradle-to-gate (A1-A3) emissions of producing the steel ({_kg(steel)} kg) and aluminium "
            f"({_kg(aluminium)} kg) in the vehicle's bill of materials, per kilogram of vehicle: the vehicle "
            f"total divided by the curb mass of {_kg(curb_mass)} kg (the bill of materials lists "
            f"{_kg(footprint.mass_total_kg)} kg). Each line uses the approved EPD of the linked supplier "
            "product, else that supplier's mean for the material, else a typical default for material and "
            "production route, else a conservative default. Not included: materials other than steel and "
            f"aluminium ({_kg(outside)} kg in this bill of materials: plastics, rubber, glass, copper, battery "
            "cells, iron castings, fluids and the like), outside the boundary and counted as zero; vehicle "
            "manufacturing and assembly; transport (A4); use; end of life (C1-C4). Module D "
            f"({pact_decimal(footprint.module_d_kg_co2e, 4)} kg CO2e per vehicle) is reported by the platform "
            "beside the total and not netted in."
        ),
        "referencePeriodStart": pact_datetime(datetime(computed.year, 1, 1, tzinfo=UTC)),
        "referencePeriodEnd": pact_datetime(datetime(computed.year + 1, 1, 1, tzinfo=UTC)),
        "geographyCountry": COUNTRY,
    }
    if secondary_kg > 0:
        pcf["secondaryEmissionFactorSources"] = [
            {
                "name": "Platform default factors: worldsteel, International Aluminium Institute, CRU, "
                "EU CBAM default values",
                "version": computed.date().isoformat(),
            }
        ]
    pcf |= {
        "exemptedEmissionsPercent": 0,
        "exemptedEmissionsDescription": "",
        "packagingEmissionsIncluded": False,
        "primaryDataShare": float(round(footprint.primary_data_share * 100, 4)),
        "dqi": _dqi(level_kg),
    }
    return {
        **_lifecycle(pf, status_comment),
        "companyName": carmaker.name,
        "companyIds": [urns.company_urn(carmaker.uscc)],
        "productDescription": (
            f"{name}, model year {vehicle.model_year}: {_display(vehicle, 'powertrain')} "
            f"{_display(vehicle, 'body_type').lower()}, segment {vehicle.segment}, curb mass {_kg(curb_mass)} kg."
        ),
        "productIds": urns.vehicle_model_urns(
            vehicle_model_id=vehicle.pk, carmaker_uscc=carmaker.uscc, external_id=vehicle.external_id
        ),
        "productCategoryCpc": VEHICLE_CPC,
        "productNameCompany": name,
        "comment": (
            f"Material-production footprint of the vehicle, revision {footprint.revision}, computed on "
            f"{pact_datetime(footprint.computed_at)} from its bill of materials "
            f"({pact_decimal(footprint.total_kg_co2e, 4)} kg CO2e per vehicle). Primary data share: the share of "
            "emissions computed from supplier declarations (PACT definition); the data quality ratings are "
            "emission-weighted over the data source of each line. " + NOT_SPLIT_NOTE
        ),
        "pcf": pcf,
    }


def _trigger_label(trigger: str) -> str:
    return str(RollupTrigger(trigger).label) if trigger in RollupTrigger.values else ""


# --- Declarations ------------------------------------------------------------------------------------


def _declaration(pf: Pf) -> dict:
    declaration = pf.declaration
    product = declaration.product
    supplier = product.supplier
    material = product.material
    plant = declaration.plant or product.plant
    kg = kg_per_declared_unit(
        {
            "declared_unit": declaration.declared_unit,
            "declared_amount": declaration.declared_amount,
            "mass_kg_per_declared_unit": declaration.mass_kg_per_declared_unit,
        }
    )
    if declaration.declared_unit == DeclaredUnit.M2:
        declared_unit, amount, per_unit = (
            "square meter",
            declaration.declared_amount,
            declaration.declared_amount,
        )
        mass_per_unit = declaration.mass_kg_per_declared_unit
    else:  # kg and t are kilograms; a piece, not a PACT v2.3 unit, is converted through its mass
        declared_unit, amount, per_unit, mass_per_unit = "kilogram", kg, kg, Decimal(1)

    def per_declared_unit(value: Decimal) -> str:
        return pact_decimal(value / per_unit)

    declared_modules = [
        f"{module} {per_declared_unit(value)}"
        for module in OTHER_MODULES
        if (value := getattr(declaration, f"gwp_{module.lower()}_kg_co2e")) is not None
    ]
    status = declaration.status
    if status == DeclarationStatus.SUPERSEDED:
        status_comment = f"Superseded by version {pf.successor_version} of the EPD ({pf.successor_pf_id})."
    elif status == DeclarationStatus.EXPIRED:
        status_comment = f"The EPD expired: it was valid until {declaration.valid_until.isoformat()}."
    elif status == DeclarationStatus.WITHDRAWN:
        status_comment = "Withdrawn by the supplier."
    else:
        status_comment = (
            f"Replaces the previous version of the EPD ({pf.preceding_pf_id})." if pf.preceding_pf_id else ""
        )
    used, standards = STANDARDS_BY_DECLARATION_STANDARD.get(declaration.standard, LCA_STANDARDS)
    geography = (
        {"geographyCountrySubdivision": f"{COUNTRY}-{plant.province}"}
        if plant
        else {"geographyCountry": COUNTRY}
    )
    pcf = {
        "declaredUnit": declared_unit,
        "unitaryProductAmount": pact_decimal(amount),
        **({"productMassPerDeclaredUnit": pact_decimal(mass_per_unit)} if mass_per_unit else {}),
        **_no_biogenic_split(per_declared_unit(declaration.gwp_a1_a3_kg_co2e)),
        "characterizationFactors": IPCC_SOURCES[0],
        "ipccCharacterizationFactorsSources": IPCC_SOURCES,
        "crossSectoralStandardsUsed": used,
        "crossSectoralStandards": standards,
    }
    if declaration.pcr and declaration.programme_operator:
        operator = declaration.programme_operator
        pcf["productOrSectorSpecificRules"] = [
            {"operator": "EPD International", "ruleNames": [declaration.pcr]}
            if operator == "EPD International"
            else {"operator": "Other", "ruleNames": [declaration.pcr], "otherOperatorName": operator}
        ]
    pcf |= {
        "biogenicAccountingMethodology": "ISO",
        "boundaryProcessesDescription": (
            f"Cradle-to-gate (EN 15804 modules A1-A3: raw material supply, transport to the plant, "
            f"manufacturing) of {product.name}, as declared in EPD {declaration.registration_number} version "
            f"{declaration.version}. Not included: "
            + (
                f"the other declared modules, in kg CO2e per {declared_unit}: {', '.join(declared_modules)}"
                if declared_modules
                else "any module other than A1-A3 (none is declared)"
            )
            + "; module D is never netted in."
        ),
        "referencePeriodStart": _midnight(_years_later(declaration.issue_date, -1)),
        "referencePeriodEnd": _midnight(declaration.issue_date),
        **geography,
        "exemptedEmissionsPercent": 0,
        "exemptedEmissionsDescription": "",
        "packagingEmissionsIncluded": False,
        "primaryDataShare": 100.0,
        "dqi": {"coveragePercent": 100.0, **{name: 1.0 for name in DQR_NAMES}},
    }
    validity_end = min(declaration.valid_until + timedelta(days=1), _years_later(declaration.issue_date, 3))
    description = f"{product.name}: {material.name_en}, {_display(product, 'route')}"
    if product.grade:
        description += f", grade {product.grade}"
    if plant:
        description += f"; made at {plant.name} ({_display(plant, 'province')}, China)"
    return {
        **_lifecycle(pf, status_comment),
        "validityPeriodStart": _midnight(declaration.issue_date),
        "validityPeriodEnd": _midnight(validity_end),
        "companyName": supplier.name,
        "companyIds": [urns.company_urn(supplier.uscc)],
        "productDescription": description + ".",
        "productIds": [urns.product_urn(product.pk)],
        "productCategoryCpc": CPC_BY_MATERIAL.get(material.code)
        or CPC_BY_FAMILY.get(material.family, DEFAULT_METAL_CPC),
        "productNameCompany": product.name,
        "comment": (
            f"Supplier EPD {declaration.registration_number} version {declaration.version} under "
            f"{declaration.standard}"
            + (
                f", programme operator {declaration.programme_operator}"
                if declaration.programme_operator
                else ""
            )
            + (f", verified by {declaration.verifier}" if declaration.verifier else "")
            + f"; approved on the platform by an auditor on {pact_datetime(declaration.decided_at)}. Declared "
            f"per {pact_decimal(declaration.declared_amount)} {_display(declaration, 'declared_unit')}; "
            f"values here are per {declared_unit}. The reference period is the year before the EPD's issue "
            "date (the EPD's data collection period is not recorded on the platform); the validity period "
            "is the EPD's, at most three years. " + NOT_SPLIT_NOTE
        ),
        "pcf": pcf,
    }


# --- Events ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingEvent:
    """A structured-mode CloudEvent posted to /2/events, checked as far as this host processes it."""

    type: str
    id: str
    source: str
    time: datetime
    data: dict


def _non_empty_string(payload: dict, name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise PactError("BadRequest", f"The CloudEvents attribute '{name}' must be a non-empty string.")
    return value


def incoming_event(body: bytes) -> IncomingEvent:
    """The CloudEvent of a request body; BadRequest when it is malformed, NotImplemented for event types
    this host does not take (it never asks other hosts for footprints, so it expects no answers)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PactError("BadRequest", "The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise PactError("BadRequest", "The body must be a CloudEvents JSON object.")
    if payload.get("specversion") != CLOUDEVENTS_SPEC_VERSION:
        raise PactError("BadRequest", "The CloudEvents attribute 'specversion' must be \"1.0\".")
    event_id = _non_empty_string(payload, "id")
    source = _non_empty_string(payload, "source")
    event_type = _non_empty_string(payload, "type")
    if event_type not in (EventType.PUBLISHED, EventType.REQUEST_CREATED):
        raise PactError("NotImplemented", f"Events of type '{event_type}' are not processed by this host.")
    try:
        time = datetime.fromisoformat(_non_empty_string(payload, "time"))
    except ValueError:
        raise PactError(
            "BadRequest", "The CloudEvents attribute 'time' must be an RFC 3339 timestamp."
        ) from None
    data = payload.get("data")
    if not isinstance(data, dict):
        raise PactError("BadRequest", "The event's 'data' must be a JSON object.")
    if event_type == EventType.PUBLISHED:
        pf_ids = data.get("pfIds")
        if (
            not isinstance(pf_ids, list)
            or not pf_ids
            or not all(isinstance(pf_id, str) and UUID_PATTERN.fullmatch(pf_id) for pf_id in pf_ids)
        ):
            raise PactError(
                "BadRequest", "'data.pfIds' must be a non-empty list of ProductFootprint ids (UUIDs)."
            )
    return IncomingEvent(
        type=event_type,
        id=event_id,
        source=source,
        time=time if time.tzinfo else time.replace(tzinfo=UTC),
        data=data,
    )


def response_event(*, event_type: str, source: str, request_event_id: str, pfs=None, error=None) -> dict:
    """A Fulfilled event with the PFs' JSON, or a Rejected one with an error response, as CloudEvents JSON."""
    data = {"requestEventId": request_event_id}
    if event_type == EventType.REQUEST_FULFILLED:
        data["pfs"] = pfs
    else:
        data["error"] = error
    return {
        "type": event_type,
        "specversion": CLOUDEVENTS_SPEC_VERSION,
        "id": str(uuid.uuid4()),
        "source": source,
        "time": pact_datetime(timezone.now()),
        "data": data,
    }
