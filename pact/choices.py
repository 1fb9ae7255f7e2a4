"""Fixed vocabulary of the PACT exchange: spec version, event types, statuses and the mappings to PACT values."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The value of ProductFootprint.specVersion: PACT Technical Specification v2.3.
SPEC_VERSION = "2.3.0"
CLOUDEVENTS_SPEC_VERSION = "1.0"
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"


class EventType(models.TextChoices):
    """The CloudEvents `type` values of PACT v2 (they kept the Pathfinder name)."""

    PUBLISHED = "org.wbcsd.pathfinder.ProductFootprint.Published.v1", _("Footprints published")
    REQUEST_CREATED = "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1", _("Footprint request")
    REQUEST_FULFILLED = "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1", _("Request fulfilled")
    REQUEST_REJECTED = "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1", _("Request rejected")


class PfKind(models.TextChoices):
    """What a ProductFootprint of this host stands for."""

    VEHICLE = "vehicle", _("Vehicle footprint revision")
    DECLARATION = "declaration", _("Approved supplier declaration")


class PfStatus:
    ACTIVE = "Active"
    DEPRECATED = "Deprecated"


class FootprintRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    FULFILLED = "fulfilled", _("Fulfilled (response delivered)")
    REJECTED = "rejected", _("Rejected (response delivered)")
    FAILED = "failed", _("Response could not be delivered")


# Vehicle footprints and declarations of Chinese plants: geography is China, or a province for a plant.
# The platform's province codes are the ISO 3166-2:CN subdivision codes after "CN-".
COUNTRY = "CN"

# UN CPC Ver. 2.1: group 491 motor vehicles; 412 products of iron or steel; 414 unwrought aluminium;
# 415 semi-finished aluminium products; division 41 basic metals for anything not listed.
VEHICLE_CPC = "491"
CPC_BY_MATERIAL = {
    "aluminium.primary_ingot": "414",
    "aluminium.secondary_ingot": "414",
    "aluminium.sheet": "415",
    "aluminium.extrusion": "415",
}
CPC_BY_FAMILY = {"steel": "412"}
DEFAULT_METAL_CPC = "41"

# Data quality ratings (PACT Methodology table 9: 1 good, 3 poor) per data source level of the rollup:
# technological, temporal, geographical, completeness, reliability. A footprint's DQRs are the emission-
# weighted means over its levels; a supplier declaration is product-specific, verified data (level 1).
DQR_BY_LEVEL = {
    1: (1, 1, 1, 1, 1),  # the product's own approved EPD
    2: (2, 1, 1, 1, 1),  # the supplier's mean for the material: same maker, other products
    3: (2, 2, 2, 2, 2),  # typical default for material and route (regional where one exists)
    4: (3, 3, 3, 3, 3),  # conservative default for the material
}
DQR_NAMES = ("technologicalDQR", "temporalDQR", "geographicalDQR", "completenessDQR", "reliabilityDQR")
