"""A cache of the API's most frequent public reads (vehicle-model pages, a model's current footprint), keyed
by a data version that every change to what they show moves.

Footprint totals are public and change only when a rollup writes new revisions, or when a vehicle model or
an organisation (its name) changes; between those, every carmaker polling the same page gets the same
answer. Each cached answer is stored with the data version current when it was built, and a change sets
a new version once committed, so the next read misses and rebuilds from the database: nothing is served
stale after the change is visible, whichever process wrote it. The version lives in the shared cache
(Redis), which is why the cache is on only when CACHE_URL names one (settings.API_READ_CACHE); a
per-process cache could not see another process's change.

Writers move the version: `footprints_write` after each committed batch (it writes with COPY, which fires
no signals), and the post_save/post_delete signals of VehicleModel, Organisation and Footprint (the admin,
the shell, the tests) -- see accounting/apps.py. Only answers are cached here; who the caller is comes
from authentication first (tenancy/credential_cache.py, which every revocation reaches), and the key
names the audience the answer is for.
"""

import hashlib
import json
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .cache import UNREACHABLE

logger = logging.getLogger(__name__)

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


def cached(parts: tuple, build: Callable[[], object]) -> bytes:
    """`build()`'s answer (data a DRF serializer returns) rendered as the API's JSON, for these key parts
    under the current data version. An exception in `build` (a 404, say) propagates and nothing is stored.

    One round trip to the cache: the entry is stored with the version it was built under, and read in the
    same MGET as the current version; an entry of an older version is rebuilt and overwritten. The entry is
    the rendered body, so a hit neither unpickles the data nor encodes it again."""
    key = "read-cache:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or data_version()
    except UNREACHABLE:
        logger.warning("Read cache unreachable: answering from the database", exc_info=True)
        return JSONRenderer().render(build())
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    body = JSONRenderer().render(build())
    try:
        cache.set(key, (version, body), TIMEOUT_S)
    except UNREACHABLE:
        logger.warning("Read cache unreachable: nothing stored", exc_info=True)
    return body


def cached_response(request, parts: tuple, build: Callable[[], object]) -> HttpResponseBase:
    """The answer to a read through the cache: the cached JSON body as it is when the client takes plain
    JSON (what DRF's JSONRenderer would send), else the data for the negotiated renderer (the browsable
    API, an indented JSON). Straight from `build()` when the cache is off."""
    if not enabled():
        return Response(build())
    body = cached(parts, build)
    renderer = request.accepted_renderer
    if type(renderer) is JSONRenderer and request.accepted_media_type == renderer.media_type:
        return HttpResponse(body, content_type=renderer.media_type)
    return Response(json.loads(body))
