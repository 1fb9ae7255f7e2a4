"""OAuth2 for PACT: tokens only for client-credentials applications of an organisation, and bearer checks
that answer with PACT error codes (BadRequest for a missing or unknown token, TokenExpired, AccessDenied)."""

from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.oauth2_validators import OAuth2Validator

from carbon_platform.tenancy.authentication import access_token_with_client, grants
from carbon_platform.tenancy.models import ApiClient

from .errors import PactError

# Every PACT action reads: listing, getting and the events a client posts (a request asks to read).
REQUIRED_SCOPE = "read"


class PactOAuth2Validator(OAuth2Validator):
    """django-oauth-toolkit's validator, refusing (unauthorized_client) applications that do not act for an
    organisation of the platform: a PACT client is always some organisation's. A token carries the scopes
    the client asks for, only among those its organisation's admin granted it (invalid_scope otherwise),
    and all of those when it names none."""

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return (
            super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
            and ApiClient.objects.filter(application=request.client).exists()
        )

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return bool(scopes) and set(scopes) <= set(_granted_scopes(client))

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return _granted_scopes(request.client)


def _granted_scopes(application) -> list[str]:
    scopes = ApiClient.objects.filter(application=application).values_list("scopes", flat=True).first()
    return scopes.split() if scopes else []


def api_client_of(request) -> ApiClient:
    """The API client whose bearer token authorises this request, or the PACT error to answer with."""
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise PactError("BadRequest", "An access token is required: Authorization: Bearer <token>.")
    access_token = access_token_with_client(token)
    if access_token is None:
        raise PactError("BadRequest", "The access token is not valid.")
    if access_token.is_expired():
        raise PactError("TokenExpired")
    try:
        api_client = access_token.application.api_client
    except (AttributeError, ObjectDoesNotExist):
        raise PactError(
            "AccessDenied", "The access token does not belong to a client of an organisation."
        ) from None
    if not grants(access_token, api_client, REQUIRED_SCOPE):
        raise PactError("AccessDenied", f"The access token lacks the '{REQUIRED_SCOPE}' scope.")
    return api_client
