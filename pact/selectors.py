"""Reads of the PACT host: which ProductFootprints exist, who may read them, pages of them, and lookups.

A ProductFootprint (PF) here is either one revision of a vehicle model's footprint or one supplier
declaration that was approved. The current revision and an approved declaration are `Active`; a revision
with a newer one, and a declaration since superseded, expired or withdrawn, are `Deprecated`.

Lists are taken as of one moment (`as_of`): the PFs that were Active then, each in its latest version. A
pagination link carries that moment, so calling it again returns the same set of PFs.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When

from accounting.models import Contribution, Footprint, VehicleModel
from accounting.selectors import products_bought_by
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.models import Organisation
from disclosures.choices import DeclarationStatus
from disclosures.models import Declaration, Product

from . import odata, services, urns
from .choices import PfKind
from .errors import PactError
from .models import ProductFootprintId

# Declarations that are, or were, ProductFootprints: approved once, whatever happened since.
PF_DECLARATION_STATUSES = (
    DeclarationStatus.APPROVED,
    DeclarationStatus.SUPERSEDED,
    DeclarationStatus.EXPIRED,
    DeclarationStatus.WITHDRAWN,
)
# Sort rank of each kind among PFs created at the same instant (the page key is created, rank, row id).
KIND_RANK = {PfKind.VEHICLE: 0, PfKind.DECLARATION: 1}
NOTHING = Q(pk__in=[])
LOOKUPS = {"eq": "exact", "lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}
# What a declaration's PF JSON reads besides the declaration: one join each.
DECLARATION_RELATED = ("product__supplier", "product__material", "product__plant", "plant", "supersedes")


@dataclass
class Pf:
    """One ProductFootprint with what its JSON needs beyond its own row."""

    kind: str
    pf_id: UUID
    footprint: Footprint | None = None
    declaration: Declaration | None = None
    preceding_pf_id: UUID | None = None
    successor_pf_id: UUID | None = None
    # Vehicle revisions: when the next revision was computed and why; mass by material family.
    successor_computed_at: datetime | None = None
    successor_trigger: str = ""
    mass_kg_by_family: dict[str, Decimal] = field(default_factory=dict)
    # Declarations: the version number of the declaration that superseded this one.
    successor_version: int | None = None

    @property
    def is_active(self) -> bool:
        if self.kind == PfKind.VEHICLE:
            return self.footprint.is_current
        return self.declaration.status == DeclarationStatus.APPROVED

    @property
    def created(self) -> datetime:
        return self.footprint.computed_at if self.kind == PfKind.VEHICLE else self.declaration.decided_at

    @property
    def updated(self) -> datetime | None:
        """When the PF was deprecated (its only change); None while it is Active."""
        if self.is_active:
            return None
        if self.kind == PfKind.VEHICLE:
            return self.successor_computed_at or self.footprint.computed_at
        return max(self.declaration.updated_at, self.declaration.decided_at)


def declarations_readable_by(*, organisation: Organisation) -> QuerySet[Declaration]:
    """PF declarations an organisation may read, mirroring who sees declarations on the platform: the
    supplier its own, auditors and the operator every one, a carmaker those of products in its own BOMs
    (including the deprecated versions, so that it can learn that a PF it holds is deprecated)."""
    declarations = Declaration.objects.filter(status__in=PF_DECLARATION_STATUSES, decided_at__isnull=False)
    if organisation.kind == OrganisationKind.SUPPLIER:
        return declarations.filter(product__supplier=organisation)
    if organisation.kind == OrganisationKind.AUDITOR:
        return declarations.exclude(product__supplier=organisation)
    if organisation.kind == OrganisationKind.CARMAKER:
        return declarations.filter(product_id__in=products_bought_by(carmaker_id=organisation.id))
    if organisation.kind == OrganisationKind.OPERATOR:
        return declarations
    return declarations.none()


def pf_readable(*, pf: Pf, organisation: Organisation) -> bool:
    """Vehicle footprints are public to every organisation; declarations follow `declarations_readable_by`."""
    if pf.kind == PfKind.VEHICLE:
        return True
    return declarations_readable_by(organisation=organisation).filter(pk=pf.declaration.pk).exists()


# --- Filters -----------------------------------------------------------------------------------------


def parse_datetime_literal(literal: str) -> datetime:
    """A $filter date and time, ISO 8601; without a zone it is taken as UTC, as PACT times are."""
    try:
        value = datetime.fromisoformat(literal)
    except ValueError:
        raise PactError("BadRequest", f"'{literal}' is not an ISO 8601 date and time.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _condition_q(condition: odata.Condition, kind: str) -> Q:
    """One $filter condition as a Q on the kind's queryset (see `_vehicle_pfs` and `_declaration_pfs`)."""
    if isinstance(condition, odata.Comparison):
        value = parse_datetime_literal(condition.literal)
        return Q(**{f"pf_{condition.property}__{LOOKUPS[condition.operator]}": value})
    if condition.collection == "companyIds":
        uscc = urns.parse_company_urn(condition.value)
        if uscc is None:
            return NOTHING
        field_name = "vehicle_model__carmaker__uscc" if kind == PfKind.VEHICLE else "product__supplier__uscc"
        return Q(**{field_name: uscc})
    ref = urns.parse_product_urn(condition.value)
    if ref is None:
        return NOTHING
    if kind == PfKind.VEHICLE and ref.vehicle_model_id:
        return Q(vehicle_model_id=ref.vehicle_model_id)
    if kind == PfKind.VEHICLE and ref.carmaker_uscc:
        return Q(vehicle_model__carmaker__uscc=ref.carmaker_uscc, vehicle_model__external_id=ref.external_id)
    if kind == PfKind.DECLARATION and ref.product_id:
        return Q(product_id=ref.product_id)
    return NOTHING


