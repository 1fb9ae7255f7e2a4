"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django 5.2's RedisCacheClient.get_client() builds a new `redis.Redis` for every cache call; its constructor
fills a table of ~340 response callbacks, ~0.4 ms of CPU a call, more than the round trip to Redis itself.
The client holds no state of its own besides the pool (which hands out connections per call and is
thread- and fork-safe), so one per pool serves every call. Everything else is Django's backend.
"""

from django.core.cache.backends import redis
from redis.exceptions import RedisError

# What a call to the shared cache raises when Redis cannot be reached or answers an error; callers that can
# do without the cache (the read and credential caches) answer from the database instead.
UNREACHABLE = (RedisError, OSError)


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
