"""Writes of the accounting side: rollup runs and the footprint revisions they produce."""

import json
import logging
import time
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from carbon_platform import read_cache
from carbon_platform.api import ApplicationError
from carbon_platform.bulk import fixed, insert_frame
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record

from . import selectors
from .choices import RollupStatus, RollupTrigger
from .engine import ALL_LEVELS, MODULE_COLUMNS, SHARE_TOLERANCE, RollupResult, rollup
from .models import (
    BomLine,
    Contribution,
    DefaultFactor,
    Footprint,
    Material,
    RollupChunk,
    RollupRun,
    VehicleModel,
)

logger = logging.getLogger(__name__)

# A pending run older than this lost its message (broker down at commit time, say); a running one older than
# the other lost its worker (longer than the task's hard time limit). The sweep sends both again.
SWEEP_PENDING_AFTER = timedelta(minutes=2)
SWEEP_RUNNING_AFTER = timedelta(minutes=15)

# Models written per transaction (a batch inside a run's chunk): small enough to keep locks short, large enough to amortise round trips.
WRITE_BATCH_MODELS = 500


def rollup_run_create(*, trigger: str, model_ids: list[int] | None, trigger_object: str = "") -> RollupRun:
    """Record a pending run; the caller enqueues `rollup_run_execute` for it on commit."""
    return RollupRun.objects.create(
        trigger=trigger,
        trigger_object=trigger_object,
        scope_model_ids=None if model_ids is None else sorted(model_ids),
        models_total=len(selectors.all_vehicle_model_ids()) if model_ids is None else len(model_ids),
    )


def rollup_run_start(*, run_id: int) -> list[int] | None:
    """Claim a run and cut its models into chunks (once); returns the chunks still to compute.

    None when the run is already closed: a redelivered or swept message then does nothing. Calling it again
    on a running run returns its unfinished chunks, so a run whose worker died can simply be sent again."""
    with transaction.atomic():
        run = (
            RollupRun.objects.select_for_update()
            .filter(id=run_id, status__in=[RollupStatus.PENDING, RollupStatus.RUNNING])
            .first()
        )
        if run is None:
            return None
        if not run.chunks.exists():
            ids = (
                selectors.all_vehicle_model_ids()
                if run.scope_model_ids is None
                else sorted(run.scope_model_ids)
            )
            size = settings.ROLLUP_CHUNK_MODELS
            RollupChunk.objects.bulk_create(
                RollupChunk(run=run, index=index, model_ids=part, models_total=len(part))
                for index, part in enumerate(ids[start : start + size] for start in range(0, len(ids), size))
            )
            run.models_total = len(ids)
        if run.status == RollupStatus.PENDING:
            run.status, run.started_at = RollupStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at", "models_total"])
        return list(
            run.chunks.exclude(status=RollupStatus.SUCCEEDED).order_by("index").values_list("id", flat=True)
        )