def _filter_q(conditions: list[odata.Condition], kind: str) -> Q:
    q = Q()
    for condition in conditions:
        q &= _condition_q(condition, kind)
    return q


def _vehicle_pfs(as_of: datetime) -> QuerySet[Footprint]:
    """Footprint revisions that were current at `as_of`, annotated with their PF `created` and `updated`."""
    newer = Footprint.objects.filter(
        vehicle_model=OuterRef("vehicle_model"), revision__gt=OuterRef("revision")
    )
    return (
        Footprint.objects.filter(computed_at__lte=as_of)
        .filter(~Exists(newer.filter(computed_at__lte=as_of)))
        .annotate(
            pf_created=F("computed_at"),
            pf_updated=Subquery(newer.order_by("revision").values("computed_at")[:1]),
        )
    )


def _declaration_pfs(as_of: datetime, organisation: Organisation) -> QuerySet[Declaration]:
    """Declarations the organisation may read that were approved at `as_of`, with PF `created`, `updated`."""
    return (
        declarations_readable_by(organisation=organisation)
        .filter(decided_at__lte=as_of)
        .filter(Q(status=DeclarationStatus.APPROVED) | Q(updated_at__gt=as_of))
        .annotate(
            pf_created=F("decided_at"),
            pf_updated=Case(
                When(status=DeclarationStatus.APPROVED, then=Value(None)), default=F("updated_at")
            ),
        )
    )


def _after_q(after: tuple[datetime, int, int] | None, kind: str) -> Q:
    """PFs that sort after the page key (created, kind rank, row id)."""
    if after is None:
        return Q()
    created, rank, row_id = after
    later = Q(pf_created__gt=created)
    if KIND_RANK[kind] == rank:
        return later | Q(pf_created=created, pk__gt=row_id)
    if KIND_RANK[kind] > rank:
        return later | Q(pf_created=created)
    return later


@dataclass
class Page:
    pfs: list[Pf]
    # The key of the last PF when there are more to fetch, else None.
    next_after: tuple[datetime, int, int] | None


