"""The access matrix of every URL that is not under /api/v1/ (tests/api/test_access_matrix.py covers those),
generated from the URL configuration: the browser pages of disclosures, accounting, webhooks and API access,
home, the health check, login and logout, set-language, the PACT host, the OpenAPI schema and its viewers,
and the Django admin, each with GET and POST against both suppliers, both carmakers, an admin of each
carmaker, an auditor, a user of no organisation, the operator (a superuser) and anonymous.

Every answer is pinned to one outcome: a status code, or for a redirect "302 <url name it points to>" (so
"302 login" is the login page). The scenario gives the "A" side (Supplier A, Carmaker A) an object for every
URL parameter, each carrying a marker; an answer to anyone who may not see an object must not contain its
marker (body, Location or Content-Disposition), and secrets (API client secrets, personal token keys,
webhook signing keys) appear in no answer at all. The owners' answers must show their markers, so the leak
check cannot pass by showing nothing. Every actor's request runs in a savepoint rolled back afterwards;
a refused POST (403, 404, 405, 400, a redirect to a login page, a PACT error) must have changed nothing.

A new URL fails here until it has a way to fill its URL (KWARGS) and an expectation for every actor
(EXPECTED); admin URLs are expected generically from their ModelAdmin."""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.contrib.admin import ModelAdmin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken
from rest_framework.authtoken.models import Token

from accounting.bom_imports import bom_import
from accounting.models import BomLine, DefaultFactor, Footprint, RollupRun, VehicleModel
from carbon_platform.tenancy.models import ApiClient, AuditEvent, Membership, Organisation
from carbon_platform.tenancy.services import api_client_create, audit_record
from disclosures.models import Declaration, ImportBatch, Plant, Product, Review
from disclosures.services import import_batch_create
from pact import selectors as pact_selectors
from pact.models import FootprintRequest, InboundEvent, Partner, ProductFootprintId
from tests.api.lists import _walk, api_routes, contribution, footprint
from tests.api.test_access_matrix import bom_import_file, declaration_import_csv
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    DeliveryFactory,
    OrganisationFactory,
    PlantFactory,
    ProductFactory,
    SubscriptionFactory,
    UserFactory,
    VehicleModelFactory,
)
from webhooks.models import Delivery, Subscription

# --- who asks ------------------------------------------------------------------------------------------

ADMIN_A = "carmaker_a_admin"  # Membership.role "admin" of Carmaker A
ADMIN_B = "carmaker_b_admin"  # ... of Carmaker B: an organisation admin of the other side
ACTORS = (
    "supplier_a",
    "supplier_b",
    "carmaker_a",
    ADMIN_A,
    "carmaker_b",
    ADMIN_B,
    "auditor",
    "outsider",  # signed in, of no organisation
    "operator",  # superuser and staff, member of an organisation of kind "operator"
    "anonymous",
)
SIGNED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
GROUPS = {
    "suppliers": ("supplier_a", "supplier_b"),
    "carmakers": ("carmaker_a", ADMIN_A, "carmaker_b", ADMIN_B),
    "owner_carmaker": ("carmaker_a", ADMIN_A),
    "other_carmaker": ("carmaker_b", ADMIN_B),
    "signed_in": SIGNED_IN,
    "organisations": tuple(actor for actor in SIGNED_IN if actor != "outsider"),
}
PASSWORD = "pw"  # tests.factories.UserFactory

# --- the markers of the A side, and who may read each ------------------------------------------------

DRAFT = "SECRET-DRAFT-A"  # registration number of Supplier A's draft
SUBMITTED = "SECRET-SUBMITTED-A"
APPROVED = "SECRET-APPROVED-A"  # used by Carmaker A's footprint
SUPPLIER_NAME = "SECRET-SUPPLIER-A"  # Supplier A's name, in the contributions of Carmaker A's footprint
BOM = "SECRET-BOM-A"  # components of Carmaker A's BOM
PLANT = "SECRET-PLANT-A"
PRODUCT = "SECRET-PRODUCT-A"
IMPORT = "SECRET-IMPORT-A"  # file name of Supplier A's import batch
AUDIT = "SECRET-AUDIT-A"  # only in an audit event of Supplier A (a value its draft had before an edit)
HOOK = "SECRET-HOOK-A"  # target URL and description of Carmaker A's webhook subscription
DELIVERY = "SECRET-DELIVERY-A"  # payload of a delivery to it
HOOK_B = "SECRET-HOOK-B"
CLIENT = "SECRET-CLIENT-A"  # name of Carmaker A's API client
CLIENT_B = "SECRET-CLIENT-B"
SIGNING_KEY = "SECRET-SIGNING-KEY-A-0123456789abcdef"
# Secrets made by the scenario (random): API client secrets and personal token keys, filled in by it.
SECRETS: dict[str, str] = {}

OPERATOR_TOO = {"operator"}  # the operator's admin shows every organisation's data, never a secret
VISIBLE_TO = {
    DRAFT: {"supplier_a", *OPERATOR_TOO},
    SUBMITTED: {"supplier_a", "auditor", *OPERATOR_TOO},
    APPROVED: {"supplier_a", "auditor", "carmaker_a", ADMIN_A, *OPERATOR_TOO},
    SUPPLIER_NAME: {"supplier_a", "auditor", "carmaker_a", ADMIN_A, *OPERATOR_TOO},
    BOM: {"auditor", "carmaker_a", ADMIN_A, *OPERATOR_TOO},
    PLANT: {"supplier_a", "auditor", *OPERATOR_TOO},
    PRODUCT: {"supplier_a", "auditor", "carmaker_a", ADMIN_A, *OPERATOR_TOO},
    IMPORT: {"supplier_a", *OPERATOR_TOO},
    AUDIT: {"supplier_a", "auditor", *OPERATOR_TOO},
    HOOK: {"carmaker_a", ADMIN_A, *OPERATOR_TOO},
    DELIVERY: {"carmaker_a", ADMIN_A, *OPERATOR_TOO},
    HOOK_B: {"carmaker_b", ADMIN_B, *OPERATOR_TOO},
    CLIENT: {ADMIN_A, *OPERATOR_TOO},
    CLIENT_B: {ADMIN_B, *OPERATOR_TOO},
    SIGNING_KEY: set(),
}


# Where one URL may show a marker to more actors than VISIBLE_TO says: (url key, marker) -> those actors.
ALSO_VISIBLE = {
    # the PF of a declaration says where the product is made ("made at <plant>"): PACT shares it with the
    # carmaker buying the product, and the list shows it to whoever may read the PF
    ("pact:footprint", PLANT): {"carmaker_a", ADMIN_A},
    ("pact:footprints", PLANT): {"carmaker_a", ADMIN_A},
}


def forbidden_markers(actor: str, key: str = "") -> list[str]:
    markers = [
        marker
        for marker, readers in VISIBLE_TO.items()
        if actor not in readers and actor not in ALSO_VISIBLE.get((key, marker), ())
    ]
    return markers + list(SECRETS.values())


# --- the routes ----------------------------------------------------------------------------------------

API_PREFIX = "api/v1/"
_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def all_routes() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def page_routes() -> dict[str, tuple[str, URLPattern]]:
    """key -> (route, pattern) of every URL not under /api/v1/; the key is the namespaced URL name, or
    the route itself for the few unnamed ones (the admin's object redirect and catch-all)."""
    routes = {}
    for route, pattern in all_routes():
        if route.lstrip("^").startswith(API_PREFIX):
            continue
        routes.setdefault(url_key(route, pattern), (route, pattern))
    return routes


