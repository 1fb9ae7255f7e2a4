"""A cache of the API's most frequent public reads (vehicle-model pages, a model's current footprint), keyed
by a data version that every change to what they show moves.

Footprint totals are public and change only when a rollup writes new revisions, or when a vehicle model or
an organisation (its name) changes; between those, every carmaker polling the same page gets the same
answer. Each cached answer is stored under the current data version, and a change sets a new version once
committed, so the next read misses and rebuilds from the database: nothing is served stale after the
change is visible, whichever process wrote it. The version lives in the shared cache (Redis), which is why
the cache is on only when CACHE_URL names one (settings.API_READ_CACHE); a per-process cache could not
see another process's change.

Writers move the version: `footprints_write` after each committed batch (it writes with COPY, which fires
no signals), and the post_save/post_delete signals of VehicleModel, Organisation and Footprint (the admin,
the shell, the tests) -- see accounting/apps.py. Credentials are never cached: every request is
authenticated against the database, and only then looks here.
"""

import hashlib
import json
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from rest_framework.utils.encoders import JSONEncoder

VERSION_KEY = "read-cache:version"
# A bound on an entry's life even without changes, so the cache holds what is being read.
TIMEOUT_S = 600


def enabled() -> bool:
    return getattr(settings, "API_READ_CACHE", False)


def data_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:  # first use, or evicted: every process settles on the first value added
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    cache.set(VERSION_KEY, str(time.time_ns()), None)


def data_changed() -> None:
    """Call where what the cached reads show changes: the new version is set once the change commits."""
    if enabled():
        transaction.on_commit(_bump, robust=True)


def on_model_change(sender, **kwargs) -> None:
    """Receiver of post_save / post_delete of the models the cached reads show."""
    data_changed()


def cached(parts: tuple, build: Callable[[], object]) -> object:
    """`build()`'s answer (JSON-compatible data) for these key parts under the current data version. An
    exception in `build` (a 404, say) propagates and nothing is stored."""
    if not enabled():
        return build()
    key = "read-cache:" + hashlib.sha256(repr((data_version(), *parts)).encode()).hexdigest()
    data = cache.get(key)
    if data is None:
        # Plain JSON types: what DRF serializers return holds references to themselves and Decimals.
        data = json.loads(json.dumps(build(), cls=JSONEncoder))
        cache.set(key, data, TIMEOUT_S)
    return data
