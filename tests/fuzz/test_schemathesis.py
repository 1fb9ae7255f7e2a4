"""Property-based fuzzing of /api/v1/ from its own OpenAPI schema (schemathesis, served at /api/schema/).

Every operation, as a carmaker and as a supplier (personal tokens), against a world that has something for
each to return: no answer may be a 5xx, and every answer must have a status code the schema documents for
the operation and a body that conforms to the schema of that status.

Bounded and reproducible: MAX_EXAMPLES examples per operation and actor in the fuzzing phase (plus the
schema's own examples), derandomised (the same examples on every run) with no example database. Nothing is
skipped: writes and deletes run inside the test's transaction, which is rolled back after each operation.
Path parameters are the ids of real objects most of the time (otherwise a random id only finds 404s).
"""

import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from carbon_platform.wsgi import application

from .conftest import EXAMPLES, STATUSES

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def served_over_https(environ, start_response):
    """The app as production serves it: over TLS, to the test host Django's test environment allows
    (schemathesis's WSGI client asks for http://localhost)."""
    environ["wsgi.url_scheme"] = "https"
    environ["HTTP_HOST"] = "testserver"
    return application(environ, start_response)


# Loaded when the module is collected, before pytest-django's test environment allows "testserver".
with override_settings(ALLOWED_HOSTS=["testserver"]):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", served_over_https)
schema.config.phases.update(phases=["examples", "fuzzing"])  # coverage: unbounded; stateful: not a test here

# The world of the running test: path parameters are drawn from its ids.
_CURRENT: dict = {}


def _ids_for(path: str, name: str) -> list[int]:
    ids = _CURRENT.get("ids", {})
    if name == "subscription_id" or (name == "id" and path.startswith("/api/v1/webhook-subscriptions/{id}")):
        return ids.get("/api/v1/webhook-subscriptions/", [])
    if name == "id" and "/deliveries/" in path:
        return ids.get("deliveries", [])
    for prefix, values in ids.items():
        if path.startswith(prefix):
            return values
    return []


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Three in four examples ask for a real object of the world, the fourth keeps the generated value."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    choices = {}
    for name, value in path_parameters.items():
        real = _ids_for(path, name)
        choices[name] = st.sampled_from([*real * 3, value]) if real else st.just(value)
    return st.fixed_dictionaries(choices)


def _fuzz(case, world, actor):
    _CURRENT["ids"] = world.ids
    # The generated credentials of the schema's security schemes (a random token or session cookie) give way
    # to the actor's real personal token.
    case.headers = {**(case.headers or {}), "Authorization": f"Token {world.tokens[actor]}"}
    if case.cookies:
        case.cookies = {name: value for name, value in case.cookies.items() if name != "sessionid"}
    response = case.call()
    EXAMPLES[f"{actor} {case.operation.method.upper()} {case.operation.path}"] += 1
    STATUSES[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,  # the first request of a test warms caches; time is bounded by max_examples
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, in bounded time
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def fuzz_world(world):
    _CURRENT["ids"] = world.ids
    yield world
    _CURRENT.clear()


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_carmaker(case, fuzz_world):
    _fuzz(case, fuzz_world, "carmaker")


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_supplier(case, fuzz_world):
    _fuzz(case, fuzz_world, "supplier")
