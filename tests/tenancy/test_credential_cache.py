"""The shared cache of who an API credential is (carbon_platform/tenancy/credential_cache.py): a repeated
request reads no credential table, and everything that revokes or re-scopes a credential is seen by the
very next request, whichever way it happens."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from carbon_platform.tenancy import credential_cache, services
from carbon_platform.tenancy.models import Membership
from tests.factories import BomLineFactory, VehicleModelFactory

from .conftest import bearer

CREDENTIAL_TABLES = ("authtoken_token", "oauth2_provider_accesstoken", "auth_user", "tenancy_membership")


@pytest.fixture(autouse=True)
def credential_cache_on(settings):
    settings.API_CREDENTIAL_CACHE = True
    cache.clear()
    credential_cache._local.clear()
    yield
    cache.clear()
    credential_cache._local.clear()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what a block leaves for its transaction's commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def own_model(actors, materials):
    """A vehicle model of carmaker A: its BOM answers 200 to A's members only (404 to other carmakers)."""
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=materials["steel.hot_rolled_coil"], mass_kg="10")
    return vehicle


def personal(user) -> tuple[APIClient, Token]:
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, token


def credential_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if any(table in q["sql"] for table in CREDENTIAL_TABLES)]


def bom_url(vehicle) -> str:
    return f"/api/v1/vehicle-models/{vehicle.id}/bom/"


def warm(client, vehicle) -> None:
    """Two reads: the first stores the identity in the shared cache, the second reads it there and this
    process remembers it, so a revocation must reach both."""
    for _ in range(2):
        assert client.get(bom_url(vehicle)).status_code == 200
    assert credential_cache._local


def test_a_repeated_request_reads_no_credential_table(actors, own_model):
    client, _token = personal(actors.carmaker_a)
    with CaptureQueriesContext(connection) as first:
        assert client.get(bom_url(own_model)).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(bom_url(own_model)).status_code == 200
    assert credential_queries(first.captured_queries)
    assert credential_queries(second.captured_queries) == []


def test_the_cache_holds_a_digest_of_the_token_never_the_token(actors, own_model):
    client, token = personal(actors.carmaker_a)
    warm(client, own_model)
    stored = dict(cache._cache)  # the local-memory backend's own store: key -> pickled value
    assert any(credential_cache.personal_digest(token.key) in key for key in stored)
    assert not any(token.key in key for key in stored)
    assert not any(token.key.encode() in value for value in stored.values())
    assert not any(token.key.encode() in held for _deadline, held in credential_cache._local.values())
    assert cache.get(next(key for key in stored if "credential:" in key).split(":", 2)[2]).user_id == (
        actors.carmaker_a.pk
    )


def test_a_revoked_personal_token_is_refused_at_once(actors, own_model, on_commit):
    client, token = personal(actors.carmaker_a)
    warm(client, own_model)
    with on_commit():
        services.personal_token_revoke(token=token, actor=actors.carmaker_a)
    response = client.get(bom_url(own_model))
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_deactivated_user_is_refused_at_once(actors, own_model, on_commit):
    client, _token = personal(actors.carmaker_a)
    warm(client, own_model)
    with on_commit():
        actors.carmaker_a.is_active = False
        actors.carmaker_a.save()
    response = client.get(bom_url(own_model))
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_signing_in_keeps_the_entry(actors, own_model, on_commit):
    """Saving last_login (every sign-in) changes nothing a credential stands for."""
    client, token = personal(actors.carmaker_a)
    client.get(bom_url(own_model))
    with on_commit():
        actors.carmaker_a.save(update_fields=["last_login"])
    assert cache.get(f"credential:personal:{credential_cache.personal_digest(token.key)}") is not None


def test_a_user_moved_to_another_organisation_acts_for_the_new_one_at_once(actors, own_model, on_commit):
    client, _token = personal(actors.carmaker_a)
    warm(client, own_model)
    with on_commit():
        membership = Membership.objects.get(user=actors.carmaker_a)
        membership.organisation = actors.carmaker_b.membership.organisation
        membership.save()
    assert client.get(bom_url(own_model)).status_code == 404