def url_key(route: str, pattern: URLPattern) -> str:
    if pattern.name is None:
        return route
    namespace = _NAMESPACES.get(route, "")
    return f"{namespace}:{pattern.name}" if namespace else pattern.name


def _namespaces() -> dict[str, str]:
    found = {}

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, route, inner)
            else:
                found[route] = namespace

    walk(get_resolver().url_patterns, "", "")
    return found


_NAMESPACES = _namespaces()
ROUTES = page_routes()


def route_parameters(route: str) -> set[str]:
    return {a or b for a, b in _PARAMETER.findall(route)}


def is_admin(key: str) -> bool:
    return ROUTES[key][0].startswith("admin/")


def is_pact(key: str) -> bool:
    return key.startswith("pact:")


# --- the scenario --------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Scenario:
    users: dict
    objects: dict  # what the URL kwargs and admin object pages are filled from
    pact_credentials: dict  # actor -> (client_id, secret) of a read-only API client of its organisation
    bearer: dict  # actor -> access token of that client


def _token(client_id: str, secret: str) -> str:
    response = Client().post(
        "/auth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def scenario(actors, materials, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PACT_REQUIRE_HTTPS = True
    SECRETS.clear()
    coil = materials["steel.hot_rolled_coil"]
    supplier_a = actors.supplier_a.membership.organisation
    supplier_a.name = f"{SUPPLIER_NAME} Steel"  # "Supplier A" is also an example of the OpenAPI schema
    supplier_a.save()
    carmaker_a = actors.carmaker_a.membership.organisation
    carmaker_b = actors.carmaker_b.membership.organisation
    users = {name: getattr(actors, name) for name in ACTORS if hasattr(actors, name)}
    users[ADMIN_A] = UserFactory(username=ADMIN_A, organisation=carmaker_a, organisation__role="admin")
    users[ADMIN_B] = UserFactory(username=ADMIN_B, organisation=carmaker_b, organisation__role="admin")
    operator_org = OrganisationFactory(name="Operator", kind="operator")
    users["operator"] = UserFactory(username="operator", organisation=operator_org)
    users["operator"].is_staff = users["operator"].is_superuser = True
    users["operator"].save()
    users["anonymous"] = None

    plant = PlantFactory(supplier=supplier_a, name=PLANT)
    product = ProductFactory(supplier=supplier_a, plant=plant, material=coil, name=PRODUCT)
    now = timezone.now()
    approved = DeclarationFactory(
        product=product,
        plant=plant,
        status="approved",
        registration_number=APPROVED,
        submitted_at=now - timedelta(days=3),
        decided_at=now - timedelta(days=2),
    )
    approved.document.save("approved.pdf", ContentFile(PDF))
    submitted = DeclarationFactory(
        product=product,
        status="submitted",
        registration_number=SUBMITTED,
        submitted_at=now,
        programme_operator="EPD China",
    )
    # The only trace of AUDIT: the "before" of an edit on the audit trail of the submitted declaration.
    audit = audit_record(
        actor=actors.supplier_a,
        organisation=supplier_a,
        action="updated",
        obj=submitted,
        before={"programme_operator": AUDIT},
        after={"programme_operator": "EPD China"},
    )
    draft = DeclarationFactory(product=product, status="draft", registration_number=DRAFT)
    draft.document.save("draft.pdf", ContentFile(PDF))
    review = Review.objects.create(
        declaration=approved,
        reviewer=actors.auditor,
        reviewer_organisation=actors.auditor.membership.organisation,
        decision="approve",
    )

    vehicle = VehicleModelFactory(carmaker=carmaker_a, brand="Qilin")
    imported = bom_import(
        actor=actors.carmaker_a,
        upload=bom_import_file(vehicle, product, component=f"{BOM} rail", name="bom-a.csv"),
    )
    BomLineFactory(vehicle_model=vehicle, material=coil, component=f"{BOM} bracket")  # no supplier
    first = footprint(
        vehicle,
        revision=1,
        is_current=False,
        run=RollupRun.objects.get(pk=imported.rollup_run_id),
        total="210",
    )
    contribution(first, coil, supplier=supplier_a, kg="210", level=3)
    run = RollupRun.objects.create(
        trigger="declaration_approved", trigger_object=f"declaration:{approved.pk}"
    )
    current = footprint(vehicle, revision=2, run=run, total="190", by_supplier={str(supplier_a.pk): 190.0})
    contribution(current, coil, supplier=supplier_a, declaration=approved, kg="190")

    batch = import_batch_create(
        actor=actors.supplier_a, upload=SimpleUploadedFile(f"{IMPORT}.csv", declaration_import_csv(product))
    )
    assert batch.status == "validated", batch.records

    subscription = SubscriptionFactory(
        organisation=carmaker_a,
        created_by=actors.carmaker_a,
        target_url=f"https://hooks.carmaker-a.example/{HOOK}",
        description=f"{HOOK} alerts",
        secret=SIGNING_KEY,
    )
    delivery = DeliveryFactory(
        subscription=subscription,
        status="failed",
        attempts=8,
        next_attempt_at=None,
        finished_at=now,
        payload={"type": "webhook.test", "data": {"message": DELIVERY}},
    )
    subscription_b = SubscriptionFactory(
        organisation=carmaker_b, created_by=actors.carmaker_b, target_url=f"https://hooks.b.example/{HOOK_B}"
    )

    api_client, secret = api_client_create(
        organisation=carmaker_a, name=CLIENT, scopes=["read", "write"], actor=users[ADMIN_A]
    )
    _client_b, secret_b = api_client_create(
        organisation=carmaker_b, name=CLIENT_B, scopes=["read"], actor=users[ADMIN_B]
    )
    SECRETS.update(client_secret_a=secret, client_secret_b=secret_b)
    for name in ("supplier_a", "carmaker_a", "carmaker_b"):
        SECRETS[f"token_{name}"] = Token.objects.create(user=users[name]).key

    # PACT: a read-only API client of each organisation, and a token of it for each of its actors.
    credentials, bearer = {}, {}
    for actor in ACTORS:
        user = users[actor]
        organisation = getattr(getattr(user, "membership", None), "organisation", None)
        if organisation is None:
            continue
        known = next(
            (c for a, c in credentials.items() if users[a].membership.organisation == organisation), None
        )
        if known is None:
            pact_client, pact_secret = api_client_create(
                organisation=organisation, name=f"{organisation.name} PACT", scopes=["read"]
            )
            known = (pact_client.application.client_id, pact_secret)
            SECRETS[f"pact_secret_{actor}"] = pact_secret
        credentials[actor] = known
        bearer[actor] = _token(*known)
        SECRETS[f"bearer_{actor}"] = bearer[actor]
    first_page = pact_selectors.footprint_page(  # gives the Active PFs their PACT ids
        organisation=supplier_a, conditions=[], as_of=timezone.now(), limit=100
    )
    declaration_pf = ProductFootprintId.objects.get(declaration=approved).pf_id
    vehicle_pf = ProductFootprintId.objects.get(footprint=current).pf_id
    assert first_page.pfs

    # What the admin's object pages of the other registered models need.
    partner = Partner.objects.create(
        organisation=carmaker_b,
        name="Partner host",
        base_url="https://partner.example",
        client_id="partner",
        client_secret="partner-secret",
    )
    inbound = InboundEvent.objects.create(
        organisation=carmaker_b,
        application=Application.objects.filter(api_client__organisation=carmaker_b).first(),
        type="org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1",
        event_id=str(uuid.uuid4()),
        source="//partner.example/2/events",
        data={},
    )
    footprint_request = FootprintRequest.objects.create(
        event=inbound, partner=partner, reply_source="//testserver/2/events"
    )
    application = api_client.application
    grant = Grant.objects.create(
        user=users[ADMIN_A],
        application=application,
        code="grant-code",
        expires=now + timedelta(minutes=5),
        redirect_uri="https://app.example/cb",
    )
    id_token = IDToken.objects.create(
        user=users[ADMIN_A], application=application, expires=now + timedelta(hours=1)
    )
    access_token = AccessToken.objects.filter(application=application).first() or AccessToken.objects.create(
        user=api_client.service_user,
        application=application,
        token="scenario-access-token",
        expires=now + timedelta(hours=1),
        scope="read",
    )
    refresh_token = RefreshToken.objects.create(
        user=api_client.service_user, application=application, token="refresh", access_token=access_token
    )
    group = Group.objects.create(name="Operators")

    objects = {
        "plant": plant,
        "product": product,
        "draft": draft,
        "submitted": submitted,
        "approved": approved,
        "vehicle_model": vehicle,
        "footprint": current,
        "run": run,
        "batch": batch,
        "subscription": subscription,
        "delivery": delivery,
        "subscription_b": subscription_b,
        "api_client": api_client,
        "tokens_of": users["carmaker_a"].pk,
        # a member of Supplier A who never signs in here (signing in would void the link)
        "resetting": UserFactory(
            username="forgetful", email="forgetful@example.com", organisation=supplier_a
        ),  # a member of Carmaker A with a personal token
        "declaration_pf": declaration_pf,
        "vehicle_pf": vehicle_pf,
        # admin object pages, by model label
        "auth.group": group,
        "auth.user": actors.supplier_a,
        "oauth2_provider.application": application,
        "oauth2_provider.accesstoken": access_token,
        "oauth2_provider.grant": grant,
        "oauth2_provider.idtoken": id_token,
        "oauth2_provider.refreshtoken": refresh_token,
        "tenancy.organisation": supplier_a,
        "tenancy.membership": actors.supplier_a.membership,
        "tenancy.apiclient": api_client,
        "tenancy.auditevent": audit,
        "disclosures.plant": plant,
        "disclosures.product": product,
        "disclosures.declaration": draft,
        "disclosures.review": review,
        "disclosures.importbatch": batch,
        "accounting.material": coil,
        "accounting.defaultfactor": DefaultFactor.objects.filter(material=coil).order_by("id").first(),
        "accounting.vehiclemodel": vehicle,
        "accounting.footprint": current,
        "accounting.rolluprun": run,
        "pact.partner": partner,
        "pact.inboundevent": inbound,
        "pact.footprintrequest": footprint_request,
        "pact.productfootprintid": ProductFootprintId.objects.get(declaration=approved),
        "webhooks.subscription": subscription,
        "webhooks.delivery": delivery,
    }
    objects.update(_axes_objects())
    cache.clear()  # the token requests above count against the token endpoint's rate limit
    return Scenario(users=users, objects=objects, pact_credentials=credentials, bearer=bearer)


def _axes_objects() -> dict:
    """An object of each django-axes model (failed-login lockout), whose admin pages are the operator's."""
    if not apps.is_installed("axes"):
        return {}
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    facts = {
        "user_agent": "test",
        "ip_address": "127.0.0.1",
        "username": "supplier_a",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
        "attempt_time": timezone.now(),
    }
    return {
        "axes.accessattempt": AccessAttempt.objects.create(
            **facts, get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**facts),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**facts),
    }


