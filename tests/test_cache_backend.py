"""carbon_platform.cache.RedisCache: Django's Redis backend keeping one redis-py client per connection pool
(Django builds a new client, ~0.4 ms of CPU, on every call). Against a real Redis: the broker's server,
a database number of its own."""

import os
from urllib.parse import urlsplit

import pytest

from carbon_platform.cache import RedisCache

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
pytestmark = pytest.mark.skipif(
    not BROKER_URL.startswith("redis://"), reason="needs Redis: CELERY_BROKER_URL is not a Redis URL"
)


@pytest.fixture
def redis_cache():
    url = urlsplit(BROKER_URL)
    backend = RedisCache(f"redis://{url.netloc}/13", {"KEY_PREFIX": "cache-backend-test"})
    yield backend
    backend.clear()
    backend.close()


def test_every_call_reuses_the_client_of_its_pool(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client("any-key") is client
    assert redis_cache._cache.get_client(write=True) is client  # one server: reads and writes share a pool


def test_it_behaves_as_django_redis_backend(redis_cache):
    assert redis_cache.get("absent") is None
    redis_cache.set("a", {"total_kg_co2e": "1.5"}, 30)
    assert redis_cache.add("a", "other", 30) is False
    assert redis_cache.add("b", 2, 30) is True
    assert redis_cache.get_many(["a", "b", "absent"]) == {"a": {"total_kg_co2e": "1.5"}, "b": 2}
    redis_cache.set_many({"c": 3, "d": 4}, 30)
    assert redis_cache.delete("a") is True
    assert redis_cache.get_many(["a", "c", "d"]) == {"c": 3, "d": 4}