def footprint_page(
    *,
    organisation: Organisation,
    conditions: list[odata.Condition],
    as_of: datetime,
    limit: int,
    after: tuple[datetime, int, int] | None = None,
) -> Page:
    """Up to `limit` PFs Active at `as_of` that the organisation may read and that match the filter, in
    (created, kind, id) order after `after`; both kinds are read with limit + 1 rows and merged."""
    vehicles = (
        _vehicle_pfs(as_of)
        .filter(_filter_q(conditions, PfKind.VEHICLE), _after_q(after, PfKind.VEHICLE))
        .select_related("vehicle_model__carmaker", "run")
        .order_by("pf_created", "pk")[: limit + 1]
    )
    declarations = (
        _declaration_pfs(as_of, organisation)
        .filter(_filter_q(conditions, PfKind.DECLARATION), _after_q(after, PfKind.DECLARATION))
        .select_related(*DECLARATION_RELATED)
        .order_by("pf_created", "pk")[: limit + 1]
    )
    keyed = sorted(
        [((row.pf_created, KIND_RANK[PfKind.VEHICLE], row.pk), PfKind.VEHICLE, row) for row in vehicles]
        + [
            ((row.pf_created, KIND_RANK[PfKind.DECLARATION], row.pk), PfKind.DECLARATION, row)
            for row in declarations
        ],
        key=lambda item: item[0],
    )
    page = keyed[:limit]
    next_after = page[-1][0] if len(keyed) > limit else None
    return Page(pfs=_complete([(kind, row) for _key, kind, row in page]), next_after=next_after)


# --- Lookups -----------------------------------------------------------------------------------------


def pf_by_id(*, pf_id: UUID) -> Pf | None:
    """The PF with this PACT id, Active or Deprecated, or None when this host never issued the id."""
    identity = (
        ProductFootprintId.objects.select_related(
            "footprint__vehicle_model__carmaker",
            "footprint__run",
            *(f"declaration__{name}" for name in DECLARATION_RELATED),
        )
        .filter(pf_id=pf_id)
        .first()
    )
    if identity is None:
        return None
    if identity.footprint_id:
        return _complete([(PfKind.VEHICLE, identity.footprint)])[0]
    return _complete([(PfKind.DECLARATION, identity.declaration)])[0]


def pfs_matching_request(*, organisation: Organisation, product_urns: list[str]) -> list[Pf]:
    """The Active PFs of the products a footprint request names that the organisation may read.

    Raises NoSuchFootprint when no named product is known here or none has a footprint yet, and
    AccessDenied when the only matching footprints are declarations the organisation may not read."""
    refs = [ref for ref in map(urns.parse_product_urn, product_urns) if ref is not None]
    vehicle_q, product_ids = NOTHING, []
    for ref in refs:
        if ref.vehicle_model_id:
            vehicle_q |= Q(pk=ref.vehicle_model_id)
        elif ref.carmaker_uscc:
            vehicle_q |= Q(carmaker__uscc=ref.carmaker_uscc, external_id=ref.external_id)
        else:
            product_ids.append(ref.product_id)
    vehicle_models = VehicleModel.objects.filter(vehicle_q)
    products = Product.objects.filter(pk__in=product_ids)
    if not vehicle_models.exists() and not products.exists():
        raise PactError("NoSuchFootprint", "No product of this host matches the requested productIds.")
    footprints = list(
        Footprint.objects.filter(vehicle_model__in=vehicle_models, is_current=True)
        .select_related("vehicle_model__carmaker", "run")
        .order_by("pk")
    )
    approved = Declaration.objects.filter(
        product__in=products, status=DeclarationStatus.APPROVED, decided_at__isnull=False
    )
    if not footprints and not approved.exists():
        raise PactError("NoSuchFootprint", "The requested products have no footprint yet.")
    readable = list(
        approved.filter(pk__in=declarations_readable_by(organisation=organisation).values("pk"))
        .select_related(*DECLARATION_RELATED)
        .order_by("pk")
    )
    if not footprints and not readable:
        raise PactError("AccessDenied", "The requested footprints are not shared with your organisation.")
    return _complete(
        [(PfKind.VEHICLE, row) for row in footprints] + [(PfKind.DECLARATION, row) for row in readable]
    )