# --- filling each URL ----------------------------------------------------------------------------------

KWARGS = {
    "password_reset_confirm": lambda o: {
        "uidb64": urlsafe_base64_encode(force_bytes(o["resetting"].pk)),
        "token": default_token_generator.make_token(o["resetting"]),
    },
    "disclosures:declaration-detail": lambda o: {"pk": o["draft"].pk},
    "disclosures:declaration-edit": lambda o: {"pk": o["draft"].pk},
    "disclosures:declaration-submit": lambda o: {"pk": o["draft"].pk},
    "disclosures:declaration-new-version": lambda o: {"pk": o["approved"].pk},
    "disclosures:declaration-withdraw": lambda o: {"pk": o["approved"].pk},
    "disclosures:declaration-document": lambda o: {"pk": o["draft"].pk},
    "disclosures:declaration-decide": lambda o: {"pk": o["submitted"].pk},
    "disclosures:plant-edit": lambda o: {"pk": o["plant"].pk},
    "disclosures:product-edit": lambda o: {"pk": o["product"].pk},
    "disclosures:import-template": lambda o: {"fmt": "csv"},
    "disclosures:import-detail": lambda o: {"pk": o["batch"].pk},
    "disclosures:import-progress": lambda o: {"pk": o["batch"].pk},
    "disclosures:import-commit": lambda o: {"pk": o["batch"].pk},
    "accounting:vehicle-model-detail": lambda o: {"pk": o["vehicle_model"].pk},
    "accounting:rollup-run-detail": lambda o: {"pk": o["run"].pk},
    "accounting:bom-template": lambda o: {"fmt": "csv"},
    "webhooks:subscription-detail": lambda o: {"pk": o["subscription"].pk},
    "webhooks:subscription-secret": lambda o: {"pk": o["subscription"].pk},
    "webhooks:subscription-test": lambda o: {"pk": o["subscription"].pk},
    "webhooks:subscription-revoke": lambda o: {"pk": o["subscription"].pk},
    "webhooks:delivery-redeliver": lambda o: {"pk": o["subscription"].pk, "delivery_pk": o["delivery"].pk},
    "tenancy:api-client-revoke": lambda o: {"pk": o["api_client"].pk},
    "tenancy:member-token-revoke": lambda o: {"user_id": o["tokens_of"]},
    "pact:footprint": lambda o: {"pf_id": str(o["declaration_pf"])},
}
VARIANT_KWARGS = {
    ("disclosures:declaration-detail", "submitted"): lambda o: {"pk": o["submitted"].pk},
    ("disclosures:declaration-detail", "approved"): lambda o: {"pk": o["approved"].pk},
    ("disclosures:declaration-document", "approved"): lambda o: {"pk": o["approved"].pk},
    ("disclosures:declaration-decide", "draft"): lambda o: {"pk": o["draft"].pk},
    ("disclosures:declaration-edit", "submitted"): lambda o: {"pk": o["submitted"].pk},
    ("webhooks:delivery-redeliver", "under B's subscription"): lambda o: {
        "pk": o["subscription_b"].pk,
        "delivery_pk": o["delivery"].pk,
    },
    ("pact:footprint", "vehicle"): lambda o: {"pf_id": str(o["vehicle_pf"])},
}


def admin_model_admin(pattern):
    """The ModelAdmin behind an admin URL: ModelAdmin.get_urls marks its views; extra views a ModelAdmin
    adds itself through admin_view (UserAdmin's password page) are its bound methods."""
    callback = pattern.callback
    found = getattr(callback, "model_admin", None)
    if found is None:
        found = getattr(getattr(callback, "__wrapped__", None), "__self__", None)
    return found if isinstance(found, ModelAdmin) else None


