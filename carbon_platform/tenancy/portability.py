"""One organisation's data out of one database and into another, empty one: `organisation_export` and
`organisation_import` (management commands of the same names).

The file is JSON: a header (format, version, the organisation, counts) and `objects`, the rows in Django's
serialization format (model, pk, fields), primary keys kept, so every reference and every audit event's hash
(which covers actor and organisation ids) stays as it was.

What is exported, beyond the organisation itself: its members (users, memberships), its API clients (their
OAuth2 applications and service users), its audit events (those of the organisation and those its members
acted in), a supplier's plants, products, declarations with their reviews, findings and import batches, a
carmaker's vehicle models with BOM lines, footprints and contributions, its webhook subscriptions and their
deliveries. Every row those refer to outside the organisation (materials, an auditor who reviewed, another
supplier's declaration a footprint used, the rollup runs that wrote the footprints, ...) comes along too, so
the import needs nothing else; users that are not members come without a usable password.

Secrets never leave: no personal API tokens and no OAuth2 tokens; an API client's application gets a new,
random client secret on import (its admin issues a fresh one), a webhook subscription a new signing secret
(its owner reads it again). Uploaded files (EPD PDFs, import files) are referenced by path: copy MEDIA_ROOT
alongside. Group memberships and per-user permissions (the platform uses organisations and roles, and
/admin/ only for the operator) are not exported.

The audit chain is global: each event's hash covers the hash of the event before it, whichever organisation
that was. An organisation's own events are therefore a subsequence of the chain: each still proves its own
content against its stored hash, and consecutive events that were neighbours still link, but the links to
other organisations' events cannot be checked without them. The import refuses a file in which any event does
not match its hash, and reports how many links it could check.
"""

import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import IO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from carbon_platform.api import ApplicationError

from .choices import OrganisationKind
from .models import ApiClient, AuditEvent, Membership, Organisation
from .services import GENESIS_HASH, _event_hash

FORMAT = "carbon-platform/organisation-export"
VERSION = 1
# Fields that never leave the database (secrets), per model label; the import puts fresh values in.
WITHHELD = {
    "oauth2_provider.application": {"client_secret"},
    "webhooks.subscription": {"secret"},
}
# Many-to-many fields not exported (see the module's docstring).
NOT_EXPORTED_M2M = {"auth.user": {"groups", "user_permissions"}}


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but datetimes and times keep their microseconds (Django's cuts them to milliseconds,
    which would change every audit event's hashed time and lose precision everywhere)."""

    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


@dataclass
class ImportSummary:
    counts: dict[str, int]
    audit_events: int = 0
    audit_links_checked: int = 0
    audit_links_elsewhere: int = 0
    notes: list[str] = field(default_factory=list)


def _own_rows(organisation: Organisation) -> list[models.QuerySet]:
    """The organisation's own data, as querysets (the closure of their references is added after)."""
    Plant = apps.get_model("disclosures", "Plant")
    Product = apps.get_model("disclosures", "Product")
    Declaration = apps.get_model("disclosures", "Declaration")
    Review = apps.get_model("disclosures", "Review")
    Finding = apps.get_model("disclosures", "Finding")
    ImportBatch = apps.get_model("disclosures", "ImportBatch")
    VehicleModel = apps.get_model("accounting", "VehicleModel")
    BomLine = apps.get_model("accounting", "BomLine")
    Footprint = apps.get_model("accounting", "Footprint")
    Contribution = apps.get_model("accounting", "Contribution")
    Subscription = apps.get_model("webhooks", "Subscription")
    Delivery = apps.get_model("webhooks", "Delivery")
    User = get_user_model()

    members = User.objects.filter(membership__organisation=organisation)
    clients = ApiClient.objects.filter(organisation=organisation)
    rows = [
        Organisation.objects.filter(pk=organisation.pk),
        members,
        Membership.objects.filter(organisation=organisation),
        get_application_model().objects.filter(api_client__in=clients),
        clients,
        AuditEvent.objects.filter(Q(organisation=organisation) | Q(actor__in=members)),
        Plant.objects.filter(supplier=organisation),
        Product.objects.filter(supplier=organisation),
        Declaration.objects.filter(product__supplier=organisation),
        Review.objects.filter(declaration__product__supplier=organisation),
        Finding.objects.filter(declaration__product__supplier=organisation),
        ImportBatch.objects.filter(organisation=organisation),
        Subscription.objects.filter(organisation=organisation),
        Delivery.objects.filter(subscription__organisation=organisation),
    ]
    if organisation.kind == OrganisationKind.CARMAKER:
        rows += [
            VehicleModel.objects.filter(carmaker=organisation),
            BomLine.objects.filter(vehicle_model__carmaker=organisation),
            Footprint.objects.filter(vehicle_model__carmaker=organisation),
            Contribution.objects.filter(footprint__vehicle_model__carmaker=organisation),
        ]
    return rows


def _collect(organisation: Organisation) -> tuple[dict[type, dict[int, models.Model]], set[int]]:
    """Every row to export by model and pk: the organisation's own, then whatever they refer to, until
    nothing new turns up. Returns it with the pks of the users who are members (the others lose their
    password)."""
    collected: dict[type, dict[int, models.Model]] = defaultdict(dict)
    pending: list[models.Model] = []
    for queryset in _own_rows(organisation):
        for obj in queryset.order_by("pk"):
            if obj.pk not in collected[type(obj)]:
                collected[type(obj)][obj.pk] = obj
                pending.append(obj)
    members = set(Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True))
    while pending:
        missing: dict[type, set] = defaultdict(set)
        for obj in pending:
            for model_field in obj._meta.concrete_fields:
                if model_field.is_relation:  # concrete: a foreign key or one-to-one
                    target_id = getattr(obj, model_field.attname)
                    target = model_field.related_model
                    if target_id is not None and target_id not in collected[target]:
                        missing[target].add(target_id)
        pending = []
        for target, ids in missing.items():
            for obj in target._default_manager.filter(pk__in=ids).order_by("pk"):
                collected[target][obj.pk] = obj
                pending.append(obj)
    return collected, members


