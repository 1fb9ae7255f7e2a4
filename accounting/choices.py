"""Enumerations of the accounting side: material families, production routes, vehicles, data sources, runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MaterialFamily(models.TextChoices):
    STEEL = "steel", _("Steel")
    ALUMINIUM = "aluminium", _("Aluminium")
    OTHER = "other", _("Other")


class ProductionRoute(models.TextChoices):
    """How a metal was made; it decides which default factor applies when no declaration covers a line."""

    BF_BOF = "bf_bof", _("Steel, blast furnace - basic oxygen furnace (BF-BOF)")
    SCRAP_EAF = "scrap_eaf", _("Steel, scrap electric arc furnace (EAF)")
    DRI_EAF = "dri_eaf", _("Steel, direct reduced iron - EAF (DRI-EAF)")
    PRIMARY_COAL = "primary_coal", _("Aluminium, primary, coal-heavy grid")
    PRIMARY_HYDRO = "primary_hydro", _("Aluminium, primary, hydro or renewable power")
    SECONDARY = "secondary", _("Aluminium, secondary (recycled)")


ROUTES_BY_FAMILY = {
    MaterialFamily.STEEL: {ProductionRoute.BF_BOF, ProductionRoute.SCRAP_EAF, ProductionRoute.DRI_EAF},
    MaterialFamily.ALUMINIUM: {
        ProductionRoute.PRIMARY_COAL,
        ProductionRoute.PRIMARY_HYDRO,
        ProductionRoute.SECONDARY,
    },
}


class FactorBasis(models.TextChoices):
    TYPICAL = "typical", _("Typical")
    CONSERVATIVE = "conservative", _("Conservative")


class Segment(models.TextChoices):
    A00 = "A00", _("A00 (mini)")
    A0 = "A0", _("A0 (small)")
    A = "A", _("A (compact)")
    B = "B", _("B (mid-size)")
    C = "C", _("C (large)")
    D = "D", _("D (luxury)")


class BodyType(models.TextChoices):
    SEDAN = "sedan", _("Sedan")
    HATCHBACK = "hatchback", _("Hatchback")
    SUV = "suv", _("SUV")
    MPV = "mpv", _("MPV")
    WAGON = "wagon", _("Wagon")
    COUPE = "coupe", _("Coupe")


class Powertrain(models.TextChoices):
    BEV = "BEV", _("Battery electric (BEV)")
    PHEV = "PHEV", _("Plug-in hybrid (PHEV)")
    HEV = "HEV", _("Hybrid (HEV)")
    ICE = "ICE", _("Internal combustion (ICE)")
    FCEV = "FCEV", _("Fuel cell (FCEV)")


class VehicleSystem(models.TextChoices):
    BODY_IN_WHITE = "body_in_white", _("Body in white")
    CLOSURES = "closures", _("Closures")
    CHASSIS = "chassis", _("Chassis")
    POWERTRAIN = "powertrain", _("Powertrain")
    BATTERY_ENCLOSURE = "battery_enclosure", _("Battery enclosure")
    WHEELS = "wheels", _("Wheels")
    INTERIOR = "interior", _("Interior")
    ELECTRICAL = "electrical", _("Electrical")
    THERMAL = "thermal", _("Thermal")
    OTHER = "other", _("Other")


class DataSourceLevel(models.IntegerChoices):
    """The four levels of factor choice, best first; levels 1-2 are primary data (PACT)."""

    OUTSIDE_BOUNDARY = 0, _("Outside the boundary (not steel or aluminium)")
    PRODUCT_DECLARATION = 1, _("Supplier declaration of the product")
    SUPPLIER_MEAN = 2, _("Mean of the supplier's declarations for the material")
    ROUTE_DEFAULT = 3, _("Default for material and route")
    CONSERVATIVE_DEFAULT = 4, _("Conservative default for the material")


class RollupTrigger(models.TextChoices):
    DECLARATION_APPROVED = "declaration_approved", _("Declaration approved")
    DECLARATION_SUPERSEDED = "declaration_superseded", _("Declaration superseded")
    DECLARATION_WITHDRAWN = "declaration_withdrawn", _("Declaration withdrawn")
    DECLARATION_EXPIRED = "declaration_expired", _("Declaration expired")
    BOM_CHANGED = "bom_changed", _("BOM changed")
    DEFAULT_FACTOR_CHANGED = "default_factor_changed", _("Default factor changed")
    FULL = "full", _("Full run")
    SWEEP = "sweep", _("Sweep")


class RollupStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