def admin_kwargs(key: str, objects: dict) -> dict:
    route, pattern = ROUTES[key]
    wanted = route_parameters(route)
    model_admin = admin_model_admin(pattern)
    values = {}
    if model_admin is not None and wanted & {"object_id", "id"}:
        label = model_admin.model._meta.label_lower
        obj = objects.get(label)
        if obj is None:
            pytest.fail(
                f"{route}: add an object of {label} to the scenario's objects in tests/test_url_matrix.py"
            )
        values["object_id" if "object_id" in wanted else "id"] = str(obj.pk)
    if "app_label" in wanted:
        values["app_label"] = "disclosures"
    if "content_type_id" in wanted:
        values.update(
            content_type_id=str(ContentType.objects.get_for_model(Organisation).pk),
            object_id=str(objects["tenancy.organisation"].pk),
        )
    if "url" in wanted:
        values["url"] = "no-such-page/"
    return values


def kwargs_for(key: str, objects: dict, variant: str = "") -> dict:
    route, _pattern = ROUTES[key]
    wanted = route_parameters(route)
    if not wanted:
        return {}
    if is_admin(key):
        kwargs = admin_kwargs(key, objects)
    else:
        maker = VARIANT_KWARGS.get((key, variant)) or KWARGS.get(key)
        if maker is None:
            pytest.fail(
                f"{key} ({route}) takes {sorted(wanted)}: add an A-side object for it to the scenario and to "
                "KWARGS in tests/test_url_matrix.py"
            )
        kwargs = maker(objects)
    assert set(kwargs) == wanted, f"{key} is filled with {sorted(kwargs)}, the route takes {sorted(wanted)}"
    return kwargs


def url_for(key: str, objects: dict, variant: str = "") -> str:
    route, pattern = ROUTES[key]
    kwargs = kwargs_for(key, objects, variant)
    if pattern.name is None:  # unnamed: substitute the parameters into the route itself
        path = route
        for name, value in kwargs.items():
            path = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", value, path)
        return "/" + path.replace("^", "").replace("$", "")
    return reverse(key, kwargs=kwargs)


# --- request bodies: valid for the right actor, so everyone else's refusal is about who asks --------------


def _declaration_form(o, **extra) -> dict:
    return {
        "registration_number": "EPD-NEW-0001",
        "standard": "EN 15804+A2",
        "issue_date": (date.today() - timedelta(days=10)).isoformat(),
        "valid_until": (date.today() + timedelta(days=1000)).isoformat(),
        "declared_unit": "t",
        "declared_amount": "1",
        "gwp_a1_a3_kg_co2e": "2075.5",
        **extra,
    }


def _own_credentials(s, actor) -> dict:
    return {"username": actor if actor != "anonymous" else "supplier_a", "password": PASSWORD}


def _published_event() -> str:
    return json.dumps(
        {
            "type": "org.wbcsd.pathfinder.ProductFootprint.Published.v1",
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "//partner.example/2/events",
            "time": "2026-11-20T10:00:00Z",
            "data": {"pfIds": [str(uuid.uuid4())]},
        }
    )


# (key, method) -> lambda scenario objects, actor: the POST data (a dict for a form, or (body, content type))
BODIES = {
    "password_change": lambda o, actor: {
        "old_password": PASSWORD,
        "new_password1": "Correct-horse-battery-9",
        "new_password2": "Correct-horse-battery-9",
    },
    "password_reset": lambda o, actor: {"email": "forgetful@example.com"},
    "login": _own_credentials,
    "admin:login": lambda o, actor: {**_own_credentials(o, actor), "next": "/admin/"},
    "set_language": lambda o, actor: {"language": "zh-hans", "next": "/"},
    "disclosures:declaration-create": lambda o, actor: _declaration_form(o, product=o["product"].pk),
    "disclosures:declaration-edit": lambda o, actor: _declaration_form(o, registration_number="EPD-EDIT-1"),
    "disclosures:declaration-withdraw": lambda o, actor: {"reason": "The plant closed."},
    "disclosures:declaration-decide": lambda o, actor: {"decision": "approve"},
    "disclosures:plant-create": lambda o, actor: {"name": "New works", "province": "HE"},
    "disclosures:plant-edit": lambda o, actor: {"name": "Renamed works", "province": "HE"},
    "disclosures:product-create": lambda o, actor: {
        "name": "New coil",
        "material": o["product"].material_id,
        "route": "bf_bof",
        "plant": o["plant"].pk,
        "declared_unit": "t",
    },
    "disclosures:product-edit": lambda o, actor: {
        "name": "Renamed coil",
        "material": o["product"].material_id,
        "route": "bf_bof",
        "plant": o["plant"].pk,
        "declared_unit": "t",
    },
    "disclosures:import-list": lambda o, actor: {
        "file": SimpleUploadedFile("upload.csv", declaration_import_csv(o["product"]))
    },
    "accounting:bom-import": lambda o, actor: {"file": bom_import_file(o["vehicle_model"], o["product"])},
    "webhooks:subscription-list": lambda o, actor: {
        "target_url": "https://hooks.example.com/carbon",
        "event_types": ["footprint.changed"],
    },
    "tenancy:api-client-create": lambda o, actor: {"name": "ERP", "scopes": ["read"]},
    "pact:token": lambda o, actor: ("grant_type=client_credentials", "application/x-www-form-urlencoded"),
    "pact:events": lambda o, actor: (_published_event(), "application/cloudevents+json; charset=UTF-8"),
}


# --- what each actor gets ------------------------------------------------------------------------------

LOGIN = "302 login"
ADMIN_LOGIN = "302 admin:login"


def row(default, *, anonymous=LOGIN, **overrides) -> dict[str, object]:
    """Every actor's outcome: `default` for every signed-in actor, then the overrides in the order given
    (a group of GROUPS, then single actors)."""
    outcomes = dict.fromkeys(SIGNED_IN, default)
    outcomes["anonymous"] = anonymous
    for key, outcome in overrides.items():
        for actor in GROUPS.get(key, (key,)):
            assert actor in outcomes, f"unknown actor {actor}"
            outcomes[actor] = outcome
    return outcomes


SIGNED_IN_200 = row(200)
SUPPLIERS = row(403, suppliers=200)
SUPPLIER_A_ONLY = row(403, supplier_a=200, supplier_b=404)
CARMAKERS = row(403, carmakers=200)
CARMAKER_A_ONLY = row(403, owner_carmaker=200, other_carmaker=404)


def post_only(kind_refused: dict[str, object]) -> dict[str, object]:
    """GET of a view under login_required, require_POST, then a kind check: 405 for everyone signed in."""
    return {**row(405), "anonymous": LOGIN, **kind_refused}


# A page that only shows: POST is 405 for everyone signed in (require_safe under login_required).
SAFE_ONLY = {**row(405), "anonymous": LOGIN}
PACT_ORGS = row(200, anonymous=400, outsider=400)  # outsider and anonymous send no bearer token
PACT_400 = row(400, anonymous=400)
HOME_BY_ACTOR = row(
    "302 accounting:vehicle-model-list",
    suppliers="302 disclosures:dashboard",
    auditor="302 disclosures:review-queue",
)

