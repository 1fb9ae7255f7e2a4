"""The URNs this host gives companies and products, in the PACT `urn:pact:<issuer domain>:<type>:<id>` form.

- a company: `urn:pact:<domain>:uscc:<Unified Social Credit Code>`;
- a vehicle model: `urn:pact:<domain>:product-id:vehicle-model-<platform id>` and, for the carmaker's own
  identifier, `urn:pact:<domain>:supplier-id:<carmaker USCC>:<external id, percent-encoded>`;
- a supplier product: `urn:pact:<domain>:product-id:product-<platform id>`.

`<domain>` is PACT_URN_DOMAIN, the domain of this platform, which issues these identifiers.
"""

from dataclasses import dataclass
from urllib.parse import quote, unquote

from django.conf import settings

USCC_LENGTH = 18
VEHICLE_MODEL_PREFIX = "vehicle-model-"
PRODUCT_PREFIX = "product-"


def _prefix() -> str:
    return f"urn:pact:{settings.PACT_URN_DOMAIN}:"


def company_urn(uscc: str) -> str:
    return f"{_prefix()}uscc:{uscc}"


def vehicle_model_urns(*, vehicle_model_id: int, carmaker_uscc: str, external_id: str) -> list[str]:
    return [
        f"{_prefix()}product-id:{VEHICLE_MODEL_PREFIX}{vehicle_model_id}",
        f"{_prefix()}supplier-id:{carmaker_uscc}:{quote(external_id, safe='')}",
    ]


def product_urn(product_id: int) -> str:
    return f"{_prefix()}product-id:{PRODUCT_PREFIX}{product_id}"


@dataclass(frozen=True)
class ProductRef:
    """What a product URN of this host names: a vehicle model (by id, or by carmaker and external id) or a
    supplier product."""

    vehicle_model_id: int | None = None
    carmaker_uscc: str | None = None
    external_id: str | None = None
    product_id: int | None = None


def _ours(urn: str) -> tuple[str, str] | None:
    """(identifier type, id) of a URN issued by this host; None for any other URN.

    `urn`, the namespace and the domain compare case-insensitively (RFC 8141 and DNS)."""
    parts = urn.split(":", 4)
    if len(parts) != 5 or parts[0].lower() != "urn" or parts[1].lower() != "pact":
        return None
    if parts[2].lower() != settings.PACT_URN_DOMAIN.lower():
        return None
    return parts[3], parts[4]


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def parse_product_urn(urn: str) -> ProductRef | None:
    ours = _ours(urn)
    if ours is None:
        return None
    kind, identifier = ours
    if kind == "product-id" and identifier.startswith(VEHICLE_MODEL_PREFIX):
        model_id = _int(identifier.removeprefix(VEHICLE_MODEL_PREFIX))
        return ProductRef(vehicle_model_id=model_id) if model_id else None
    if kind == "product-id" and identifier.startswith(PRODUCT_PREFIX):
        product_id = _int(identifier.removeprefix(PRODUCT_PREFIX))
        return ProductRef(product_id=product_id) if product_id else None
    if kind == "supplier-id" and len(identifier) > USCC_LENGTH + 1 and identifier[USCC_LENGTH] == ":":
        return ProductRef(
            carmaker_uscc=identifier[:USCC_LENGTH].upper(),
            external_id=unquote(identifier[USCC_LENGTH + 1 :]),
        )
    return None


def parse_company_urn(urn: str) -> str | None:
    """The USCC a company URN of this host names, or None."""
    ours = _ours(urn)
    if ours is None or ours[0] != "uscc" or len(ours[1]) != USCC_LENGTH:
        return None
    return ours[1].upper()
