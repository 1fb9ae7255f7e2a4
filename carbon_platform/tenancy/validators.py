"""Validation of tenancy fields: the Unified Social Credit Code (GB 32100-2015, check digit included) and
the scopes granted to an API client."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import ApiScope

# GB 32100-2015 alphabet: digits and upper-case letters without I, O, Z, S, V (31 symbols).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight of position i is 3**i mod 31.
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def uscc_check_character(first_17: str) -> str:
    """Return the check character for the first 17 characters of a Unified Social Credit Code."""
    total = sum(
        USCC_ALPHABET.index(char) * weight for char, weight in zip(first_17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Raise ValidationError unless value is a well-formed USCC with a correct check character."""
    if len(value) != 18:
        raise ValidationError(
            _("A Unified Social Credit Code has 18 characters; this one has %(count)d."),
            code="uscc_length",
            params={"count": len(value)},
        )
    bad = sorted({char for char in value if char not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("A Unified Social Credit Code may not contain %(chars)s."),
            code="uscc_alphabet",
            params={"chars": ", ".join(bad)},
        )
    if not value[2:8].isdigit():
        raise ValidationError(
            _(
                "Characters 3-8 of a Unified Social Credit Code are the administrative division code (digits)."
            ),
            code="uscc_division",
        )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _(
                "The check character of this Unified Social Credit Code should be %(expected)s, not %(actual)s."
            ),
            code="uscc_check_digit",
            params={"expected": expected, "actual": value[17]},
        )


def validate_api_scopes(value: str) -> None:
    """Raise ValidationError unless value is one or more known API scopes, separated by spaces."""
    scopes = value.split()
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if not scopes or unknown:
        raise ValidationError(
            _("Grant one or more of the scopes %(known)s; %(value)s is not."),
            code="api_scopes",
            params={"known": ", ".join(ApiScope.values), "value": repr(value)},
        )