EXPECTED: dict[tuple, dict[str, object]] = {
    ("home", "GET"): HOME_BY_ACTOR,
    ("home", "POST"): SAFE_ONLY,
    ("healthz", "GET"): row(200, anonymous=200),
    ("healthz", "POST"): row(200, anonymous=200),  # no method restriction: a load balancer's probe
    ("login", "GET"): row("302 home", anonymous=200),  # redirect_authenticated_user
    ("login", "POST"): row("302 home", anonymous="302 home"),  # anonymous signs in as supplier_a
    ("logout", "GET"): row(405, anonymous=405),
    ("logout", "POST"): row(LOGIN, anonymous=LOGIN),
    # password change: login_required, each their own; reset: anyone, by e-mail (rate-limited per address)
    ("password_change", "GET"): SIGNED_IN_200,
    ("password_change", "POST"): row("302 password_change_done"),
    ("password_change_done", "GET"): SIGNED_IN_200,
    ("password_change_done", "POST"): row(405),
    ("password_reset", "GET"): row(200, anonymous=200),
    ("password_reset", "POST"): row("302 password_reset_done", anonymous="302 password_reset_done"),
    ("password_reset_done", "GET"): row(200, anonymous=200),
    ("password_reset_done", "POST"): row(405, anonymous=405),
    # Supplier A's valid reset link: whoever holds it is sent on to set the password (the token in the session)
    ("password_reset_confirm", "GET"): row(
        "302 password_reset_confirm", anonymous="302 password_reset_confirm"
    ),
    ("password_reset_confirm", "POST"): row(
        "302 password_reset_confirm", anonymous="302 password_reset_confirm"
    ),
    ("password_reset_complete", "GET"): row(200, anonymous=200),
    ("password_reset_complete", "POST"): row(405, anonymous=405),
    ("set_language", "GET"): row("302 home", anonymous="302 home"),
    ("set_language", "POST"): row("302 home", anonymous="302 home"),
    # --- disclosures
    ("disclosures:dashboard", "GET"): SUPPLIERS,
    ("disclosures:dashboard", "POST"): SAFE_ONLY,
    ("disclosures:declaration-list", "GET"): SUPPLIERS,
    ("disclosures:declaration-list", "POST"): SAFE_ONLY,
    ("disclosures:declaration-create", "GET"): SUPPLIERS,
    # the body names Supplier A's product, no choice of Supplier B's form
    ("disclosures:declaration-create", "POST"): row(
        403, supplier_a="302 disclosures:declaration-detail", supplier_b=400
    ),
    ("disclosures:declaration-detail", "GET"): row(404, supplier_a=200),
    ("disclosures:declaration-detail", "POST"): SAFE_ONLY,
    # The page reads declarations by the API's rule (declarations_visible_to): carmakers the approved ones of
    # products in their BOMs, the operator every one but drafts; source document and history stay hidden.
    ("disclosures:declaration-detail", "GET", "submitted"): row(
        404, supplier_a=200, auditor=200, operator=200
    ),
    ("disclosures:declaration-detail", "GET", "approved"): row(
        404, supplier_a=200, auditor=200, operator=200, carmaker_a=200, carmaker_a_admin=200
    ),
    ("disclosures:declaration-edit", "GET"): SUPPLIER_A_ONLY,
    ("disclosures:declaration-edit", "POST"): row(
        403, supplier_a="302 disclosures:declaration-detail", supplier_b=404
    ),
    # a submitted declaration is not editable: back to its page
    ("disclosures:declaration-edit", "GET", "submitted"): row(
        403, supplier_a="302 disclosures:declaration-detail", supplier_b=404
    ),
    ("disclosures:declaration-edit", "POST", "submitted"): row(
        403, supplier_a="302 disclosures:declaration-detail", supplier_b=404
    ),
    ("disclosures:declaration-submit", "GET"): post_only({}),
    ("disclosures:declaration-submit", "POST"): row(
        403, supplier_a="302 disclosures:declaration-detail", supplier_b=404
    ),
    ("disclosures:declaration-new-version", "GET"): post_only({}),
    ("disclosures:declaration-new-version", "POST"): row(
        403, supplier_a="302 disclosures:declaration-edit", supplier_b=404
    ),
    ("disclosures:declaration-withdraw", "GET"): post_only({}),
    ("disclosures:declaration-withdraw", "POST"): row(
        403, supplier_a="302 disclosures:declaration-detail", supplier_b=404
    ),
    ("disclosures:declaration-document", "GET"): row(404, supplier_a=200),
    ("disclosures:declaration-document", "POST"): SAFE_ONLY,
    ("disclosures:declaration-document", "GET", "approved"): row(404, supplier_a=200, auditor=200),
    ("disclosures:declaration-decide", "GET"): post_only({}),
    ("disclosures:declaration-decide", "POST"): row(403, auditor="302 disclosures:review-queue"),
    ("disclosures:declaration-decide", "POST", "draft"): row(403, auditor=404),  # auditors never see drafts
    ("disclosures:review-queue", "GET"): row(403, auditor=200),
    ("disclosures:review-queue", "POST"): SAFE_ONLY,
    ("disclosures:plant-create", "GET"): SUPPLIERS,
    ("disclosures:plant-create", "POST"): row(403, suppliers="302 disclosures:dashboard"),
    ("disclosures:plant-edit", "GET"): SUPPLIER_A_ONLY,
    ("disclosures:plant-edit", "POST"): row(403, supplier_a="302 disclosures:dashboard", supplier_b=404),
    ("disclosures:product-create", "GET"): SUPPLIERS,
    # the body names Supplier A's plant, no choice of Supplier B's form
    ("disclosures:product-create", "POST"): row(403, supplier_a="302 disclosures:dashboard", supplier_b=400),
    ("disclosures:product-edit", "GET"): SUPPLIER_A_ONLY,
    ("disclosures:product-edit", "POST"): row(403, supplier_a="302 disclosures:dashboard", supplier_b=404),
    ("disclosures:import-list", "GET"): SUPPLIERS,
    # each supplier's upload is its own batch (Supplier B's rows name a product that is not its own)
    # Supplier B's upload names Supplier A's product: refused with the row errors
    ("disclosures:import-list", "POST"): row(403, supplier_a="302 disclosures:import-detail", supplier_b=400),
    ("disclosures:import-template", "GET"): SUPPLIERS,
    ("disclosures:import-template", "POST"): SAFE_ONLY,
    ("disclosures:import-detail", "GET"): SUPPLIER_A_ONLY,
    ("disclosures:import-detail", "POST"): SAFE_ONLY,
    ("disclosures:import-progress", "GET"): SUPPLIER_A_ONLY,
    ("disclosures:import-progress", "POST"): SAFE_ONLY,
    ("disclosures:import-commit", "GET"): post_only({}),
    ("disclosures:import-commit", "POST"): row(
        403, supplier_a="302 disclosures:declaration-list", supplier_b=404
    ),
    # --- accounting: totals are for every signed-in user, supplier detail for the owner and auditors
    ("accounting:vehicle-model-list", "GET"): SIGNED_IN_200,
    ("accounting:vehicle-model-list", "POST"): SAFE_ONLY,
    ("accounting:vehicle-model-detail", "GET"): SIGNED_IN_200,
    ("accounting:vehicle-model-detail", "POST"): SAFE_ONLY,
    ("accounting:rollup-run-list", "GET"): SIGNED_IN_200,
    ("accounting:rollup-run-list", "POST"): SAFE_ONLY,
    ("accounting:rollup-run-detail", "GET"): SIGNED_IN_200,
    ("accounting:rollup-run-detail", "POST"): SAFE_ONLY,
    ("accounting:bom-import", "GET"): CARMAKERS,
    # Carmaker B's file names Carmaker A's model: refused with the row errors
    ("accounting:bom-import", "POST"): row(
        403, owner_carmaker="302 accounting:bom-import", other_carmaker=400
    ),
    ("accounting:bom-template", "GET"): CARMAKERS,
    ("accounting:bom-template", "POST"): SAFE_ONLY,
    # --- webhooks (login_required, carmaker_required, then require_POST)
    ("webhooks:subscription-list", "GET"): CARMAKERS,
    ("webhooks:subscription-list", "POST"): row(403, carmakers="302 webhooks:subscription-detail"),
    ("webhooks:subscription-detail", "GET"): CARMAKER_A_ONLY,
    ("webhooks:subscription-detail", "POST"): SAFE_ONLY,
    ("webhooks:subscription-secret", "GET"): row(403, carmakers=405),
    ("webhooks:subscription-secret", "POST"): row(
        403, owner_carmaker="302 webhooks:subscription-detail", other_carmaker=404
    ),
    ("webhooks:subscription-test", "GET"): row(403, carmakers=405),
    ("webhooks:subscription-test", "POST"): row(
        403, owner_carmaker="302 webhooks:subscription-detail", other_carmaker=404
    ),
    ("webhooks:subscription-revoke", "GET"): row(403, carmakers=405),
    ("webhooks:subscription-revoke", "POST"): row(
        403, owner_carmaker="302 webhooks:subscription-list", other_carmaker=404
    ),
    ("webhooks:delivery-redeliver", "GET"): row(403, carmakers=405),
    ("webhooks:delivery-redeliver", "POST"): row(
        403, owner_carmaker="302 webhooks:subscription-detail", other_carmaker=404
    ),
    ("webhooks:delivery-redeliver", "POST", "under B's subscription"): row(403, carmakers=404),
    # --- API access (an organisation admin's page; everyone's own token page)
    ("tenancy:api-access", "GET"): row(403, **{ADMIN_A: 200, ADMIN_B: 200}),
    ("tenancy:api-access", "POST"): SAFE_ONLY,
    ("tenancy:api-client-create", "GET"): post_only({}),
    ("tenancy:api-client-create", "POST"): row(403, **{ADMIN_A: 200, ADMIN_B: 200}),
    ("tenancy:api-client-revoke", "GET"): post_only({}),
    ("tenancy:api-client-revoke", "POST"): row(403, **{ADMIN_A: "302 tenancy:api-access", ADMIN_B: 404}),
    ("tenancy:member-token-revoke", "GET"): post_only({}),
    ("tenancy:member-token-revoke", "POST"): row(403, **{ADMIN_A: "302 tenancy:api-access", ADMIN_B: 404}),
    ("tenancy:personal-token", "GET"): SIGNED_IN_200,
    ("tenancy:personal-token", "POST"): SAFE_ONLY,
    ("tenancy:personal-token-create", "GET"): post_only({}),
    ("tenancy:personal-token-create", "POST"): SIGNED_IN_200,  # each makes their own
    ("tenancy:personal-token-revoke", "GET"): post_only({}),
    ("tenancy:personal-token-revoke", "POST"): row("302 tenancy:personal-token"),
    # --- OpenAPI: SpectacularAPIView and its viewers serve everyone (SERVE_PUBLIC, AllowAny)
    ("api-schema", "GET"): row(200, anonymous=200),
    ("api-schema", "POST"): row(405, anonymous=405),
    ("api-swagger", "GET"): row(200, anonymous=200),
    ("api-swagger", "POST"): row(405, anonymous=405),
    ("api-redoc", "GET"): row(200, anonymous=200),
    ("api-redoc", "POST"): row(405, anonymous=405),
    # --- PACT over https: every actor with its organisation's client; PACT's own error codes
    ("pact:token", "GET"): row(405, anonymous=405),
    ("pact:token", "POST"): row(200, anonymous=401, outsider=401),  # outsider, anonymous: no client
    ("pact:openid-configuration", "GET"): row(200, anonymous=200),
    ("pact:openid-configuration", "POST"): row(405, anonymous=405),
    ("pact:footprints", "GET"): PACT_ORGS,
    ("pact:footprints", "POST"): PACT_400,
    # Supplier A's approved declaration: its supplier, auditors, the operator, the carmaker buying it
    ("pact:footprint", "GET"): row(
        403, anonymous=400, outsider=400, supplier_a=200, auditor=200, operator=200, owner_carmaker=200
    ),
    ("pact:footprint", "POST"): PACT_400,
    ("pact:footprint", "GET", "vehicle"): PACT_ORGS,  # vehicle footprints are public
    ("pact:events", "GET"): PACT_400,
    ("pact:events", "POST"): PACT_ORGS,  # each records its own organisation's event
    # --- PACT over plain http: refused before anything else
    ("pact:token", "POST", "http"): row(400, anonymous=400),
    ("pact:openid-configuration", "GET", "http"): row(400, anonymous=400),
    ("pact:footprints", "GET", "http"): PACT_400,
    ("pact:footprint", "GET", "http"): PACT_400,
    ("pact:events", "POST", "http"): PACT_400,
}