def organisation_export(*, organisation: Organisation, stream: IO[str]) -> dict[str, int]:
    """Write the organisation's export to `stream`; returns the number of rows per model."""
    collected, members = _collect(organisation)
    objects, counts = [], {}
    for model in sorted(collected, key=lambda m: m._meta.label_lower):
        label = model._meta.label_lower
        rows = serializers.serialize("python", [collected[model][pk] for pk in sorted(collected[model])])
        for row in rows:
            for name in WITHHELD.get(label, ()):
                row["fields"][name] = ""
            for name in NOT_EXPORTED_M2M.get(label, ()):
                row["fields"].pop(name, None)
            if label == "auth.user" and row["pk"] not in members:
                row["fields"]["password"] = ""  # a reference (a reviewer, an actor): no way to sign in
        objects += rows
        counts[label] = len(rows)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "organisation": {"id": organisation.pk, "uscc": organisation.uscc, "name": organisation.name},
        "exported_at": timezone.now(),
        "counts": counts,
        "objects": objects,
    }
    json.dump(document, stream, cls=ExactJSONEncoder, ensure_ascii=False, indent=1)
    return counts


def _audit_events_check(events: list[AuditEvent]) -> tuple[int, int]:
    """Each event's content against its own hash (ApplicationError naming the first that fails), then the
    links between consecutive events: (links checked, links to events that are not in the file)."""
    checked = elsewhere = 0
    previous = None
    for event in sorted(events, key=lambda e: e.pk):
        if _event_hash(previous_hash=event.previous_hash, event=event) != event.event_hash:
            raise ApplicationError(
                _("Audit event %(id)s of the file does not match its hash: the file was altered.")
                % {"id": event.pk}
            )
        if event.previous_hash == GENESIS_HASH and previous is None:
            checked += 1
        elif previous is not None and event.previous_hash == previous.event_hash:
            checked += 1
        else:
            elsewhere += 1
        previous = event
    return checked, elsewhere


def _refresh_withheld(obj: models.Model) -> None:
    label = obj._meta.label_lower
    if label == "oauth2_provider.application":
        # saved raw (no pre_save), so hashed here; nobody knows it: the client's admin issues a new one
        obj.client_secret = make_password(generate_client_secret())
    elif label == "webhooks.subscription" and obj.is_active:
        obj.secret = secrets.token_urlsafe(32)
    elif label == "auth.user" and not obj.password:
        obj.set_unusable_password()


def organisation_import(*, stream: IO[str], using: str = DEFAULT_DB_ALIAS) -> ImportSummary:
    """Load an export into an empty database (migrated, with no organisation yet), whole or not at all."""
    try:
        document = json.load(stream)
    except json.JSONDecodeError as error:
        raise ApplicationError(_("The file is not JSON: %(error)s") % {"error": error}) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ApplicationError(_("The file is not an organisation export of this platform."))
    if document.get("version") != VERSION:
        raise ApplicationError(
            _("Export version %(found)s cannot be read; this platform reads version %(version)s.")
            % {"found": document.get("version"), "version": VERSION}
        )
    if Organisation.objects.using(using).exists():
        raise ApplicationError(
            _("The database already holds organisations: import into an empty database (after migrate).")
        )
    connection = connections[using]
    counts: dict[str, int] = defaultdict(int)
    events: list[AuditEvent] = []
    models_seen: set[type] = set()
    with transaction.atomic(using=using):
        # As loaddata does: references are checked once every row is in.
        with connection.constraint_checks_disabled():
            for deserialized in serializers.deserialize("python", document["objects"], using=using):
                obj = deserialized.object
                _refresh_withheld(obj)
                deserialized.save(using=using)  # raw: no signals' side effects, pk kept
                models_seen.add(type(obj))
                counts[obj._meta.label_lower] += 1
                if isinstance(obj, AuditEvent):
                    events.append(obj)
        connection.check_constraints(table_names=[model._meta.db_table for model in models_seen])
        links_checked, links_elsewhere = _audit_events_check(events)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(models_seen)):
                cursor.execute(sql)
        if dict(counts) != document.get("counts"):
            raise ApplicationError(_("The file's counts do not match its rows: the file was altered."))
    return ImportSummary(
        counts=dict(counts),
        audit_events=len(events),
        audit_links_checked=links_checked,
        audit_links_elsewhere=links_elsewhere,
    )