def rollup_chunk_execute(*, chunk_id: int, as_of: date | None = None) -> RollupChunk | None:
    """Recompute one chunk's models: load, engine, write. None when its run is closed or it is done.

    A chunk that failed, or whose worker died, can be computed again while its run is open; unchanged
    fingerprints write nothing, so a second execution never duplicates a revision."""
    claimed = RollupChunk.objects.filter(
        id=chunk_id,
        run__status=RollupStatus.RUNNING,
        status__in=[RollupStatus.PENDING, RollupStatus.RUNNING, RollupStatus.FAILED],
    ).update(
        status=RollupStatus.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        models_done=0,
        error="",
    )
    if not claimed:
        return None
    chunk = RollupChunk.objects.select_related("run").get(id=chunk_id)
    as_of = as_of or timezone.localdate()
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        inputs = selectors.rollup_inputs(model_ids=chunk.model_ids, as_of=as_of)
        timings["load_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        result = rollup(inputs)
        timings["engine_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        written = footprints_write(
            result=result,
            run=chunk.run,
            on_progress=lambda done: RollupChunk.objects.filter(id=chunk_id).update(
                models_done=F("models_done") + done
            ),
        )
        timings["write_s"] = round(time.perf_counter() - started, 3)
    except Exception as exc:
        logger.exception("rollup run %s, chunk %s failed", chunk.run_id, chunk.index)
        RollupChunk.objects.filter(id=chunk_id).update(
            status=RollupStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
            timings_s=timings,
        )
        raise
    RollupChunk.objects.filter(id=chunk_id).update(
        status=RollupStatus.SUCCEEDED,
        finished_at=timezone.now(),
        models_done=chunk.models_total,
        footprints_written=F("footprints_written") + written,  # an earlier attempt may have written some
        timings_s=timings,
    )
    chunk.refresh_from_db()
    return chunk


def rollup_run_close(*, run_id: int) -> RollupRun | None:
    """Close a run once every chunk has finished: totals, summed timings and the chunks' errors.

    None while chunks are still open (the caller tries again later); a closed run is returned unchanged."""
    with transaction.atomic():
        run = RollupRun.objects.select_for_update().get(id=run_id)
        if run.status not in (RollupStatus.PENDING, RollupStatus.RUNNING):
            return run
        chunks = list(run.chunks.order_by("index"))
        if any(chunk.status in (RollupStatus.PENDING, RollupStatus.RUNNING) for chunk in chunks):
            return None
        failed = [chunk for chunk in chunks if chunk.status == RollupStatus.FAILED]
        timings = {
            phase: round(sum(chunk.timings_s.get(phase, 0.0) for chunk in chunks), 3)
            for phase in ("load_s", "engine_s", "write_s")
        }
        run.finished_at = timezone.now()
        timings["wall_s"] = round((run.finished_at - (run.started_at or run.created_at)).total_seconds(), 3)
        timings["chunks"] = len(chunks)
        run.timings_s = timings
        run.status = RollupStatus.FAILED if failed else RollupStatus.SUCCEEDED
        run.error = "\n".join(f"chunk {chunk.index}: {chunk.error}" for chunk in failed)
        run.models_done = sum(chunk.models_done for chunk in chunks)
        # counted, not summed: an attempt that died after committing some batches recorded none of them
        run.footprints_written = Footprint.objects.filter(run=run).count()
        run.save()
        from webhooks import services as webhooks_services  # webhooks reads accounting: import it late

        if run.footprints_written and webhooks_services.anyone_subscribed(event_type="footprint.changed"):
            transaction.on_commit(lambda: webhooks_services.footprint_events_emit(run=run), robust=True)
    return run


def rollup_run_execute(*, run_id: int, as_of: date | None = None) -> RollupRun | None:
    """The whole run in this process, chunk after chunk (tests, benchmarks, seed_demo, small runs).

    None when the run was already closed. The first chunk error closes the run as failed and is raised."""
    chunk_ids = rollup_run_start(run_id=run_id)
    if chunk_ids is None:
        return None
    try:
        for chunk_id in chunk_ids:
            rollup_chunk_execute(chunk_id=chunk_id, as_of=as_of)
    finally:
        run = rollup_run_close(run_id=run_id)
    return run


def _breakdowns(result: RollupResult, material_codes: dict[int, str]) -> tuple[dict, dict]:
    """Per model: kg CO2e by material code and by supplier id ('' for lines with no supplier), rounded once."""
    by_material: dict[int, dict[str, float]] = {}
    for (model_id, material_id), value in (
        result.contributions.groupby(["model_id", "material_id"])["kg_co2e"].sum().items()
    ):
        by_material.setdefault(int(model_id), {})[material_codes[int(material_id)]] = round(float(value), 4)
    by_supplier: dict[int, dict[str, float]] = {}
    suppliers = result.contributions["supplier_id"].fillna(-1).astype("int64")
    for (model_id, supplier_id), value in (
        result.contributions.groupby([result.contributions["model_id"], suppliers])["kg_co2e"].sum().items()
    ):
        key = "" if supplier_id < 0 else str(int(supplier_id))
        by_supplier.setdefault(int(model_id), {})[key] = round(float(value), 4)
    return by_material, by_supplier


def _footprint_frame(rows: pd.DataFrame, breakdowns: tuple[dict, dict], current: dict, run: RollupRun):
    """New current revisions as table rows: decimals as fixed text, breakdowns as JSON text."""
    model_ids = rows["model_id"].astype("int64")
    other_modules = [module for module in MODULE_COLUMNS if module != "A1-A3"]

    def json_column(build) -> list[str]:
        return [json.dumps(build(row), separators=(",", ":")) for row in rows.itertuples(index=False)]

    return pd.DataFrame(
        {
            "vehicle_model_id": model_ids.to_numpy(),
            "revision": [current.get(int(m), (0, None))[0] + 1 for m in model_ids],
            "is_current": True,
            "computed_at": connection.ops.adapt_datetimefield_value(timezone.now()),
            "run_id": run.id,
            "total_kg_co2e": fixed(rows["total_kg_co2e"], 4).to_numpy(),
            "module_d_kg_co2e": fixed(rows["kg_co2e_D"], 4).to_numpy(),
            "by_supplier": [
                json.dumps(breakdowns[1].get(int(m), {}), separators=(",", ":")) for m in model_ids
            ],
            "by_material": [
                json.dumps(breakdowns[0].get(int(m), {}), separators=(",", ":")) for m in model_ids
            ],
            "by_module": json_column(
                lambda row: {
                    "A1-A3": round(row.total_kg_co2e, 4),
                    **{module: round(getattr(row, f"kg_co2e_{module}"), 4) for module in other_modules},
                }
            ),
            "by_data_source": json_column(
                lambda row: {
                    str(level): round(getattr(row, f"kg_co2e_level_{level}"), 4) for level in ALL_LEVELS
                }
            ),
            "primary_data_share": fixed(rows["primary_data_share"], 6).to_numpy(),
            "mass_total_kg": fixed(rows["mass_total_kg"], 4).to_numpy(),
            "mass_by_data_source": json_column(
                lambda row: {
                    str(level): round(getattr(row, f"mass_kg_level_{level}"), 4) for level in ALL_LEVELS
                }
            ),
            "conservative_line_count": rows["conservative_line_count"].astype("int64").to_numpy(),
            "input_fingerprint": rows["input_fingerprint"].to_numpy(),
        }
    )


def _contribution_frame(contributions: pd.DataFrame, footprint_ids: dict[int, int]) -> pd.DataFrame:
    """The contribution rows of the written footprints, as table columns with decimals as fixed text."""
    frame = contributions[contributions["model_id"].isin(list(footprint_ids))]
    return pd.DataFrame(
        {
            "footprint_id": frame["model_id"].map(footprint_ids).astype("int64"),
            "material_id": frame["material_id"].astype("int64"),
            "supplier_id": frame["supplier_id"].astype("Int64"),
            "data_source_level": frame["level"].astype("int64"),
            "declaration_id": frame["declaration_id"].astype("Int64"),
            "mass_kg": fixed(frame["mass_kg"], 4),
            "kg_co2e_per_kg": fixed(frame["kg_co2e_per_kg"], 6),
            "kg_co2e": fixed(frame["kg_co2e"], 4),
        }
    )


def footprints_write(*, result: RollupResult, run: RollupRun, on_progress=None) -> int:
    """Write a new current revision for every model whose input fingerprint changed, batch by batch;
    returns the number of revisions written. `on_progress(n)` is called after each batch of n models.

    Each batch is one transaction that locks its vehicle models first (PostgreSQL), re-reads the current
    fingerprints under the lock and only then writes: a concurrent or redelivered chunk finds the work done
    and writes nothing, so revision numbers never collide and no footprint is ever half-written.
    """
    footprints = result.footprints
    material_codes = dict(Material.objects.values_list("id", "code"))
    breakdowns = _breakdowns(result, material_codes)
    model_ids = footprints["model_id"].astype(int).to_numpy()
    written = 0
    for start in range(0, len(model_ids), WRITE_BATCH_MODELS):
        batch_ids = [int(i) for i in model_ids[start : start + WRITE_BATCH_MODELS]]
        written += _write_batch(result, footprints[footprints["model_id"].isin(batch_ids)], breakdowns, run)
        if on_progress is not None:
            on_progress(len(batch_ids))
    return written


def _write_batch(result: RollupResult, batch: pd.DataFrame, breakdowns, run: RollupRun) -> int:
    """One transaction: lock the batch's models, keep the changed fingerprints, write their revisions."""
    batch_ids = [int(i) for i in batch["model_id"]]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Footprints are derived data: a crash may lose the last batches' commit, which the next
                # run or the sweep recomputes from their unchanged inputs. Not waiting for the WAL
                # flush of ~20k contribution rows per batch halves the write time.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            list(
                VehicleModel.objects.select_for_update().filter(id__in=batch_ids).order_by("id").values("id")
            )
        current = {
            model_id: (revision, fingerprint)
            for model_id, revision, fingerprint in Footprint.objects.filter(
                vehicle_model_id__in=batch_ids, is_current=True
            ).values_list("vehicle_model_id", "revision", "input_fingerprint")
        }
        current_fingerprints = batch["model_id"].map({m: fp for m, (_rev, fp) in current.items()})
        changed = batch[batch["input_fingerprint"] != current_fingerprints]
        if changed.empty:
            return 0
        changed_ids = [int(i) for i in changed["model_id"]]
        Footprint.objects.filter(vehicle_model_id__in=changed_ids, is_current=True).update(is_current=False)
        insert_frame(Footprint._meta.db_table, _footprint_frame(changed, breakdowns, current, run))
        footprint_ids = dict(
            Footprint.objects.filter(vehicle_model_id__in=changed_ids, is_current=True).values_list(
                "vehicle_model_id", "id"
            )
        )
        insert_frame(Contribution._meta.db_table, _contribution_frame(result.contributions, footprint_ids))
        read_cache.data_changed()  # COPY fires no signals: the cached public reads move on at commit
    return len(footprint_ids)


