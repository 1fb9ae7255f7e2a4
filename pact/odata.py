"""A parser for the OData `$filter` subset of PACT ListFootprints; pure Python, no Django.

PACT allows comparisons (eq, lt, le, gt, ge) on a few properties, `and`, and `any` with an `eq` body on
`companyIds` and `productIds`. `parse` turns a statement into the list of conditions that must all hold.
A statement that is not valid OData raises FilterSyntaxError (the host answers BadRequest); valid OData
this host does not evaluate raises FilterNotSupported (NotImplemented), as the spec prescribes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPARISON_OPERATORS = {"eq", "lt", "le", "gt", "ge"}
# Operators OData knows and PACT does not allow in a filter.
OTHER_OPERATORS = {"ne", "has", "in", "add", "sub", "mul", "div", "divby", "mod"}
# Properties the spec allows in comparisons, and those this host evaluates.
SPEC_PROPERTIES = {
    "created",
    "updated",
    "productCategoryCpc",
    "pcf/geographyCountry",
    "pcf/referencePeriodStart",
    "pcf/referencePeriodEnd",
}
SUPPORTED_PROPERTIES = {"created", "updated"}
COLLECTIONS = {"companyIds", "productIds"}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<path>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<raw>[0-9][0-9A-Za-z:.+\-]*)
      | (?P<punct>[(),:])
    )""",
    re.VERBOSE,
)


class FilterSyntaxError(ValueError):
    """The statement is not a valid filter: the request is bad."""


class FilterNotSupported(ValueError):
    """The statement is valid OData, but this host does not evaluate it."""


@dataclass(frozen=True)
class Comparison:
    """`property operator literal`; the literal is the string's value, or the raw token when unquoted."""

    property: str
    operator: str
    literal: str


@dataclass(frozen=True)
class AnyEquals:
    """`collection/any(x: x eq 'value')`: some element of the collection equals the value."""

    collection: str
    value: str


Condition = Comparison | AnyEquals


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(statement: str) -> list[_Token]:
    tokens, position = [], 0
    statement = statement.rstrip()
    while position < len(statement):
        match = _TOKEN.match(statement, position)
        if match is None or match.end() == position:
            raise FilterSyntaxError(f"Unexpected character at position {position + 1} of the $filter.")
        kind = match.lastgroup
        text = match.group(kind)
        if kind == "string":
            text = text[1:-1].replace("''", "'")
        tokens.append(_Token(kind, text))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def next(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError("The $filter ends too early.")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.next()
        if token.text != text:
            raise FilterSyntaxError(f"Expected '{text}' in the $filter, found '{token.text}'.")

    def keyword(self) -> str | None:
        token = self.peek()
        return token.text.lower() if token is not None and token.kind == "path" else None

    def parse(self) -> list[Condition]:
        conditions = self.disjunction()
        if self.peek() is not None:
            raise FilterSyntaxError(f"Unexpected '{self.peek().text}' in the $filter.")
        return conditions

    def disjunction(self) -> list[Condition]:
        conditions = self.conjunction()
        if self.keyword() == "or":
            self.next()
            self.conjunction()  # a valid `or` is still refused: only `and` is evaluated
            raise FilterNotSupported("The $filter operator 'or' is not implemented; PACT filters use 'and'.")
        return conditions

    def conjunction(self) -> list[Condition]:
        conditions = self.unary()
        while self.keyword() == "and":
            self.next()
            conditions += self.unary()
        return conditions

    def unary(self) -> list[Condition]:
        if self.keyword() == "not":
            self.next()
            self.unary()
            raise FilterNotSupported("The $filter operator 'not' is not implemented.")
        token = self.peek()
        if token is not None and token.text == "(":
            self.next()
            conditions = self.disjunction()
            self.expect(")")
            return conditions
        return [self.condition()]

    def condition(self) -> Condition:
        token = self.next()
        if token.kind != "path":
            raise FilterSyntaxError(f"Expected a property in the $filter, found '{token.text}'.")
        path, _, last = token.text.rpartition("/")
        if path and last.lower() in {"any", "all"}:
            return self.lambda_condition(path, last.lower())
        operator = self.next().text.lower()
        literal = self.next()
        if literal.kind not in {"string", "raw"}:
            raise FilterSyntaxError(f"Expected a literal value after '{token.text} {operator}'.")
        if operator in OTHER_OPERATORS:
            raise FilterNotSupported(f"The $filter operator '{operator}' is not implemented.")
        if operator not in COMPARISON_OPERATORS:
            raise FilterSyntaxError(f"Unknown operator '{operator}' in the $filter.")
        if token.text not in SPEC_PROPERTIES:
            raise FilterSyntaxError(f"The property '{token.text}' cannot be filtered on (PACT $filter).")
        if token.text not in SUPPORTED_PROPERTIES:
            raise FilterNotSupported(f"Filtering on '{token.text}' is not implemented by this host.")
        return Comparison(token.text, operator, literal.text)

    def lambda_condition(self, collection: str, operator: str) -> AnyEquals:
        self.expect("(")
        variable = self.next()
        if variable.kind != "path" or "/" in variable.text:
            raise FilterSyntaxError("Expected a lambda variable in the $filter.")
        self.expect(":")
        value = self.lambda_body(variable.text)
        self.expect(")")
        if collection not in COLLECTIONS:
            raise FilterSyntaxError(f"'{collection}/{operator}' cannot be used in a PACT $filter.")
        if operator == "all":
            raise FilterNotSupported("The lambda operator 'all' is not implemented; use 'any'.")
        return AnyEquals(collection, value)

    def lambda_body(self, variable: str) -> str:
        token = self.peek()
        if token is not None and token.text == "(":
            self.next()
            value = self.lambda_body(variable)
            self.expect(")")
            return value
        name, operator, literal = self.next(), self.next().text.lower(), self.next()
        if name.text != variable:
            raise FilterSyntaxError(f"The lambda body must compare '{variable}'.")
        if operator != "eq":
            raise FilterNotSupported("Inside 'any', PACT filters compare with 'eq' only.")
        if literal.kind != "string":
            raise FilterSyntaxError("Inside 'any', the value must be a quoted string.")
        if self.keyword() in {"and", "or"}:
            raise FilterNotSupported("Inside 'any', PACT filters allow a single 'eq' comparison.")
        return literal.text


def parse(statement: str) -> list[Condition]:
    """The conditions of a `$filter` statement, all of which must hold; empty for an empty statement."""
    if not statement.strip():
        return []
    return _Parser(_tokens(statement)).parse()