# Markers a 200 answer must contain for these actors: proof that the scenario puts them where a leak shows.
SHOWN: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("disclosures:declaration-list", ""): {"supplier_a": (DRAFT, SUBMITTED, APPROVED)},
    ("disclosures:declaration-detail", ""): {"supplier_a": (DRAFT,)},
    ("disclosures:declaration-detail", "submitted"): {
        "supplier_a": (SUBMITTED, AUDIT),
        "auditor": (SUBMITTED, AUDIT),
    },
    ("disclosures:declaration-detail", "approved"): {"auditor": (APPROVED, SUPPLIER_NAME)},
    ("disclosures:declaration-edit", ""): {"supplier_a": (DRAFT,)},
    ("disclosures:declaration-document", ""): {"supplier_a": (DRAFT,)},  # its file name
    ("disclosures:review-queue", ""): {"auditor": (SUBMITTED,)},
    ("disclosures:dashboard", ""): {"supplier_a": (PLANT, PRODUCT)},
    ("disclosures:plant-edit", ""): {"supplier_a": (PLANT,)},
    ("disclosures:product-edit", ""): {"supplier_a": (PRODUCT,)},
    ("disclosures:import-list", ""): {"supplier_a": (IMPORT,)},
    ("disclosures:import-detail", ""): {"supplier_a": (IMPORT,)},
    ("accounting:vehicle-model-detail", ""): {
        "carmaker_a": (SUPPLIER_NAME, BOM),
        ADMIN_A: (SUPPLIER_NAME, BOM),
        "auditor": (SUPPLIER_NAME, BOM),
    },
    ("webhooks:subscription-list", ""): {"carmaker_a": (HOOK,), "carmaker_b": (HOOK_B,)},
    ("webhooks:subscription-detail", ""): {"carmaker_a": (HOOK,)},
    ("tenancy:api-access", ""): {ADMIN_A: (CLIENT,), ADMIN_B: (CLIENT_B,)},
    ("pact:footprint", ""): {"carmaker_a": (PRODUCT,), "supplier_a": (PRODUCT,)},
    ("admin:disclosures_declaration_changelist", ""): {"operator": (DRAFT, SUBMITTED)},
    ("admin:tenancy_auditevent_change", ""): {"operator": (AUDIT,)},
    ("admin:tenancy_apiclient_changelist", ""): {"operator": (CLIENT, CLIENT_B)},
    ("admin:webhooks_subscription_changelist", ""): {"operator": (HOOK, HOOK_B)},
}


