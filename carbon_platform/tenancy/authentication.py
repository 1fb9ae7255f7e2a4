"""OAuth2 client-credentials bearer tokens (from /auth/token) on /api/v1/: the token acts as its API client's
service user, within the scopes it carries.

The scope is checked here, when the token is read, rather than by a permission class: a view that sets
its own `permission_classes` (BOM import, say) would drop a default permission, and the scope must hold on
every view a token reaches. Personal tokens and sessions carry no scope and are not affected.
"""

import hashlib

from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from .choices import ApiScope

REALM = "api"


class PersonalTokenAuthentication(TokenAuthentication):
    """DRF's personal tokens (`Authorization: Token <key>`), reading the user's membership and organisation
    in the same query as the token: every scoped view asks for them, and this saves two queries a request."""

    def authenticate_credentials(self, key):
        try:
            token = self.get_model().objects.select_related("user__membership__organisation").get(key=key)
        except self.get_model().DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


def required_scope(method: str) -> str:
    """Reading (GET, HEAD, OPTIONS) needs `read`; anything that may change data needs `write`."""
    return ApiScope.READ if method.upper() in SAFE_METHODS else ApiScope.WRITE


class BearerTokenRefused(exceptions.AuthenticationFailed):
    """401 with the RFC 6750 challenge, whichever authentication class comes first."""

    www_authenticate = f'Bearer realm="{REALM}", error="invalid_token"'


class InsufficientScope(exceptions.PermissionDenied):
    """403, naming the scope the token lacks (RFC 6750 section 3.1)."""

    default_code = "insufficient_scope"

    def __init__(self, scope: str):
        super().__init__(
            _(
                "This access token lacks the '%(scope)s' scope that %(what)s needs; ask your organisation's "
                "admin to grant it to the API client, then request a token with scope=%(scope)s."
            )
            % {
                "scope": scope,
                "what": _("reading") if scope == ApiScope.READ else _("changing data"),
            }
        )
        self.www_authenticate = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'


class ApiClientTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <access token>`: authenticates as the token's API client's service user, so
    the request is scoped by the client's organisation as a member's would be. Returns (service user,
    access token); `request.auth` is the django-oauth-toolkit AccessToken."""

    keyword = "bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.encode():
            return None  # another scheme (Token), or none: not ours to judge
        if len(parts) != 2:
            raise BearerTokenRefused(_("Send exactly one access token: Authorization: Bearer <token>."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise BearerTokenRefused(_("The access token is not valid.")) from None
        # django-oauth-toolkit stores the SHA-256 of each token and looks tokens up by it.
        checksum = hashlib.sha256(token.encode("ascii")).hexdigest()
        access_token = (
            get_access_token_model()
            .objects.select_related(
                "application__api_client__service_user__membership__organisation",
            )
            .filter(token_checksum=checksum)
            .first()
        )
        if access_token is None:
            raise BearerTokenRefused(_("The access token is not valid."))
        if access_token.is_expired():
            raise BearerTokenRefused(_("The access token has expired: request a new one at /auth/token."))
        api_client = getattr(access_token.application, "api_client", None)
        if api_client is None:
            raise BearerTokenRefused(
                _("The access token does not belong to an API client of an organisation.")
            )
        service_user = api_client.service_user
        if not service_user.is_active:
            raise BearerTokenRefused(_("This API client has been revoked."))
        scope = required_scope(request.method)
        if not access_token.allow_scopes([scope]):
            raise InsufficientScope(scope)
        return service_user, access_token

    def authenticate_header(self, request):
        return f'Bearer realm="{REALM}"'
