"""Settings, read from the environment (see .env.example); SQLite and in-process tasks by default."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# Placeholders that must never reach production: the one in .env.example and Django's own prefix.
_PLACEHOLDER_SECRET_KEYS = {"", "change-me", "replace-with-a-long-random-string"}
SECRET_KEY = env.str("SECRET_KEY", default="")
if SECRET_KEY in _PLACEHOLDER_SECRET_KEYS or SECRET_KEY.startswith("django-insecure"):
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a long random value when DEBUG is off "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
elif not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY is too short: use at least 32 random characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files: no CDN
    "axes",  # failed-login lockout
    "csp",
    "carbon_platform.tenancy",
    "disclosures",
    "accounting",
    "pact",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # the database unreachable: 503 with Retry-After instead of a 500 (JSON under /api/ and /2/)
    "carbon_platform.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "carbon_platform.urls"
WSGI_APPLICATION = "carbon_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carbon_platform.tenancy.context_processors.organisation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo writes a million BOM lines; WAL and a generous timeout keep the site responsive meanwhile.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (django-axes): after LOGIN_FAILURE_LIMIT failures for one username from one IP address, that
# pair is refused for LOGIN_LOCKOUT_MINUTES, with a message that is the same whether the user exists or not
# (carbon_platform.security.lockout_response). Counted in the database, so every process sees them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "carbon_platform.security.lockout_response"
# Behind proxies of ours (TLS, load balancer), how many: lockouts and rate limits then count the client's
# address from X-Forwarded-For, not the nearest proxy's (carbon_platform.security.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "carbon_platform.security.axes_client_ip"
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lockouts are still logged
# Password reset requests per IP address per hour, and /auth/token requests per client id and per IP
# address per minute (carbon_platform.security.rate_limited, on the Django cache).
PASSWORD_RESET_RATE_PER_HOUR = env.int("PASSWORD_RESET_RATE_PER_HOUR", default=5)
TOKEN_RATE_PER_MINUTE = env.int("TOKEN_RATE_PER_MINUTE", default=20)
PASSWORD_RESET_TIMEOUT = 3600
# Password reset mails: printed to the console in development; set EMAIL_URL (smtp://user:pass@host:587,
# smtp+tls://...) in production. django-environ's URL form.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)  # EMAIL_BACKEND, EMAIL_HOST, ... (django-environ's idiom)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="carbon-platform@localhost")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

REST_FRAMEWORK = {
    # Personal tokens first: a request without credentials is then told so with 401 and
    # `WWW-Authenticate: Token` (SessionAuthentication, if first, would make it 403). OAuth2 client-credentials
    # bearer tokens act as their API client's service user and need the read or write scope for the method.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "carbon_platform.tenancy.authentication.PersonalTokenAuthentication",
        "carbon_platform.tenancy.authentication.ApiClientTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "carbon_platform.api.OrderingFilter",  # DRF's, with the sortable fields in the schema
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "carbon_platform.api.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "carbon_platform.negotiation.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "carbon_platform.openapi.AutoSchema",
}

# OAuth2 client credentials for machine clients (django-oauth-toolkit), with read and write scopes (the values
# of tenancy.choices.ApiScope). An organisation admin grants each API client some of them; /auth/token issues
# what the client asks for within that grant (invalid_scope beyond it), and the whole grant when it names no
# scope (pact.oauth.PactOAuth2Validator), so there are no DEFAULT_SCOPES.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {"read": _("Read footprints and declarations"), "write": _("Submit BOMs and declarations")},
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # RFC 9700 (OAuth 2.0 Security BCP) behaviour now, ahead of django-oauth-toolkit 4.0: tokens stored only
    # as their SHA-256 (a database leak hands out no live token), no implicit or password grant, no token in
    # a query string, https redirect URIs only. Only client credentials are offered anyway (pact.views).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

# OpenAPI 3 schema of /api/v1/ (drf-spectacular): /api/schema/, with Swagger UI and ReDoc from the sidecar's
# static files, so the docs work behind a firewall.
SPECTACULAR_SETTINGS = {
    "TITLE": "Carbon disclosure platform API",
    "DESCRIPTION": (
        "Supplier EPDs, their review, and the per-vehicle-model footprints they roll up into.\n\n"
        "Every resource is scoped by the caller's organisation and its kind (supplier, carmaker, auditor). "
        "Footprint totals and the by-material, by-module and by-level breakdowns of every model are readable "
        "by any signed-in organisation; supplier-level detail (by supplier, contributions, BOM lines, the "
        "supplier rows of the history) only by the carmaker that owns the model and by auditors. Another "
        "organisation's object answers 404, an operation your kind of organisation cannot do 403.\n\n"
        'Errors: a refused business rule answers `{"detail", "field"}`; malformed input answers DRF\'s '
        "`{field: [messages]}`.\n\n"
        "Every list exports as CSV or XLSX: `?format=csv`, `?format=xlsx`, or the `Accept` header; the whole "
        "filtered, sorted list, not one page (at most 100,000 rows).\n\n"
        "Authentication: a browser session; a personal API token (`Authorization: Token <key>`); or, for "
        "machine clients, an OAuth2 client-credentials access token of an organisation's API client "
        "(`Authorization: Bearer <token>`, from `POST /auth/token`). Organisation admins manage API clients "
        "and everyone their personal token at /organisation/api-access/. A bearer token acts for its "
        "client's organisation and needs the `read` scope for GET and the `write` scope for every other "
        "method (403 naming the missing scope); an expired, unknown or revoked token answers 401."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["carbon_platform.openapi.only_api_v1"],
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DeclarationStatusEnum": "disclosures.choices.DeclarationStatus",
        "ImportStatusEnum": "disclosures.choices.ImportStatus",
        "RollupStatusEnum": "accounting.choices.RollupStatus",
        "ProductionRouteEnum": "accounting.choices.ProductionRoute",
        "ProvinceEnum": "carbon_platform.tenancy.choices.Province",
        "DeliveryStatusEnum": "webhooks.choices.DeliveryStatus",
    },
}

# Cache: Redis when CACHE_URL names one (shared by every web and worker process), else this process's memory.
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "carbon_platform.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "carbon",
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Cache the public reads of /api/v1 (vehicle-model pages, current footprints) under a data version that
# every change moves (carbon_platform/read_cache.py); only with a cache every process shares.
API_READ_CACHE = env.bool("API_READ_CACHE", default=bool(CACHE_URL))
# Cache who an API credential is (token -> user, membership, organisation) for up to 60 s; every revocation
# marks its entries on commit (carbon_platform/tenancy/credential_cache.py). Only with a shared cache.
API_CREDENTIAL_CACHE = env.bool("API_CREDENTIAL_CACHE", default=bool(CACHE_URL))
# ...and each process remembers what it read there for this long: a revocation made by another process is
# seen within it (the revoking process sees it at once). 0: every request asks the shared cache.
API_CREDENTIAL_LOCAL_S = env.float("API_CREDENTIAL_LOCAL_S", default=1.0)

# Celery: with no broker URL the tasks run in-process (eager), which is what the one-command demo uses.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
# A full rollup fans out as a chord, whose callback needs a result backend: Redis, as the broker.
CELERY_RESULT_BACKEND = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# Vehicle models per chunk of a rollup run: one Celery task each; a run of one chunk is not fanned out.
ROLLUP_CHUNK_MODELS = env.int("ROLLUP_CHUNK_MODELS", default=1000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# PACT v2.3 host (pact/). Its actions are offered over https only: plain http requests get an error.
PACT_REQUIRE_HTTPS = env.bool("PACT_REQUIRE_HTTPS", default=not DEBUG)
# The domain in the URNs this platform issues for companies and products (urn:pact:<domain>:...): set it
# to the platform's own domain before exchanging footprints, and keep it, as partners store those ids.
PACT_URN_DOMAIN = env.str("PACT_URN_DOMAIN", default="carbon-platform.example")
# Partner hosts are called over https; plain http only for local tests against a stand-in host.
PACT_ALLOW_HTTP_PARTNERS = env.bool("PACT_ALLOW_HTTP_PARTNERS", default=False)

# Carmaker webhooks (webhooks/): sent over https to public hosts only. Plain http and loopback or private
# addresses only for local tests against a stand-in endpoint. Timeouts bound every attempt.
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOKS_CONNECT_TIMEOUT_S = env.float("WEBHOOKS_CONNECT_TIMEOUT_S", default=5.0)
WEBHOOKS_READ_TIMEOUT_S = env.float("WEBHOOKS_READ_TIMEOUT_S", default=10.0)

# Behind a TLS-terminating proxy (nginx, Caddy, a load balancer): trust its X-Forwarded-Proto to know a
# request came in over https, and with USE_X_FORWARDED_HOST its X-Forwarded-Host for absolute URLs (PACT
# pagination links must name the host the client called). Only when the proxy sets or strips these headers.
if env.bool("TRUST_X_FORWARDED_PROTO", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
USE_X_FORWARDED_PORT = env.bool("USE_X_FORWARDED_PORT", default=False)
# Redirect plain http to https (usually the proxy's job); PACT paths answer with an error instead, as the
# spec wants http refused rather than followed.
# The health check is exempt too: load balancers and the compose health check probe it over plain http.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^auth/token$", r"^\.well-known/", r"^2/", r"^healthz$"]
# HSTS (sent on https responses only): a year by default in production. Preload only once every subdomain
# is served over https, as the preload list is hard to leave.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content Security Policy (django-csp): our own scripts and styles only, no inline ones (page scripts live in
# static/js/). The API docs pages relax it for themselves (carbon_platform/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