# --- Completing rows into PFs ------------------------------------------------------------------------


def _complete(rows: list[tuple[str, Footprint | Declaration]]) -> list[Pf]:
    """PFs for rows of either kind, with their ids (assigned on first read), their neighbours in the
    lifecycle and, for vehicles, the mass of steel and aluminium: a fixed number of queries per page."""
    footprints = [row for kind, row in rows if kind == PfKind.VEHICLE]
    declarations = [row for kind, row in rows if kind == PfKind.DECLARATION]

    revisions: dict[int, list[dict]] = {}
    for revision in (
        Footprint.objects.filter(vehicle_model_id__in={f.vehicle_model_id for f in footprints})
        .order_by("revision")
        .values("id", "vehicle_model_id", "revision", "computed_at", "run__trigger")
    ):
        revisions.setdefault(revision["vehicle_model_id"], []).append(revision)
    neighbours = {}
    for footprint in footprints:
        siblings = revisions.get(footprint.vehicle_model_id, [])
        before = [r for r in siblings if r["revision"] < footprint.revision]
        after = [r for r in siblings if r["revision"] > footprint.revision]
        neighbours[footprint.pk] = (before[-1] if before else None, after[0] if after else None)

    preceding_declarations = {
        d.supersedes_id
        for d in declarations
        if d.supersedes_id
        and d.supersedes.status in PF_DECLARATION_STATUSES
        and d.supersedes.decided_at is not None
    }
    successors = {
        row["supersedes_id"]: row
        for row in Declaration.objects.filter(
            supersedes_id__in=[d.pk for d in declarations],
            status__in=PF_DECLARATION_STATUSES,
            decided_at__isnull=False,
        ).values("id", "supersedes_id", "version")
    }

    footprint_ids = {f.pk for f in footprints} | {
        neighbour["id"] for pair in neighbours.values() for neighbour in pair if neighbour
    }
    declaration_ids = (
        {d.pk for d in declarations} | preceding_declarations | {row["id"] for row in successors.values()}
    )
    pf_ids_of_footprint, pf_ids_of_declaration = services.pf_ids_assign(
        footprint_ids=footprint_ids, declaration_ids=declaration_ids
    )

    masses: dict[int, dict[str, Decimal]] = {}
    for row in (
        Contribution.objects.filter(footprint__in=footprints, material__family__in=("steel", "aluminium"))
        .values("footprint_id", "material__family")
        .annotate(mass_kg=Sum("mass_kg"))
    ):
        masses.setdefault(row["footprint_id"], {})[row["material__family"]] = row["mass_kg"]

    pfs = []
    for kind, row in rows:
        if kind == PfKind.VEHICLE:
            before, after = neighbours[row.pk]
            pfs.append(
                Pf(
                    kind=kind,
                    pf_id=pf_ids_of_footprint[row.pk],
                    footprint=row,
                    preceding_pf_id=pf_ids_of_footprint[before["id"]] if before else None,
                    successor_pf_id=pf_ids_of_footprint[after["id"]] if after else None,
                    successor_computed_at=after["computed_at"] if after else None,
                    successor_trigger=(after["run__trigger"] or "") if after else "",
                    mass_kg_by_family=masses.get(row.pk, {}),
                )
            )
        else:
            successor = successors.get(row.pk)
            pfs.append(
                Pf(
                    kind=kind,
                    pf_id=pf_ids_of_declaration[row.pk],
                    declaration=row,
                    preceding_pf_id=pf_ids_of_declaration.get(row.supersedes_id)
                    if row.supersedes_id in preceding_declarations
                    else None,
                    successor_pf_id=pf_ids_of_declaration[successor["id"]] if successor else None,
                    successor_version=successor["version"] if successor else None,
                )
            )
    return pfs