def test_a_deleted_membership_leaves_no_organisation_at_once(actors, own_model, on_commit):
    client, _token = personal(actors.carmaker_a)
    warm(client, own_model)
    with on_commit():
        Membership.objects.filter(user=actors.carmaker_a).delete()
    assert client.get(bom_url(own_model)).status_code == 403


def test_an_organisation_changed_is_read_again_for_its_members(actors, own_model, on_commit):
    client, _token = personal(actors.carmaker_a)
    warm(client, own_model)
    with on_commit():
        organisation = actors.carmaker_a.membership.organisation
        organisation.kind = "supplier"
        organisation.save()
    assert client.get(bom_url(own_model)).status_code == 403


def test_a_revoked_api_client_is_refused_at_once(actors, own_model, client_of, on_commit):
    credentials = client_of(actors.carmaker_a.membership.organisation, "read")
    api = credentials.api()
    assert api.get(bom_url(own_model)).status_code == 200
    with CaptureQueriesContext(connection) as repeated:
        assert api.get(bom_url(own_model)).status_code == 200
    assert credential_queries(repeated.captured_queries) == []
    with on_commit():
        services.api_client_revoke(api_client=credentials.api_client)
    response = api.get(bom_url(own_model))
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token is not valid."


def test_a_deleted_access_token_is_refused_at_once(actors, own_model, client_of, on_commit):
    credentials = client_of(actors.carmaker_a.membership.organisation, "read")
    token = credentials.token()
    warm(bearer(token), own_model)
    with on_commit():
        AccessToken.objects.get(application=credentials.api_client.application).delete()
    assert bearer(token).get(bom_url(own_model)).status_code == 401


def test_a_cached_access_token_still_expires_on_time(actors, own_model, client_of):
    credentials = client_of(actors.carmaker_a.membership.organisation, "read")
    token = credentials.token()
    assert bearer(token).get(bom_url(own_model)).status_code == 200
    key = f"credential:bearer:{AccessToken.objects.get().token_checksum}"
    entry = cache.get(key)
    entry.expires = entry.expires.replace(year=2000)  # as if the hour had passed since it was cached
    cache.set(key, entry)
    response = bearer(token).get(bom_url(own_model))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_read_that_began_before_a_revocation_cannot_put_the_old_identity_back(actors, on_commit):
    """A request finds no entry and loads the token from the database; before it stores what it read, the
    token's revocation commits. The revocation's tombstone wins: what the request read is not stored, and
    the next request reads the database (and finds nothing)."""
    _client, token = personal(actors.carmaker_a)
    digest = credential_cache.personal_digest(token.key)

    def load_then_revoked():
        stale = Token.objects.select_related("user").get(pk=token.pk)
        with on_commit():
            Token.objects.filter(pk=token.pk).delete()
        return stale

    assert credential_cache.lookup(credential_cache.PERSONAL, digest, load_then_revoked).key == token.key
    assert credential_cache.lookup(credential_cache.PERSONAL, digest, lambda: None) is None
    # and while the tombstone lasts, a load is not stored either
    assert credential_cache.lookup(credential_cache.PERSONAL, digest, lambda: token) is token
    assert cache.get(f"credential:personal:{digest}") == credential_cache.TOMBSTONE


def test_unknown_tokens_are_not_cached(actors):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/materials/").status_code == 401
    assert not [key for key in cache._cache if "credential:" in key]


def test_off_without_a_shared_cache(settings, actors, own_model):
    settings.API_CREDENTIAL_CACHE = False
    client, _token = personal(actors.carmaker_a)
    client.get(bom_url(own_model))
    with CaptureQueriesContext(connection) as second:
        assert client.get(bom_url(own_model)).status_code == 200
    assert credential_queries(second.captured_queries)


