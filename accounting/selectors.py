"""Reads of the accounting side: rollup inputs as DataFrames, affected models, footprints for views and API."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from carbon_platform.bulk import read_frame
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.models import Organisation
from disclosures.choices import DeclarationStatus
from disclosures.models import Declaration, Product

from .choices import DataSourceLevel, MaterialFamily, RollupStatus, RollupTrigger
from .engine import MODULE_COLUMNS, RollupInputs
from .models import BomLine, Contribution, DefaultFactor, Footprint, Material, RollupRun, VehicleModel

# Stay well under SQLite's bound-parameter limit when filtering by many ids.
ID_CHUNK = 900


_LINE_DTYPES = {
    "line_id": "int64",
    "model_id": "int64",
    "component": object,
    "material_id": "int64",
    "family": object,
    "mass_kg": "float64",
    "product_id": "float64",
    "share": "float64",
}


def _frame(sql: str, params: Iterable, columns: list[str]) -> pd.DataFrame:
    return read_frame(sql, list(params), columns, _LINE_DTYPES)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def bom_lines_frame(model_ids: list[int] | None) -> pd.DataFrame:
    """BOM lines of the given models (all models when None), masses as floats, straight from SQL."""
    columns = ["line_id", "model_id", "component", "material_id", "family", "mass_kg", "product_id", "share"]
    sql = (
        "SELECT l.id, l.vehicle_model_id, l.component, l.material_id, m.family, CAST(l.mass_kg AS DOUBLE PRECISION), "
        "l.supplier_product_id, CAST(l.share AS DOUBLE PRECISION) "
        f"FROM {BomLine._meta.db_table} l JOIN {Material._meta.db_table} m ON m.id = l.material_id"
    )
    if model_ids is None:
        frames = [_frame(sql, [], columns)]
    elif connection.vendor == "postgresql":  # one query whatever the count: the ids as one array parameter
        frames = [_frame(f"{sql} WHERE l.vehicle_model_id = ANY(%s)", [sorted(model_ids)], columns)]
    else:
        frames = [
            _frame(f"{sql} WHERE l.vehicle_model_id IN ({','.join(['%s'] * len(chunk))})", chunk, columns)
            for chunk in _chunks(sorted(model_ids))
        ] or [pd.DataFrame(columns=columns)]
    lines = pd.concat(frames, ignore_index=True)
    lines["in_boundary"] = lines.pop("family") != MaterialFamily.OTHER
    lines["mass_kg"] = lines["mass_kg"].astype(float)
    lines["share"] = lines["share"].astype(float)
    lines["product_id"] = lines["product_id"].astype("float64")
    return lines


def products_frame() -> pd.DataFrame:
    """Every product with its supplier, material, route and province (its plant's, else its supplier's)."""
    rows = Product.objects.values_list(
        "id", "supplier_id", "material_id", "route", "plant__province", "supplier__province"
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=["product_id", "supplier_id", "material_id", "route", "plant_province", "org_province"],
    )
    frame["province"] = frame["plant_province"].fillna(frame["org_province"]).fillna("")
    frame["product_id"] = frame["product_id"].astype("float64")
    return frame.drop(columns=["plant_province", "org_province"])


def usable_declarations(as_of: date) -> QuerySet[Declaration]:
    """Declarations allowed to feed footprints: approved and inside their validity period on `as_of`."""
    return Declaration.objects.filter(
        status=DeclarationStatus.APPROVED, issue_date__lte=as_of, valid_until__gte=as_of
    )


def declarations_frame(as_of: date) -> pd.DataFrame:
    fields = [
        "id",
        "product_id",
        "version",
        "issue_date",
        "declared_unit",
        "declared_amount",
        "mass_kg_per_declared_unit",
        *MODULE_COLUMNS.values(),
    ]
    columns = ["declaration_id", *fields[1:]]
    frame = pd.DataFrame.from_records(list(usable_declarations(as_of).values_list(*fields)), columns=columns)
    for column in ["declared_amount", "mass_kg_per_declared_unit", *MODULE_COLUMNS.values()]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["product_id"] = frame["product_id"].astype("float64")
    return frame


def default_factors_frame() -> pd.DataFrame:
    frame = pd.DataFrame.from_records(
        list(
            DefaultFactor.objects.values_list("material_id", "route", "province", "basis", "kg_co2e_per_kg")
        ),
        columns=["material_id", "route", "province", "basis", "kg_co2e_per_kg"],
    )
    frame["kg_co2e_per_kg"] = frame["kg_co2e_per_kg"].astype(float)
    return frame


def rollup_inputs(*, model_ids: list[int] | None, as_of: date) -> RollupInputs:
    return RollupInputs(
        lines=bom_lines_frame(model_ids),
        products=products_frame(),
        declarations=declarations_frame(as_of),
        defaults=default_factors_frame(),
    )


def model_ids_affected_by_product(*, product: Product) -> list[int]:
    """Models whose footprint can move when this product's declarations change.

    Its own lines (level 1), and lines linked to the supplier's other products of the same material,
    whose level-2 supplier mean includes this product's declaration.
    """
    return sorted(
        BomLine.objects.filter(
            Q(supplier_product=product)
            | Q(
                supplier_product__supplier_id=product.supplier_id,
                supplier_product__material_id=product.material_id,
            )
        )
        .values_list("vehicle_model_id", flat=True)
        .distinct()
    )


def all_vehicle_model_ids() -> list[int]:
    return list(VehicleModel.objects.order_by("id").values_list("id", flat=True))


def vehicle_brands() -> list[str]:
    """Every brand in the fleet, A to Z (the explorer's brand filter)."""
    return list(VehicleModel.objects.order_by("brand").values_list("brand", flat=True).distinct())


def carmakers_with_models() -> list[tuple[int, str]]:
    """(id, name) of every carmaker with at least one vehicle model, by name."""
    return list(
        Organisation.objects.filter(vehicle_models__isnull=False)
        .order_by("name")
        .values_list("id", "name")
        .distinct()
    )


def current_footprint(*, vehicle_model: VehicleModel) -> Footprint | None:
    return Footprint.objects.filter(vehicle_model=vehicle_model, is_current=True).first()


def current_footprint_of(*, vehicle_model_id) -> Footprint | None:
    """The current footprint of a model, with the model, in one query; None for an unknown model, one
    without a footprint yet, or an id that is not a number."""
    try:
        vehicle_model_id = int(vehicle_model_id)
    except (TypeError, ValueError):
        return None
    # At most one current row (a unique constraint): no ORDER BY, which Footprint's default ordering would
    # add through the vehicle model's own ordering.
    rows = list(
        Footprint.objects.select_related("vehicle_model")
        .filter(vehicle_model_id=vehicle_model_id, is_current=True)
        .order_by()[:1]
    )
    return rows[0] if rows else None


@dataclass(frozen=True)
class Share:
    label: str
    kg_co2e: float
    pct: float
    mass_kg: float | None = None
    key: str = ""


def footprint_breakdowns(*, footprint: Footprint) -> dict[str, list[Share]]:
    """The footprint's splits, largest first, each with its share of the total: by material, by supplier
    (names resolved; '' = lines with no supplier linked), and by data-source level with its mass."""
    total = float(footprint.total_kg_co2e) or 1.0

    def shares(items):
        return sorted(
            (Share(label, value, 100 * value / total, mass, key) for label, value, mass, key in items),
            key=lambda share: -share.kg_co2e,
        )

    names = dict(
        Organisation.objects.filter(id__in=[int(key) for key in footprint.by_supplier if key]).values_list(
            "id", "name"
        )
    )
    return {
        "by_material": shares((code, value, None, code) for code, value in footprint.by_material.items()),
        "by_supplier": shares(
            (names.get(int(key), key) if key else _("No supplier linked"), value, None, key)
            for key, value in footprint.by_supplier.items()
        ),
        "by_level": [
            Share(
                str(DataSourceLevel(int(level)).label),
                value,
                100 * value / total,
                footprint.mass_by_data_source.get(level, 0),
                level,
            )
            for level, value in sorted(footprint.by_data_source.items())
        ],
    }


def conservative_lines(*, vehicle_model: VehicleModel) -> QuerySet[BomLine]:
    """BOM lines that fall to the conservative default: in the boundary and bought from no linked supplier.
    What to ask suppliers for next, heaviest first."""
    return (
        BomLine.objects.filter(vehicle_model=vehicle_model, supplier_product__isnull=True)
        .exclude(material__family=MaterialFamily.OTHER)
        .select_related("material")
        .order_by("-mass_kg")
    )


# What a carmaker's BOMs buy changes only with a BOM replace or import, both of which move the models'
# `bom_updated_at`; the expiry bounds what a change that bypasses them (a shell, a raw SQL fix) leaves stale.
PRODUCTS_BOUGHT_CACHE_SECONDS = 300


def products_bought_by(*, carmaker_id: int) -> list[int]:
    """Ids of the supplier products linked in the carmaker's BOMs: which declarations it may read.

    Reading the distinct products of ~100,000 BOM lines costs ~80 ms; the answer is cached under the BOMs'
    version (the carmaker's model count and latest `bom_updated_at`, one indexed aggregate), so a BOM change
    is seen at once by every process."""
    version = VehicleModel.objects.filter(carmaker_id=carmaker_id).aggregate(
        models=Count("id"), latest=Max("bom_updated_at")
    )
    latest = version["latest"].isoformat() if version["latest"] else "never"
    key = f"accounting:products-bought:{carmaker_id}:{version['models']}:{latest}"
    product_ids = cache.get(key)
    if product_ids is None:
        product_ids = sorted(
            BomLine.objects.filter(vehicle_model__carmaker_id=carmaker_id, supplier_product__isnull=False)
            .values_list("supplier_product_id", flat=True)
            .distinct()
        )
        cache.set(key, product_ids, PRODUCTS_BOUGHT_CACHE_SECONDS)
    return product_ids


def _total_as_dividend():
    """The current total, ready to divide: SQLite keeps whole-number decimals as integers and divides them
    as such (190 / 1800 = 0), so there it is a float; PostgreSQL's numeric division is exact as it is."""
    total = F("current__total_kg_co2e")
    return Cast(total, FloatField()) if connection.vendor == "sqlite" else total


def vehicle_models_with_current_footprint() -> QuerySet[VehicleModel]:
    """Vehicle models with their carmaker and the current footprint's headline figures annotated.

    The current footprint is joined (LEFT JOIN on the one-current-per-model row) rather than read through
    correlated subqueries: sorting 8,000 models by per-kg footprint then costs one hash join, not three
    subqueries per row."""
    return (
        VehicleModel.objects.select_related("carmaker")
        .annotate(current=FilteredRelation("footprints", condition=Q(footprints__is_current=True)))
        .annotate(
            footprint_total_kg_co2e=F("current__total_kg_co2e"),
            footprint_primary_data_share=F("current__primary_data_share"),
            footprint_revision=F("current__revision"),
        )
        .annotate(
            footprint_kg_co2e_per_kg=ExpressionWrapper(
                _total_as_dividend() / F("curb_mass_kg"),
                output_field=DecimalField(max_digits=18, decimal_places=6),
            )
        )
    )


@dataclass(frozen=True)
class Change:
    """How one material x supplier moved between two revisions: the sources before and after, and by how much."""

    material: str
    supplier: str
    before: str
    after: str
    delta_kg_co2e: float


@dataclass(frozen=True)
class Revision:
    revision: int
    computed_at: object
    total_kg_co2e: float
    delta_kg_co2e: float | None
    cause: str
    changes: list[Change] | None
    run_id: int | None = None


def _sources(rows: list[dict]) -> str:
    labels = []
    for row in sorted(rows, key=lambda r: (r["level"], r["declaration"] or "")):
        label = f"L{row['level']}"
        if row["declaration"]:
            label += f" {row['declaration']}"
        labels.append(f"{label}: {row['mass_kg']:.2f} kg x {row['factor']:.4f}")
    return "; ".join(labels) or "—"


def run_causes(runs: list[RollupRun], *, supplier_detail: bool) -> dict[int, str]:
    """'Declaration approved (EPD-0001 v2)' by run id: what made each run, as the footprint history and the
    webhook deliveries name it. Without supplier detail a declaration is not named."""
    labels = _trigger_object_labels(runs, supplier_detail=supplier_detail)
    return {run.pk: f"{run.get_trigger_display()}{labels[run.pk]}" for run in runs}


def _trigger_object_labels(runs: list[RollupRun], *, supplier_detail: bool) -> dict[int, str]:
    """' (EPD-0001 v2)' for a run on 'declaration:17', ' (steel.hot_rolled_coil bf_bof)' for a default factor,
    by run id: two queries for all runs. Without supplier detail a declaration is not named."""
    wanted: dict[str, set[int]] = {"declaration": set(), "default_factor": set()}
    for run in runs:
        kind, _sep, pk = run.trigger_object.partition(":")
        if kind in wanted and pk.isdigit():
            wanted[kind].add(int(pk))
    declarations = (
        {d.pk: str(d) for d in Declaration.objects.filter(pk__in=wanted["declaration"])}
        if wanted["declaration"] and supplier_detail
        else {}
    )
    factors = (
        {
            f.pk: " ".join(part for part in (f.material.code, f.route, f.province) if part)
            for f in DefaultFactor.objects.select_related("material").filter(pk__in=wanted["default_factor"])
        }
        if wanted["default_factor"]
        else {}
    )
    labels = {}
    for run in runs:
        kind, _sep, pk = run.trigger_object.partition(":")
        label = run.trigger_object
        if pk.isdigit() and kind == "declaration":
            label = declarations.get(int(pk), run.trigger_object) if supplier_detail else ""
        elif pk.isdigit() and kind == "default_factor":
            label = factors.get(int(pk), run.trigger_object)
        labels[run.pk] = f" ({label})" if label else ""
    return labels


def footprint_history(
    *,
    vehicle_model: VehicleModel,
    limit: int = 20,
    footprints: QuerySet[Footprint] | None = None,
    supplier_detail: bool = True,
) -> list[Revision]:
    """Every revision (of `footprints`, the model's own filtered, else all of them), newest first, with what
    triggered it and the change explained per material x supplier.

    The deltas of a revision's changes add up to the change of its total, so every move can be traced to
    the lines it came from. Without `supplier_detail` (anyone but the owner carmaker and auditors) a
    revision keeps its cause and totals but names no supplier and no declaration: `changes` is None."""
    queryset = Footprint.objects.filter(vehicle_model=vehicle_model) if footprints is None else footprints
    footprints = list(queryset.select_related("run").order_by("-revision")[:limit])
    if not footprints:
        return []
    # the revision before the oldest listed one, which its delta is measured against
    predecessor = (
        Footprint.objects.filter(vehicle_model=vehicle_model, revision__lt=footprints[-1].revision)
        .order_by("-revision")
        .first()
    )
    compared = [*footprints, predecessor] if predecessor else footprints
    rows: dict[int, dict[tuple, list[dict]]] = {}
    if supplier_detail:
        contributions = list(
            Contribution.objects.filter(footprint_id__in=[f.id for f in compared])
            .select_related("material", "declaration")
            .order_by("id")
        )
        names = dict(
            Organisation.objects.filter(
                id__in={c.supplier_id for c in contributions if c.supplier_id}
            ).values_list("id", "name")
        )
        for c in contributions:
            key = (c.material.code, names.get(c.supplier_id, "") if c.supplier_id else "")
            rows.setdefault(c.footprint_id, {}).setdefault(key, []).append(
                {
                    "level": c.data_source_level,
                    "declaration": str(c.declaration) if c.declaration_id else "",
                    "mass_kg": float(c.mass_kg),
                    "factor": float(c.kg_co2e_per_kg),
                    "kg_co2e": float(c.kg_co2e),
                }
            )
    causes = run_causes([f.run for f in footprints if f.run], supplier_detail=supplier_detail)
    history = []
    for newer, older in zip(footprints, [*compared[1:], None][: len(footprints)], strict=True):
        run = newer.run
        cause = causes[run.pk] if run else ""
        changes = [] if supplier_detail else None
        if older is not None and supplier_detail:
            new_rows, old_rows = rows.get(newer.id, {}), rows.get(older.id, {})
            for key in sorted(set(new_rows) | set(old_rows)):
                delta = sum(r["kg_co2e"] for r in new_rows.get(key, [])) - sum(
                    r["kg_co2e"] for r in old_rows.get(key, [])
                )
                before, after = _sources(old_rows.get(key, [])), _sources(new_rows.get(key, []))
                if abs(delta) >= 0.00005 or before != after:
                    changes.append(Change(key[0], key[1], before, after, round(delta, 4)))
            changes.sort(key=lambda change: -abs(change.delta_kg_co2e))
        history.append(
            Revision(
                revision=newer.revision,
                computed_at=newer.computed_at,
                total_kg_co2e=float(newer.total_kg_co2e),
                delta_kg_co2e=None
                if older is None
                else round(float(newer.total_kg_co2e - older.total_kg_co2e), 4),
                cause=cause,
                changes=changes,
                run_id=newer.run_id,
            )
        )
    return history


def rollup_runs_with_progress() -> QuerySet[RollupRun]:
    """Runs newest first, with live progress summed over their chunks (a closed run keeps its own totals)."""
    return RollupRun.objects.annotate(
        chunk_models_done=Coalesce(Sum("chunks__models_done"), 0),
        chunks_total=Count("chunks"),
        chunks_done=Count(
            "chunks", filter=Q(chunks__status__in=[RollupStatus.SUCCEEDED, RollupStatus.FAILED])
        ),
    ).order_by("-created_at", "-id")


def rollup_run_progress(run: RollupRun) -> dict:
    """What a progress bar needs: models done of total, percent, chunks, and whether the run is still open."""
    done = run.models_done if run.finished_at else getattr(run, "chunk_models_done", run.models_done)
    total = run.models_total
    return {
        "models_done": done,
        "models_total": total,
        "progress_pct": 100
        if total == 0 and run.finished_at
        else (round(100 * done / total) if total else 0),
        "chunks_total": getattr(run, "chunks_total", None),
        "chunks_done": getattr(run, "chunks_done", None),
        "open": run.finished_at is None,
    }


def sees_supplier_detail(*, organisation: Organisation | None, vehicle_model: VehicleModel) -> bool:
    """Totals of every model are public to signed-in organisations; what names suppliers (the by-supplier
    split, contributions, BOM lines, the supplier rows of the history) is for the carmaker that owns the
    model and for auditors."""
    if organisation is None:
        return False
    return organisation.kind == OrganisationKind.AUDITOR or organisation.id == vehicle_model.carmaker_id


def materials() -> QuerySet[Material]:
    return Material.objects.order_by("code")


def default_factors() -> QuerySet[DefaultFactor]:
    return DefaultFactor.objects.select_related("material").order_by(
        "material__code", "basis", "route", "province", "id"
    )


def contributions_of(*, vehicle_model: VehicleModel) -> QuerySet[Contribution]:
    """The current footprint's contributions, largest first, with what each row names."""
    return (
        Contribution.objects.filter(footprint__vehicle_model=vehicle_model, footprint__is_current=True)
        .select_related("material", "supplier", "declaration")
        .order_by("-kg_co2e", "id")
    )


def bom_lines_of(*, vehicle_model: VehicleModel) -> QuerySet[BomLine]:
    return (
        BomLine.objects.filter(vehicle_model=vehicle_model)
        .select_related("material", "supplier_product__supplier")
        .order_by("system", "component", "id")
    )


def footprint_revisions_of(*, vehicle_model: VehicleModel) -> QuerySet[Footprint]:
    return Footprint.objects.filter(vehicle_model=vehicle_model)


def latest_bom_run_id(*, vehicle_model: VehicleModel) -> int | None:
    """The recompute run the model's latest BOM change enqueued."""
    return (
        RollupRun.objects.filter(
            trigger=RollupTrigger.BOM_CHANGED, trigger_object=f"vehicle_model:{vehicle_model.pk}"
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