def rollup_runs_sweep(*, now=None) -> list[int]:
    """Send again every run whose message was lost or whose worker died; returns their ids.

    Pending runs older than SWEEP_PENDING_AFTER, and running runs with no chunk started or finished within
    SWEEP_RUNNING_AFTER (a worker killed mid-chunk, a lost chord callback). Executing a run again is
    harmless: finished chunks are skipped and unchanged fingerprints write nothing, so the sweep errs on the
    side of sending.
    """
    from .tasks import rollup_run_execute

    now = now or timezone.now()
    quiet_since = now - SWEEP_RUNNING_AFTER
    recent_chunk = RollupChunk.objects.filter(run=OuterRef("pk")).filter(
        Q(started_at__gte=quiet_since) | Q(finished_at__gte=quiet_since)
    )
    stale = list(
        RollupRun.objects.filter(
            Q(status=RollupStatus.PENDING, created_at__lt=now - SWEEP_PENDING_AFTER)
            | Q(status=RollupStatus.RUNNING, started_at__lt=quiet_since)
        )
        .filter(~Exists(recent_chunk))
        .order_by("id")
        .values_list("id", flat=True)
    )
    for run_id in stale:
        logger.warning("rollup run %s is stale; sending it again", run_id)
        rollup_run_execute.delay(run_id)
    return stale


