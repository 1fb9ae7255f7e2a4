"""A shared cache of who an API credential (personal token, OAuth2 access token) is, so that an API read
need not ask PostgreSQL for the same identity on every request.

Every /api/v1 and /2 request is authenticated; reading the token with its user, membership and
organisation was two database round trips (the connection's health check and the query) and ~1 ms of CPU
a request, more than the rest of a cached read. The cache keeps the loaded instances (pickled, with their
relations) under the SHA-256 of the credential, for at most TTL_S, never the credential itself: a personal
token's stored copy carries the digest in place of its key, and django-oauth-toolkit keeps no raw access
token (only its checksum).

Revocation is not left to the TTL: every change that can revoke or re-scope a credential -- deleting a
token, deactivating or deleting a user, changing or deleting a membership or an organisation, revoking an
API client -- marks the affected entries on commit (see `forget`), from post_save/post_delete signals
wired in tenancy/apps.py, so the next request reads the database. The mark is a tombstone rather than a
delete: a request that read the old state from the database before the change committed cannot put it
back (entries are only added where nothing, not even a tombstone, is stored). What the TTL still bounds
is a change that fires no signal (a queryset .update() of is_active, raw SQL): nothing in the project
does that to these tables.

On only with a cache every process shares (settings.API_CREDENTIAL_CACHE, default: CACHE_URL set); a
per-process cache could not hear another process's revocation.

Each process also remembers an entry it read from the shared cache for API_CREDENTIAL_LOCAL_S (1 s by
default; 0 turns it off), which spares the hottest tokens the round trip to Redis (~0.2 ms of CPU a
request). A revocation clears the revoking process's memory at once, so the bound on every other process
is that second: after it, every process reads the shared cache again and finds the tombstone. Each request
gets instances of its own (unpickled from the remembered bytes), never another request's.
"""

import copy
import hashlib
import logging
import pickle
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from carbon_platform.cache import UNREACHABLE

logger = logging.getLogger(__name__)

PERSONAL = "personal"
BEARER = "bearer"
TTL_S = 60
TOMBSTONE = "revoked"
# Longer than any request that could have read the old state before the change committed.
TOMBSTONE_S = 120
# This process's memory: cache key -> (monotonic deadline, pickled entry); cleared whole when it is full.
_local: dict[str, tuple[float, bytes]] = {}
# cache key -> when this process last marked it (monotonic), so a lookup that began before does not keep it.
_buried: dict[str, float] = {}
LOCAL_MAX_ENTRIES = 10_000


def enabled() -> bool:
    return getattr(settings, "API_CREDENTIAL_CACHE", False)


def _key(kind: str, digest: str) -> str:
    return f"credential:{kind}:{digest}"


def personal_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lookup(kind: str, digest: str, load: Callable[[], object]) -> object:
    """What `load()` returns (a model instance with its relations, or None when the credential is unknown),
    from this process's memory or the shared cache when an entry is there. Unknown credentials are not
    cached: a client retrying a wrong token reads the database each time, which the rate limits bound.

    When the shared cache cannot be reached, the database answers, as without this cache: Redis down must
    not take authentication with it."""
    if not enabled():
        return load()
    key = _key(kind, digest)
    started = time.monotonic()
    held = _local.get(key)
    if held is not None and held[0] > started:
        return pickle.loads(held[1])
    try:
        entry = cache.get(key)
    except UNREACHABLE:
        logger.warning("Credential cache unreachable: authenticating against the database", exc_info=True)
        return load()
    if entry is not None and entry != TOMBSTONE:
        _remember(key, entry, started)
        return entry
    found = load()
    if entry is None and found is not None:
        try:
            cache.add(key, _storable(kind, found), TTL_S)
        except UNREACHABLE:
            logger.warning("Credential cache unreachable: nothing stored", exc_info=True)
    return found


def _storable(kind: str, found):
    """What is stored: a personal token's key is the credential itself, so the stored copy carries its
    digest in its place (nothing reads the key of an authenticated request's token)."""
    if kind != PERSONAL:
        return found
    stored = copy.copy(found)
    stored.key = personal_digest(found.key)
    return stored


def _remember(key: str, entry: object, started: float) -> None:
    """Keep the entry in this process's memory, unless this process marked it since the lookup began (a
    revocation committed by another thread of this process while it read the shared cache)."""
    seconds = getattr(settings, "API_CREDENTIAL_LOCAL_S", 1.0)
    if seconds > 0 and _buried.get(key, float("-inf")) < started:
        if len(_local) >= LOCAL_MAX_ENTRIES:
            _local.clear()
        _local[key] = (started + seconds, pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))


def forget(kind: str, digests: Iterable[str]) -> None:
    """Mark these credentials' entries once the current transaction commits (at once outside one)."""
    keys = [_key(kind, digest) for digest in digests]
    if keys and enabled():
        transaction.on_commit(lambda: _bury(keys), robust=True)


def _bury(keys: list[str]) -> None:
    now = time.monotonic()
    if len(_buried) >= LOCAL_MAX_ENTRIES:
        _buried.clear()
    for key in keys:
        _buried[key] = now
        _local.pop(key, None)
    try:
        cache.set_many(dict.fromkeys(keys, TOMBSTONE), TOMBSTONE_S)
    except UNREACHABLE:
        # Other processes keep what they stored for up to TTL_S: say so loudly.
        logger.error(
            "Credential cache unreachable: %s revoked credential(s) may be accepted for up to %s s",
            len(keys),
            TTL_S,
            exc_info=True,
        )


def _personal_digests(tokens) -> list[str]:
    return [personal_digest(key) for key in tokens.values_list("key", flat=True)]


def _bearer_digests(access_tokens) -> list[str]:
    return list(access_tokens.values_list("token_checksum", flat=True))


def forget_users(user_ids: Iterable[int]) -> None:
    """Every credential that acts as these users: their personal tokens and, for an API client's service
    user, the client's access tokens."""
    from oauth2_provider.models import get_access_token_model
    from rest_framework.authtoken.models import Token

    user_ids = list(user_ids)
    forget(PERSONAL, _personal_digests(Token.objects.filter(user_id__in=user_ids)))
    forget(
        BEARER,
        _bearer_digests(
            get_access_token_model().objects.filter(application__api_client__service_user_id__in=user_ids)
        ),
    )


# Receivers (connected in tenancy/apps.py). A cascade delete sends each deleted row's signal, so deleting a
# user or an application reaches its tokens' receivers too.


def on_token_change(sender, instance, created=False, **kwargs) -> None:
    if not created:  # a new token has no entry yet (unknown credentials are not cached)
        forget(PERSONAL, [personal_digest(instance.key)])


def on_access_token_change(sender, instance, created=False, **kwargs) -> None:
    if not created:
        forget(BEARER, [instance.token_checksum])


def on_user_change(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    # Signing in saves last_login, which no credential depends on.
    if not created and set(update_fields or ()) != {"last_login"}:
        forget_users([instance.pk])


def on_membership_change(sender, instance, **kwargs) -> None:
    forget_users([instance.user_id])


def on_api_client_change(sender, instance, **kwargs) -> None:
    from oauth2_provider.models import get_access_token_model

    forget_users([instance.service_user_id])
    # Its application's tokens by the application itself: once the client row is deleted (the admin can),
    # the join through it finds none, and a cached token would still name the client.
    forget(
        BEARER,
        _bearer_digests(get_access_token_model().objects.filter(application_id=instance.application_id)),
    )


def on_organisation_change(sender, instance, **kwargs) -> None:
    from .models import Membership

    forget_users(Membership.objects.filter(organisation=instance).values_list("user_id", flat=True))
