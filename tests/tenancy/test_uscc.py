"""Unified Social Credit Code validation, check digit included (GB 32100-2015)."""

import pytest
from django.core.exceptions import ValidationError

from carbon_platform.tenancy.validators import uscc_check_character, validate_uscc
from tests.factories import OrganisationFactory


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B"])
def test_published_codes_are_accepted(code):
    validate_uscc(code)


def test_check_character_is_computed_from_weights_3_pow_i_mod_31():
    assert uscc_check_character("91110000802100433") == "B"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y44", "should be 3, not 4"),
        ("91350100M000100Y4", "has 18 characters; this one has 17"),
        ("91350100M000100I43", "may not contain I"),
        ("913501O0M000100Y43", "may not contain O"),
        ("91ABCDEFM000100Y43", "administrative division code"),
    ],
)
def test_malformed_codes_are_rejected_with_a_reason(code, message):
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert message in " ".join(error.value.messages)


def test_organisation_full_clean_runs_the_validator(db):
    organisation = OrganisationFactory.build(uscc="91350100M000100Y44")
    with pytest.raises(ValidationError) as error:
        organisation.full_clean()
    assert "uscc" in error.value.message_dict