def recompute_enqueue(*, model_ids: list[int], trigger: str, trigger_object: str) -> RollupRun | None:
    """Record a pending run for these models now; send its task only once the transaction has committed.

    robust: a broker that is down must not turn a committed change into an error page; the pending run
    stays in the database and the sweep sends it once the broker is back."""
    from .tasks import rollup_run_execute

    if not model_ids:
        return None
    run = rollup_run_create(trigger=trigger, model_ids=model_ids, trigger_object=trigger_object)
    transaction.on_commit(lambda: rollup_run_execute.delay(run.id), robust=True)
    return run


FACTOR_FIELDS = ["kg_co2e_per_kg", "source", "year"]


def default_factor_update(*, actor, factor: DefaultFactor, kg_co2e_per_kg: Decimal, source: str, year: int):
    """The operator corrects a default factor; every model with lines of its material is recomputed."""
    organisation = organisation_of(actor)
    if organisation is None or organisation.kind != OrganisationKind.OPERATOR:
        raise ApplicationError(_("Only the platform operator changes default factors."), status_code=403)
    if kg_co2e_per_kg is None or kg_co2e_per_kg < 0:
        raise ApplicationError(_("A default factor cannot be negative."), field="kg_co2e_per_kg")
    if not (source or "").strip():
        raise ApplicationError(_("Name the source of the factor."), field="source")
    with transaction.atomic():
        factor = DefaultFactor.objects.select_for_update().get(pk=factor.pk)
        before = model_to_dict(factor, fields=FACTOR_FIELDS)
        factor.kg_co2e_per_kg, factor.source, factor.year = kg_co2e_per_kg, source.strip(), year
        factor.full_clean()
        factor.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.UPDATED,
            obj=factor,
            before=before,
            after=model_to_dict(factor, fields=FACTOR_FIELDS),
        )
        model_ids = list(
            BomLine.objects.filter(material_id=factor.material_id)
            .values_list("vehicle_model_id", flat=True)
            .distinct()
        )
        recompute_enqueue(
            model_ids=model_ids,
            trigger=RollupTrigger.DEFAULT_FACTOR_CHANGED,
            trigger_object=f"default_factor:{factor.pk}",
        )
    return factor


