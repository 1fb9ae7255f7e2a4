"""House rules of the OpenAPI schema: only /api/v1/, the error answers every operation can give, exports as files,
and the OAuth2 client-credentials scheme with the scope each operation needs."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .exports import XLSX_MEDIA_TYPE, ExportableListMixin
from .tenancy.authentication import required_scope


class ErrorSerializer(serializers.Serializer):
    """A refused request: what was wrong and, when it concerns one input field, which."""

    detail = serializers.CharField(help_text="What was wrong, for a person to read.")
    field = serializers.CharField(
        required=False, help_text="The input field the error concerns, when it concerns one."
    )


class ValidationErrorSerializer(serializers.Serializer):
    """Malformed input, as Django REST framework reports it: each field with its messages."""


class ValidationErrorExtension(OpenApiSerializerExtension):
    target_class = "carbon_platform.openapi.ValidationErrorSerializer"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "Each input field that was malformed, with its messages; a list or nested field "
            "has its errors by index or by field inside it.",
            "additionalProperties": {
                "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
            },
        }


class ApiClientTokenScheme(OpenApiAuthenticationExtension):
    """Bearer tokens of an organisation's API client, issued by the PACT host's /auth/token; each operation
    names the scope it needs (read for GET, write for the rest)."""

    target_class = "carbon_platform.tenancy.authentication.ApiClientTokenAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema):
        return {self.name: [required_scope(auto_schema.method)]}

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "Client-credentials access tokens of an organisation's API client: `POST /auth/token` "
            "with the client id and secret by HTTP Basic and `grant_type=client_credentials` (optionally "
            "`scope=read write`, within what the organisation's admin granted the client), then "
            "`Authorization: Bearer <token>`. The token acts for the client's organisation, under /api/v1/ "
            "and on the PACT host (/2/). GET needs `read`, other methods `write`.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/auth/token",
                    "scopes": {name: str(text) for name, text in settings.OAUTH2_PROVIDER["SCOPES"].items()},
                }
            },
        }


def only_api_v1(endpoints, **kwargs):
    """The schema documents /api/v1/; the PACT host (/2/) follows the PACT specification's own schema."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


BAD_REQUEST = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="BadRequest",
        serializers=[ErrorSerializer, ValidationErrorSerializer],
        resource_type_field_name=None,
    ),
    description="A business rule refused the request (`detail`, `field`), or the input was malformed "
    "(each field with its messages).",
    examples=[
        OpenApiExample(
            "Refused by a business rule",
            value={"detail": "A comment is required to reject or request changes.", "field": "comment"},
        ),
        OpenApiExample("Malformed input", value={"mass_kg": ["A valid number is required."]}),
    ],
)
UNAUTHORIZED = OpenApiResponse(
    ErrorSerializer,
    description="No valid credentials: sign in, send `Authorization: Token <key>`, or an unexpired "
    "access token of an API client that was not revoked as `Authorization: Bearer <token>`.",
    examples=[
        OpenApiExample("Not signed in", value={"detail": "Authentication credentials were not provided."}),
        OpenApiExample(
            "Expired access token",
            value={"detail": "The access token has expired: request a new one at /auth/token."},
        ),
    ],
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Your account belongs to no organisation, your kind of organisation cannot do this, or the "
    "access token lacks the scope the method needs (`read` for GET, `write` otherwise).",
    examples=[
        OpenApiExample("Wrong kind of organisation", value={"detail": "This needs a carmaker account."}),
        OpenApiExample(
            "Missing scope",
            value={
                "detail": "This access token lacks the 'write' scope that changing data needs; ask your "
                "organisation's admin to grant it to the API client, then request a token with scope=write."
            },
        ),
    ],
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such object, or it belongs to another organisation (the API does not say which).",
    examples=[OpenApiExample("Not found", value={"detail": "No VehicleModel matches the given query."})],
)
PAGE_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="`page` is past the last page of the list.",
    examples=[OpenApiExample("Past the last page", value={"detail": "Invalid page."})],
)

EXPORT_CONTENT = {
    "text/csv": {
        "schema": {
            "type": "string",
            "description": "Every row of the filtered, sorted list (not one page), nested fields flattened to "
            "dotted headers; UTF-8 with BOM.",
        }
    },
    XLSX_MEDIA_TYPE: {
        "schema": {
            "type": "string",
            "format": "binary",
            "description": "The same table as the CSV, as one XLSX sheet.",
        }
    },
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the errors every operation can answer (400, 401, 403, 404; a paginated list's 404 for a page past
    its end) where a view did not document its own, and documents a list's CSV and XLSX answers as files."""

    def _default_errors(self) -> dict:
        errors = {}
        needs_auth = not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if self.method in ("POST", "PUT", "PATCH") or (
            isinstance(self.view, ExportableListMixin) and self._is_list_view()
        ):
            errors["400"] = BAD_REQUEST
        if needs_auth:
            errors["401"] = UNAUTHORIZED
            errors["403"] = FORBIDDEN
        if "{" in self.path:
            errors["404"] = NOT_FOUND
        elif self.method == "GET" and self._is_list_view() and self._get_paginator() is not None:
            errors["404"] = PAGE_NOT_FOUND  # DRF's page-number pagination answers 404 past the last page
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._default_errors().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, ["application/json"], direction)
        return responses

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content", {})
        for media_type, body in EXPORT_CONTENT.items():
            if media_type in content:
                content[media_type] = body
        return response
