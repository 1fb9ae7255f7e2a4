"""Cross-field rules of a declaration's content, shared by the model's `clean` and the bulk importers.

Pure: takes the content as a mapping, returns {field: message}; no database, no model instance needed, so
an import of ten thousand rows checks them without building ten thousand model objects.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from carbon_platform.text import identifier_problem, text_problem

from .choices import KG_PER_MASS_UNIT

TEXT_FIELDS = ("programme_operator", "verifier", "pcr")


def declaration_rule_errors(values: Mapping[str, Any]) -> dict[str, str]:
    errors = {}
    problem = identifier_problem(values.get("registration_number"))
    if problem:
        errors["registration_number"] = problem
    for name in TEXT_FIELDS:
        problem = text_problem(values.get(name))
        if problem:
            errors[name] = problem
    issue, until = values.get("issue_date"), values.get("valid_until")
    if issue and until and until <= issue:
        errors["valid_until"] = _("Valid-until must be after the issue date.")
    gwp = values.get("gwp_a1_a3_kg_co2e")
    if gwp is not None and gwp < 0:
        errors["gwp_a1_a3_kg_co2e"] = _("GWP A1-A3 cannot be negative.")
    amount = values.get("declared_amount")
    if amount is not None and amount <= 0:
        errors["declared_amount"] = _("The declared amount must be greater than zero.")
    unit, mass = values.get("declared_unit"), values.get("mass_kg_per_declared_unit")
    if unit and unit not in KG_PER_MASS_UNIT and not mass:
        errors["mass_kg_per_declared_unit"] = _(
            "A declared unit that is not a mass needs the mass per declared unit in kg."
        )
    if mass is not None and mass <= 0:
        errors["mass_kg_per_declared_unit"] = _("The mass per declared unit must be greater than zero.")
    return errors
