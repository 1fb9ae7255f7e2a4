"""Settings for the test suite: the real settings with a test-only key and fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-0123456789")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False  # the test client speaks plain http unless told otherwise
SECURE_PROXY_SSL_HEADER = None

# Unit tests run tasks in-process even when CI provides a broker; the real-worker integration test
# switches this off for its own duration.
CELERY_TASK_ALWAYS_EAGER = True

# Each process's own memory: tests clear the cache between them, which must never flush a shared Redis
# (the broker's). The read cache is switched on by the tests that test it.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
API_READ_CACHE = False
API_CREDENTIAL_CACHE = False