def test_each_request_gets_instances_of_its_own(actors):
    _client, token = personal(actors.carmaker_a)
    digest = credential_cache.personal_digest(token.key)

    def lookup():
        return credential_cache.lookup(credential_cache.PERSONAL, digest, lambda: None)

    credential_cache.lookup(credential_cache.PERSONAL, digest, lambda: Token.objects.get(pk=token.pk))
    first = lookup()  # from the shared cache, remembered by this process
    first.user.first_name = "changed by one request"
    second, third = lookup(), lookup()  # from this process's memory
    assert second.user_id == third.user_id == actors.carmaker_a.pk
    assert second is not third and second.user is not first.user
    assert second.user.first_name != "changed by one request"


def test_another_process_revocation_is_seen_within_the_local_second(actors, own_model, monkeypatch):
    """A revocation committed by another process reaches this one through the shared cache's tombstone;
    what this process remembers lasts API_CREDENTIAL_LOCAL_S (1 s), then the tombstone is read."""
    clock = [1000.0]
    monkeypatch.setattr(credential_cache.time, "monotonic", lambda: clock[0])
    client, token = personal(actors.carmaker_a)
    assert client.get(bom_url(own_model)).status_code == 200  # stored in the shared cache
    assert client.get(bom_url(own_model)).status_code == 200  # read from it, and remembered here
    # The other process: its revocation committed there, so only the shared cache hears of it.
    Token.objects.filter(pk=token.pk).delete()
    cache.set(
        f"credential:personal:{credential_cache.personal_digest(token.key)}", credential_cache.TOMBSTONE
    )
    clock[0] += 0.5
    assert client.get(bom_url(own_model)).status_code == 200  # still within this process's second
    clock[0] += 0.6
    assert client.get(bom_url(own_model)).status_code == 401


def test_no_local_memory_when_set_to_zero(settings, actors, own_model):
    settings.API_CREDENTIAL_LOCAL_S = 0
    client, token = personal(actors.carmaker_a)
    client.get(bom_url(own_model))
    client.get(bom_url(own_model))
    assert credential_cache._local == {}
    Token.objects.filter(pk=token.pk).delete()
    cache.set(
        f"credential:personal:{credential_cache.personal_digest(token.key)}", credential_cache.TOMBSTONE
    )
    assert client.get(bom_url(own_model)).status_code == 401


def test_the_database_answers_when_the_shared_cache_is_unreachable(actors, own_model, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    client, _token = personal(actors.carmaker_a)
    monkeypatch.setattr(cache, "get", unreachable)
    assert client.get(bom_url(own_model)).status_code == 200
    monkeypatch.undo()
    monkeypatch.setattr(cache, "add", unreachable)
    assert client.get(bom_url(own_model)).status_code == 200


def test_an_api_client_deleted_in_the_admin_is_refused_at_once(actors, own_model, client_of, on_commit):
    """The operator can delete the ApiClient row alone (its application and tokens stay): the tokens no
    longer belong to a client and are refused, cached or not."""
    from carbon_platform.tenancy.models import ApiClient

    credentials = client_of(actors.carmaker_a.membership.organisation, "read")
    api = credentials.api()
    warm(api, own_model)
    with on_commit():
        ApiClient.objects.filter(pk=credentials.api_client.pk).delete()
    response = api.get(bom_url(own_model))
    assert response.status_code == 401
    assert (
        response.json()["detail"] == "The access token does not belong to an API client of an organisation."
    )


def test_a_lookup_that_began_before_a_mark_in_this_process_is_not_remembered(actors, monkeypatch):
    """Another thread of this process marks the token while this lookup reads the shared cache: the old
    entry it read is answered once, but not kept for the next second."""
    _client, token = personal(actors.carmaker_a)
    digest = credential_cache.personal_digest(token.key)
    key = f"credential:personal:{digest}"
    credential_cache.lookup(credential_cache.PERSONAL, digest, lambda: Token.objects.get(pk=token.pk))
    read = cache.get

    def read_then_marked(name, *args, **kwargs):
        entry = read(name, *args, **kwargs)
        credential_cache._bury([key])
        return entry

    monkeypatch.setattr(cache, "get", read_then_marked)
    credential_cache.lookup(credential_cache.PERSONAL, digest, lambda: None)
    assert key not in credential_cache._local
