"""The $filter parser: the OData subset PACT allows, refused syntax (BadRequest) and valid OData this host
does not evaluate (NotImplemented) told apart."""

import pytest

from pact.odata import AnyEquals, Comparison, FilterNotSupported, FilterSyntaxError, parse


def test_the_spec_examples_parse():
    assert parse("created ge '2023-06-27T13:00:00.000Z'") == [
        Comparison("created", "ge", "2023-06-27T13:00:00.000Z")
    ]
    assert parse("productIds/any(productId:(productId eq 'urn:gtin:4712345060507'))") == [
        AnyEquals("productIds", "urn:gtin:4712345060507")
    ]


def test_and_parentheses_and_unquoted_times():
    assert parse(
        "(created ge 2023-01-01T00:00:00Z) and (updated lt '2024-01-01T00:00:00Z') and companyIds/any(c:c eq 'urn:x:y')"
    ) == [
        Comparison("created", "ge", "2023-01-01T00:00:00Z"),
        Comparison("updated", "lt", "2024-01-01T00:00:00Z"),
        AnyEquals("companyIds", "urn:x:y"),
    ]


def test_quotes_inside_a_string_are_doubled():
    assert parse("productIds/any(p:p eq 'urn:x:it''s')") == [AnyEquals("productIds", "urn:x:it's")]


def test_keywords_are_case_insensitive_and_empty_is_nothing():
    assert (
        parse("created GE '2023-01-01T00:00:00Z' AND created Lt '2024-01-01T00:00:00Z'")[1].operator == "lt"
    )
    assert parse("  ") == []


@pytest.mark.parametrize(
    "statement",
    [
        "created ge '2023-01-01T00:00:00Z' or created lt '2020-01-01T00:00:00Z'",
        "not created ge '2023-01-01T00:00:00Z'",
        "created ne '2023-01-01T00:00:00Z'",
        "productCategoryCpc eq '3342'",
        "pcf/geographyCountry eq 'DE'",
        "pcf/referencePeriodStart ge '2023-01-01T00:00:00.000Z'",
        "productIds/all(p:p eq 'urn:x:y')",
        "productIds/any(p:p ne 'urn:x:y')",
    ],
)
def test_valid_odata_outside_this_hosts_subset_is_not_supported(statement):
    with pytest.raises(FilterNotSupported):
        parse(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "created",
        "created ge",
        "created ~ '2023'",
        "'2023-01-01' le created",
        "colour eq 'red'",
        "created ge '2023-01-01T00:00:00Z' and",
        "created ge '2023-01-01T00:00:00Z')",
        "created ge 'unterminated",
        "weight/any(w:w eq 'x')",
        "productIds/any(p:q eq 'x')",
        "productIds/any(p:p eq 42)",
    ],
)
def test_invalid_statements_are_syntax_errors(statement):
    with pytest.raises(FilterSyntaxError):
        parse(statement)