# --- the admin, expected from its ModelAdmins ----------------------------------------------------------


def _operator_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def admin_expected(key: str, method: str, scenario: Scenario) -> dict[str, object]:
    """Everything under admin/ is the operator's: everyone else is sent to the admin login (its own login
    and logout pages aside); the operator gets what the ModelAdmin's permissions give a superuser."""
    route, pattern = ROUTES[key]
    view = pattern.callback.__name__
    operator = scenario.users["operator"]
    others = row(ADMIN_LOGIN, anonymous=ADMIN_LOGIN)
    if key == "admin:login":
        # a signed-in non-staff user sees the form ("not authorised"); their own password is no staff one
        return {**row(200, anonymous=200), "operator": "302 admin:index"}
    if key == "admin:logout":
        # Django's LogoutView is POST only; it sends to LOGOUT_REDIRECT_URL, the login page
        return {
            **row("302 admin:index", anonymous="302 admin:index"),
            "operator": 405 if method == "GET" else LOGIN,
        }
    model_admin = admin_model_admin(pattern)
    request = _operator_request(operator)
    if model_admin is None:
        operator_outcome = {
            "index": (200, 200),
            "app_index": (200, 200),
            "password_change": (200, 200),
            "password_change_done": (200, 405),
            "autocomplete_view": (403, 405),  # without its query parameters: PermissionDenied
            "i18n_javascript": (200, 405),
            "shortcut": (404, 404),  # Organisation has no get_absolute_url
            "catch_all_view": (404, 404),
        }[view]
    else:
        obj = scenario.objects.get(model_admin.model._meta.label_lower)
        if view == "view":  # RedirectView of <object_id>/ to the change page
            target = pattern.callback.__wrapped__.view_initkwargs["pattern_name"]
            operator_outcome = (f"302 {target}", f"302 {target}")
        else:
            changelist = f"302 admin:{model_admin.model._meta.app_label}_{model_admin.model._meta.model_name}_changelist"
            allowed = {
                "changelist_view": (True, True),
                "history_view": (True, True),
                "add_view": (model_admin.has_add_permission(request),) * 2,
                "change_view": (
                    model_admin.has_view_or_change_permission(request, obj),
                    model_admin.has_change_permission(request, obj),
                ),
                "delete_view": (model_admin.has_delete_permission(request, obj),) * 2,
                "user_change_password": (True, True),
            }[view]
            operator_outcome = tuple(200 if ok else 403 for ok in allowed)
            if view == "change_view" and allowed[1] and _empty_change_saves(model_admin, request, obj):
                operator_outcome = (operator_outcome[0], changelist)  # an empty POST is a valid save
    return {**others, "operator": operator_outcome[0 if method == "GET" else 1]}


def _empty_change_saves(model_admin, request, obj) -> bool:
    """Whether the change form of the object, POSTed empty, is valid (nothing editable is required, no
    inlines): then the admin saves and returns to the changelist, else it shows the form's errors."""
    if model_admin.get_inline_instances(request, obj):
        return False
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    form_class = model_admin.get_form(request, fresh, change=True)
    return form_class(data={}, files={}, instance=fresh).is_valid()


# --- the cells -----------------------------------------------------------------------------------------

METHODS = ("GET", "POST")


def _cells() -> dict[str, list[tuple[str, str]]]:
    """key -> its (method, variant) cells: GET and POST of every route, and each extra variant."""
    cells = {key: [(method, "") for method in METHODS] for key in ROUTES}
    for expected_key in EXPECTED:
        if len(expected_key) == 3 and expected_key[0] in cells:
            cells[expected_key[0]].append((expected_key[1], expected_key[2]))
    return cells


CELLS = _cells()


def expected_for(key: str, method: str, variant: str, scenario: Scenario) -> dict[str, object]:
    if is_admin(key):
        return admin_expected(key, method, scenario)
    lookup = (key, method, variant) if variant else (key, method)
    expected = EXPECTED.get(lookup)
    if expected is None:
        route, _pattern = ROUTES[key]
        pytest.fail(
            f"{method} /{route} ({key}) has no expectations: add EXPECTED[{lookup!r}] = row(...) with the "
            "outcome for every actor, read from its view, to tests/test_url_matrix.py"
        )
    missing = set(ACTORS) - set(expected)
    assert not missing, f"EXPECTED[{lookup!r}] names no outcome for {sorted(missing)}"
    return expected


def state() -> tuple:
    """What a refused request must leave exactly as it was."""
    return (
        list(BomLine.objects.order_by("id").values_list("id", "component", "mass_kg", "supplier_product_id")),
        list(
            Declaration.objects.order_by("id").values_list(
                "id", "status", "registration_number", "programme_operator", "updated_at"
            )
        ),
        list(Plant.objects.order_by("id").values_list("id", "name", "province", "city")),
        list(Product.objects.order_by("id").values_list("id", "name", "grade", "route", "plant_id")),
        list(VehicleModel.objects.order_by("id").values_list("id", "bom_updated_at")),
        list(Footprint.objects.order_by("id").values_list("id", "is_current")),
        list(ImportBatch.objects.order_by("id").values_list("id", "status")),
        list(
            Subscription.objects.order_by("id").values_list(
                "id", "target_url", "is_active", "revoked_at", "secret"
            )
        ),
        list(Delivery.objects.order_by("id").values_list("id", "status")),
        list(Token.objects.order_by("user_id").values_list("user_id", "key")),
        list(ApiClient.objects.order_by("id").values_list("id", "name", "scopes")),
        list(Application.objects.order_by("id").values_list("id", "client_secret")),
        AccessToken.objects.count(),
        list(Membership.objects.order_by("id").values_list("id", "organisation_id", "role")),
        list(User.objects.order_by("id").values_list("id", "password", "is_active", "is_staff")),
        RollupRun.objects.count(),
        Review.objects.count(),
        AuditEvent.objects.count(),
        InboundEvent.objects.count(),
        FootprintRequest.objects.count(),
        LogEntry.objects.count(),
    )


def outcome_of(response) -> object:
    """A status code, or "302 <url name>" for a redirect to one of our URLs."""
    if response.status_code in (301, 302):
        location = urlparse(response["Location"])
        try:
            return f"{response.status_code} {resolve(location.path).view_name}"
        except Resolver404:
            return f"{response.status_code} {response['Location']}"
    return response.status_code