BOM_FIELDS = ("component", "system", "material", "mass_kg", "supplier_product", "share")


def bom_replace(*, actor, vehicle_model: VehicleModel, lines: list[dict]) -> list[BomLine]:
    """Replace a model's whole BOM in one transaction, or change nothing and name every bad line.

    Each line: component, system, material (Material), mass_kg, and optionally supplier_product (Product)
    with share when the component is bought from several suppliers (shares of a component add up to 1)."""
    organisation = organisation_of(actor)
    if organisation is None or organisation.id != vehicle_model.carmaker_id:
        raise ApplicationError(_("Only the carmaker that owns this model replaces its BOM."), status_code=403)
    errors, objects = [], []
    for number, data in enumerate(lines, start=1):
        unknown = set(data) - set(BOM_FIELDS)
        if unknown:
            errors.append(
                _("line %(n)d: unknown fields %(f)s") % {"n": number, "f": ", ".join(sorted(unknown))}
            )
            continue
        line = BomLine(vehicle_model=vehicle_model, **data)
        product = data.get("supplier_product")
        if line.mass_kg is not None and line.mass_kg < 0:
            errors.append(_("line %(n)d, mass_kg: a mass cannot be negative") % {"n": number})
            continue
        if line.share is not None and not (0 < line.share <= 1):
            errors.append(_("line %(n)d, share: a share is more than 0 and at most 1") % {"n": number})
            continue
        try:
            # the checks above are the table's constraints; validating them here costs no query per line
            line.full_clean(exclude=["vehicle_model"], validate_constraints=False)
        except ValidationError as error:
            errors.extend(
                _("line %(n)d, %(field)s: %(message)s")
                % {"n": number, "field": field, "message": " ".join(messages)}
                for field, messages in error.message_dict.items()
            )
            continue
        if product is not None and product.material_id != line.material_id:
            errors.append(
                _("line %(n)d: the supplier product is %(product)s, not %(material)s")
                % {"n": number, "product": product.material.code, "material": line.material.code}
            )
        objects.append(line)
    shares: dict[tuple, Decimal] = {}
    for line in objects:
        if line.share is not None:
            key = (line.component, line.material.code)
            shares[key] = shares.get(key, Decimal(0)) + line.share
    for (component, material), total in shares.items():
        if abs(total - 1) > Decimal(str(SHARE_TOLERANCE)):
            errors.append(
                _("component %(c)s (%(m)s): shares add up to %(total)s, not 1")
                % {"c": component, "m": material, "total": f"{total:.4f}"}
            )
    if errors:
        raise ApplicationError("; ".join(errors), field="lines")
    with transaction.atomic():
        VehicleModel.objects.select_for_update().filter(pk=vehicle_model.pk).first()
        old = BomLine.objects.filter(vehicle_model=vehicle_model)
        before = {"lines": old.count(), "mass_kg": sum((line.mass_kg for line in old), Decimal(0))}
        old.delete()
        created = BomLine.objects.bulk_create(objects, batch_size=2000)
        VehicleModel.objects.filter(pk=vehicle_model.pk).update(bom_updated_at=timezone.now())
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.UPDATED,
            obj=vehicle_model,
            before={"bom": before},
            after={
                "bom": {"lines": len(created), "mass_kg": sum((line.mass_kg for line in created), Decimal(0))}
            },
        )
        recompute_enqueue(
            model_ids=[vehicle_model.pk],
            trigger=RollupTrigger.BOM_CHANGED,
            trigger_object=f"vehicle_model:{vehicle_model.pk}",
        )
    return created
