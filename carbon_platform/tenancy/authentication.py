"""OAuth2 client-credentials bearer tokens (from /auth/token) on /api/v1/: the token acts as its API client's
service user, within the scopes it carries.

The scope is checked here, when the token is read, rather than by a permission class: a view that sets
its own `permission_classes` (BOM import, say) would drop a default permission, and the scope must hold on
every view a token reaches. Personal tokens and sessions carry no scope and are not affected.
"""

import functools
import hashlib

from django.db import connection
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from . import credential_cache
from .choices import ApiScope

REALM = "api"


class PersonalTokenAuthentication(TokenAuthentication):
    """DRF's personal tokens (`Authorization: Token <key>`), with the user's membership and organisation read
    in the same query: every scoped view asks for them.

    Every API request passes here, so the lookup is one hand-written SQL statement (its text built once from
    the models' metadata) rather than an ORM query: compiling the four-table select_related cost ~0.9 ms a
    request, three times the query itself. The rows become model instances with only the fields read (the
    rest load on first access) and their relations cached, as select_related would leave them;
    tests/tenancy/test_token_lookup.py checks they equal what the ORM returns."""

    def authenticate_credentials(self, key):
        token = credential_cache.lookup(
            credential_cache.PERSONAL,
            credential_cache.personal_digest(key),
            lambda: token_with_organisation(key),
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


# (SQL alias, the fields read): what authentication, the organisation check and scoping use.
_TOKEN_READ = (
    ("t", ("key", "user_id", "created")),
    ("u", ("id", "username", "is_active", "is_staff", "is_superuser")),
    ("m", ("id", "user_id", "organisation_id", "role")),
    ("o", ("id", "name", "name_zh", "kind", "uscc", "province")),
)


@functools.cache
def _token_models() -> tuple:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from .models import Membership, Organisation

    return Token, get_user_model(), Membership, Organisation


@functools.cache
def _token_reads() -> list[tuple[str, type, list[str]]]:
    """(alias, model, attnames) in the models' field order, which Model.from_db expects."""
    reads = []
    for (alias, names), model in zip(_TOKEN_READ, _token_models(), strict=True):
        attnames = [model._meta.get_field(name).attname for name in names]
        reads.append(
            (alias, model, [f.attname for f in model._meta.concrete_fields if f.attname in attnames])
        )
    return reads


@functools.cache
def _token_statement() -> str:
    token, user, membership, organisation = _token_models()
    quote = connection.ops.quote_name

    def col(alias, model, name):
        return f"{alias}.{quote(model._meta.get_field(name).column)}"

    def table(model, alias):
        return f"{quote(model._meta.db_table)} {alias}"

    columns = ", ".join(col(alias, model, name) for alias, model, names in _token_reads() for name in names)
    return (
        f"SELECT {columns} FROM {table(token, 't')} "
        f"JOIN {table(user, 'u')} ON {col('u', user, 'id')} = {col('t', token, 'user_id')} "
        f"LEFT JOIN {table(membership, 'm')} ON {col('m', membership, 'user_id')} = {col('u', user, 'id')} "
        f"LEFT JOIN {table(organisation, 'o')} ON {col('o', organisation, 'id')} = "
        f"{col('m', membership, 'organisation_id')} "
        f"WHERE {col('t', token, 'key')} = %s"
    )


def token_with_organisation(key: str):
    """The Token with its user, the user's membership and its organisation cached on it, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_token_statement(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    values, instances = iter(row), []
    for _alias, model, names in _token_reads():
        fields = [next(values) for _ in names]
        instances.append(
            None
            if all(
                value is None for value in fields
            )  # no membership (or organisation): the LEFT JOIN's nulls
            else model.from_db(connection.alias, names, _converted(model, names, fields))
        )
    token, user, membership, organisation = instances
    token._state.fields_cache["user"] = user
    user._state.fields_cache["membership"] = membership
    if membership is not None:
        membership._state.fields_cache["user"] = user
        membership._state.fields_cache["organisation"] = organisation
    return token


def _converted(model, names, values) -> list:
    """Values as the ORM would hand them over (SQLite returns booleans as 0/1 and datetimes as text)."""
    converted = []
    for (expression, converters), value in zip(_converters(model, tuple(names)), values, strict=True):
        for converter in converters:
            value = converter(value, expression, connection)
        converted.append(value)
    return converted


@functools.cache
def _converters(model, names: tuple[str, ...]) -> list[tuple]:
    """(column expression, the backend's and the field's converters) of each field read, found once."""
    fields_by_attname = {field.attname: field for field in model._meta.concrete_fields}
    found = []
    for name in names:
        field = fields_by_attname[name]
        expression = field.get_col(model._meta.db_table)
        found.append(
            (expression, connection.ops.get_db_converters(expression) + field.get_db_converters(connection))
        )
    return found


def access_token_with_client(token: str):
    """The AccessToken of this raw bearer token with its application's API client, the client's
    organisation and its service user's membership loaded (what /api/v1 and PACT read), or None. Through
    the credential cache: django-oauth-toolkit stores only the SHA-256 of each token, and it is the key."""
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    return credential_cache.lookup(
        credential_cache.BEARER,
        checksum,
        lambda: (
            get_access_token_model()
            .objects.select_related(
                "application__api_client__organisation",
                "application__api_client__service_user__membership__organisation",
            )
            .filter(token_checksum=checksum)
            .first()
        ),
    )


def grants(access_token, api_client, scope: str) -> bool:
    """Whether the token carries the scope and its client is still granted it: an admin who narrows a
    client's scopes narrows the tokens it was already issued (they carry what was asked at issue)."""
    return access_token.allow_scopes([scope]) and scope in api_client.granted_scopes


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
        access_token = access_token_with_client(token)
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
        if not grants(access_token, api_client, scope):
            raise InsufficientScope(scope)
        return service_user, access_token

    def authenticate_header(self, request):
        return f'Bearer realm="{REALM}"'