def response_text(response) -> str:
    """The body (a streamed file too) and the headers that could carry data: Location, Content-Disposition."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = " ".join(response.get(name, "") for name in ("Location", "Content-Disposition"))
    return body.decode("utf-8", errors="replace") + "\n" + headers


REFUSED = {400, 401, 403, 404, 405, LOGIN, ADMIN_LOGIN}


@dataclass
class Answer:
    outcome: object
    text: str


def ask(scenario: Scenario, actor: str, key: str, method: str, variant: str) -> Answer:
    url = url_for(key, scenario.objects, variant)
    user = scenario.users[actor]
    client = Client()
    extra = {}
    if is_pact(key):
        extra["secure"] = variant != "http"
        if key == "pact:token":
            if actor in scenario.pact_credentials:
                extra["HTTP_AUTHORIZATION"] = basic(*scenario.pact_credentials[actor])
        elif actor in scenario.bearer:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {scenario.bearer[actor]}"
    elif user is not None:
        client.force_login(user)
    with transaction.atomic():
        before = state() if method == "POST" else None
        try:
            if method == "GET":
                response = client.get(url, **extra)
            else:
                data = BODIES.get(key, lambda o, a: {})(scenario.objects, actor)
                if isinstance(data, tuple):
                    response = client.post(url, data[0], content_type=data[1], **extra)
                else:
                    response = client.post(url, data, **extra)
            text = response_text(response)
        except Exception as error:  # a 500: name the cell
            raise AssertionError(f"{method} {url} as {actor} raised {error!r}") from error
        outcome = outcome_of(response)
        if before is not None and (outcome in REFUSED or (is_pact(key) and response.status_code >= 400)):
            assert state() == before, f"{method} {url} as {actor} was refused ({outcome}) but wrote"
        transaction.set_rollback(True)
    cache.clear()  # rate limits (token endpoint, password reset) count in the cache: every actor starts afresh
    return Answer(outcome, text)


def check_route(scenario: Scenario, key: str) -> list[str]:
    failures = []
    for method, variant in CELLS[key]:
        expected = expected_for(key, method, variant, scenario)
        url = url_for(key, scenario.objects, variant)
        label = f"{method} {url}{f' ({variant})' if variant else ''}"
        for actor in ACTORS:
            answer = ask(scenario, actor, key, method, variant)
            if answer.outcome != expected[actor]:
                failures.append(f"{actor}: {label} answered {answer.outcome}, expected {expected[actor]}")
                continue
            if isinstance(answer.outcome, int) and answer.outcome >= 500:
                failures.append(f"{actor}: {label} answered {answer.outcome}")
            leaked = [marker for marker in forbidden_markers(actor, key) if marker in answer.text]
            if leaked:
                where = {
                    m: answer.text[max(0, answer.text.find(m) - 150) : answer.text.find(m) + 60]
                    for m in leaked
                }
                failures.append(f"{actor}: {label} ({answer.outcome}) LEAKS {leaked}: {where}")
            if answer.outcome == 200 and method == "GET":
                missing = [m for m in SHOWN.get((key, variant), {}).get(actor, ()) if m not in answer.text]
                if missing:
                    failures.append(f"{actor}: {label} should show {missing}")
    return failures


@pytest.mark.parametrize("key", sorted(k for k in ROUTES if not is_admin(k)))
def test_url_matrix(scenario, key):
    failures = check_route(scenario, key)
    assert not failures, "\n".join(failures)


def _admin_groups() -> dict[str, list[str]]:
    """Admin routes grouped by model (the site's own pages in one group): one test each."""
    groups: dict[str, list[str]] = {}
    for key in ROUTES:
        if is_admin(key):
            model_admin = admin_model_admin(ROUTES[key][1])
            group = model_admin.model._meta.label_lower if model_admin else "site"
            groups.setdefault(group, []).append(key)
    return groups


ADMIN_GROUPS = _admin_groups()


@pytest.mark.parametrize("group", sorted(ADMIN_GROUPS))
def test_admin_matrix(scenario, group):
    failures = [failure for key in ADMIN_GROUPS[group] for failure in check_route(scenario, key)]
    assert not failures, "\n".join(failures)


# --- the matrix itself ---------------------------------------------------------------------------------


def allowed_methods(pattern) -> set[str] | None:
    """The methods a non-admin view accepts, read from it: require_http_methods (require_POST, require_GET)
    anywhere in its decorator chain, or a class-based view's http_method_names and handlers. None: any."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)} - {
            "OPTIONS",
            "HEAD",
        }
    func = pattern.callback
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents)
        func = getattr(func, "__wrapped__", None)
    return None


def test_the_expectations_follow_the_views_methods():
    """Where the view refuses a method (require_POST, http_method_names), no actor's expectation is a
    success for it: read from the views, so a decorator removed or added shows here."""
    failures = []
    for key, (route, pattern) in ROUTES.items():
        if is_admin(key):
            continue
        allowed = allowed_methods(pattern)
        for method in METHODS:
            expected = EXPECTED.get((key, method))
            if expected is None:
                continue
            if allowed is not None and method not in allowed:
                wrong = {a: o for a, o in expected.items() if o not in (405, 400, 403, LOGIN, 404)}
                if wrong or 405 not in expected.values() and not is_pact(key):
                    failures.append(f"{method} /{route} is not allowed by its view, expected {expected}")
            elif allowed is not None and 405 in expected.values():
                failures.append(f"{method} /{route} is allowed by its view, yet 405 is expected")
    assert not failures, "\n".join(failures)


def test_every_url_is_in_a_matrix():
    """Every URL pattern of the URLconf is a route of this matrix or of the /api/v1 one, none of both, and
    every expectation and URL filler names a route that exists."""
    here = {route for route, _pattern in ROUTES.values()}
    api = {route for route, _pattern in api_routes()}
    everything = {route for route, _pattern in all_routes()}
    assert not here & api, f"in both matrices: {sorted(here & api)}"
    # the /api/v1 matrix leaves out the router's format-suffix twins (same views, ?format= covered there)
    missing = {
        route
        for route in everything - here - api
        if "(?P<format>" not in route and "<drf_format_suffix" not in route
    }
    assert not missing, f"routes in no matrix: {sorted(missing)}"
    assert len(ROUTES) == len(here), "two routes share a key"
    stale = [key for key in EXPECTED if key[0] not in ROUTES]
    assert not stale, f"EXPECTED names routes that no longer exist: {stale}"
    stale = [key for key in [*KWARGS, *(k for k, _v in VARIANT_KWARGS)] if key not in ROUTES]
    assert not stale, f"KWARGS names routes that no longer exist: {stale}"
    stale = [key for key in BODIES if key not in ROUTES]
    assert not stale, f"BODIES names routes that no longer exist: {stale}"


def test_the_matrix_covers_every_route_and_actor():
    """So the matrix cannot shrink silently: every route with GET and POST, for every actor."""
    cells = sum(len(cells) for cells in CELLS.values()) * len(ACTORS)
    print(
        f"url matrix: {len(ROUTES)} routes ({sum(not is_admin(k) for k in ROUTES)} pages, "
        f"{sum(is_admin(k) for k in ROUTES)} admin) x {len(METHODS)} methods + "
        f"{sum(len(c) for c in CELLS.values()) - len(ROUTES) * len(METHODS)} variants, x {len(ACTORS)} actors "
        f"= {cells} requests, each checked for {len(VISIBLE_TO)} markers and the secrets"
    )
    assert cells >= len(ROUTES) * len(ACTORS) * len(METHODS)
    assert all({method for method, _variant in CELLS[key]} == set(METHODS) for key in ROUTES)
    assert {"supplier_a", "supplier_b", "carmaker_a", "carmaker_b", "auditor", ADMIN_A, "anonymous"} <= set(
        ACTORS
    )
    assert all(forbidden_markers(actor) for actor in ACTORS)
