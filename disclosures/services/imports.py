"""The import workflow: upload a file, validate every record into a preview, then commit all of them or none.

Parsing is the importers' job (no database); this module resolves products, runs the model's own validation
and the automated checks on each record, stores the preview on the batch, and on commit writes every
declaration, its audit event and its findings in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carbon_platform.api import ApplicationError
from carbon_platform.bulk import insert_frame
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record, audit_record_many

from .. import checks
from ..choices import DeclarationStatus, ImportStatus, SourceFormat, Standard
from ..importers import MAX_UPLOAD_BYTES, ImportFileError, ParsedRecord
from ..importers.tabular import parse_tabular
from ..models import Declaration, Finding, ImportBatch, Product
from ..rules import declaration_rule_errors

# Files up to this size are validated in the request; larger ones by a Celery task with a progress bar.
INLINE_VALIDATION_BYTES = 512 * 1024
# Formats whose documents carry no product of ours: the uploader picks the product on the form.
FORMATS_NEEDING_PRODUCT = {SourceFormat.OPENEPD, SourceFormat.ILCD}
_FORMAT_BY_SUFFIX = {
    ".csv": SourceFormat.CSV,
    ".xlsx": SourceFormat.XLSX,
    ".json": SourceFormat.OPENEPD,
    ".xml": SourceFormat.ILCD,
    ".zip": SourceFormat.ILCD,
}
FINDING_KEYS = ("code", "severity", "field", "message_en", "message_zh")
_NOT_VALIDATED = {"product", "status", "version", "supersedes", "created_by", "plant", "document"}


def import_format_for(filename: str) -> str | None:
    """The import format a file name implies, or None when the suffix is not one we read."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return _FORMAT_BY_SUFFIX.get(suffix)


def _parse(source_format: str, data: bytes, filename: str) -> list[ParsedRecord]:
    if source_format in (SourceFormat.CSV, SourceFormat.XLSX):
        return parse_tabular(data, filename=filename)
    if source_format == SourceFormat.OPENEPD:
        from ..importers.openepd_json import parse_openepd

        return parse_openepd(data, filename=filename)
    if source_format == SourceFormat.ILCD:
        from ..importers.ilcd_xml import parse_ilcd

        return parse_ilcd(data, filename=filename)
    raise ImportFileError(_("Unknown import format %(format)s.") % {"format": source_format})


def import_batch_create(*, actor, upload, product: Product | None = None) -> ImportBatch:
    """Store an uploaded file as a batch; validate it now when small, else in a background task."""
    organisation = organisation_of(actor)
    if organisation is None or organisation.kind != OrganisationKind.SUPPLIER:
        raise ApplicationError(_("Only suppliers import declarations."), status_code=403)
    source_format = import_format_for(upload.name)
    if source_format is None:
        raise ApplicationError(
            _("%(name)s: upload a .csv, .xlsx, openEPD .json, or ILCD .xml or .zip file.")
            % {"name": upload.name},
            field="file",
        )
    if upload.size > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            _("%(name)s is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"name": upload.name, "size": upload.size / 1e6, "limit": MAX_UPLOAD_BYTES / 1e6},
            field="file",
        )
    if source_format in FORMATS_NEEDING_PRODUCT:
        if product is None:
            raise ApplicationError(_("Choose the product this document declares."), field="product")
        if product.supplier_id != organisation.id:
            raise ApplicationError(
                _("The product must be one of your own."), field="product", status_code=403
            )
    batch = ImportBatch(
        organisation=organisation,
        uploaded_by=actor,
        source_format=source_format,
        filename=upload.name[:255],
        product=product if source_format in FORMATS_NEEDING_PRODUCT else None,
        # The preview's messages are written in the uploader's language, also by the background task.
        language=translation.get_language() or "",
    )
    batch.file.save(upload.name, upload, save=False)
    batch.save()
    if upload.size <= INLINE_VALIDATION_BYTES:
        return import_batch_validate(batch_id=batch.id)
    from ..tasks import import_batch_validate as validate_task

    transaction.on_commit(lambda: validate_task.delay(batch.id), robust=True)
    return batch


# The refusal of a file checked in the request lists this many of its errors by row.
MAX_REFUSED_ERRORS = 200


class ImportRefusedError(ApplicationError):
    """A file checked in the request had errors and was not kept; `errors` name the row or place and field."""

    def __init__(self, message: str, *, errors: list[dict], error_count: int):
        super().__init__(message, field="file")
        self.errors = errors
        self.error_count = error_count

    def body(self) -> dict:
        return {**super().body(), "error_count": self.error_count, "errors": self.errors}


def import_batch_upload(*, actor, upload, product: Product | None = None) -> ImportBatch:
    """The upload of the pages and the API: `import_batch_create`, but a file checked in the request that has
    any error is refused with its errors and leaves nothing behind, neither the batch nor the stored file.
    A large file checked in the background keeps its batch, whose preview then shows the errors."""
    with transaction.atomic():
        batch = import_batch_create(actor=actor, upload=upload, product=product)
        if batch.status == ImportStatus.FAILED:
            errors = [
                {
                    "location": batch.error.split(": ", 1)[0] if ": " in batch.error else "file",
                    "field": "file",
                    "message": batch.error,
                }
            ]
            message = _("%(name)s was refused and nothing was saved: %(error)s") % {
                "name": batch.filename,
                "error": batch.error,
            }
        elif batch.status == ImportStatus.VALIDATED and batch.rows_invalid:
            errors = batch.row_errors[:MAX_REFUSED_ERRORS]
            message = ngettext(
                "%(name)s: %(count)d record has errors; nothing was saved. Fix it and upload the file again.",
                "%(name)s: %(count)d records have errors; nothing was saved. Fix them and upload the file again.",
                batch.rows_invalid,
            ) % {"name": batch.filename, "count": batch.rows_invalid}
        else:
            return batch
        batch.file.delete(save=False)  # file storage is not part of the transaction rolled back here
        raise ImportRefusedError(message, errors=errors, error_count=max(len(errors), len(batch.row_errors)))


def _progress(batch: ImportBatch, pct: int) -> None:
    batch.progress_pct = pct
    ImportBatch.objects.filter(pk=batch.pk).update(progress_pct=pct)


def import_batch_validate(*, batch_id: int) -> ImportBatch:
    """Parse the stored file and build the preview: every record with its errors and findings.

    Messages are written in the language the batch was uploaded in, whether this runs in the uploader's
    request or in the background task, which has no request and so no language of its own.
    """
    batch = ImportBatch.objects.select_related("organisation", "product__material").get(pk=batch_id)
    if batch.status not in (ImportStatus.UPLOADED, ImportStatus.VALIDATING):
        return batch
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        return _validate_batch(batch)


def _validate_batch(batch: ImportBatch) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.VALIDATING, progress_pct=5)
    try:
        with batch.file.open("rb") as handle:
            data = handle.read()
        records = _parse(batch.source_format, data, batch.filename)
    except ImportFileError as error:
        return _fail(batch, error)
    _progress(batch, 40)
    products = _resolve_products(batch, records)
    _progress(batch, 55)
    preview = _validate_records(batch, records, products)
    _progress(batch, 90)
    invalid = sum(1 for entry in preview if entry["errors"])
    batch.records = preview
    batch.rows_total = len(preview)
    batch.rows_invalid = invalid
    batch.rows_valid = len(preview) - invalid
    batch.row_errors = [
        {"location": entry["location"], **error} for entry in preview for error in entry["errors"]
    ][:1000]
    batch.status = ImportStatus.VALIDATED
    batch.progress_pct = 100
    batch.save()
    return batch


def _fail(batch: ImportBatch, error: ImportFileError) -> ImportBatch:
    batch.status = ImportStatus.FAILED
    batch.error = f"{error.location}: {error.message}" if error.location else error.message
    batch.progress_pct = 100
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def _resolve_products(batch: ImportBatch, records: list[ParsedRecord]) -> list[Product | None]:
    if batch.product is not None:
        return [batch.product] * len(records)
    own = list(Product.objects.filter(supplier=batch.organisation).select_related("material"))
    by_id = {product.id: product for product in own}
    by_name: dict[str, list[Product]] = {}
    for product in own:
        by_name.setdefault(product.name.strip().lower(), []).append(product)
    resolved = []
    for record in records:
        reference = record.product_ref or {}
        product = None
        if "id" in reference:
            product = by_id.get(reference["id"])
            if product is None:
                record.error("product", _("No product of yours has id %(id)s.") % {"id": reference["id"]})
        elif "name" in reference:
            matches = by_name.get(reference["name"].strip().lower(), [])
            if len(matches) == 1:
                product = matches[0]
            elif matches:
                record.error(
                    "product",
                    _("Several of your products are named '%(name)s'; use the id.")
                    % {"name": reference["name"]},
                )
            else:
                record.error(
                    "product", _("No product of yours is named '%(name)s'.") % {"name": reference["name"]}
                )
        elif not any(error.field == "product" for error in record.errors):
            record.error("product", _("Product (id or name) is required."))
        resolved.append(product)
    return resolved


def _validate_records(batch, records: list[ParsedRecord], products: list[Product | None]) -> list[dict]:
    numbers = Counter(record.fields.get("registration_number") for record in records)
    taken = _registration_numbers_taken(records, products)
    today = timezone.localdate()
    chinese = (translation.get_language() or "").lower().startswith("zh")
    preview = []
    for record, product in zip(records, products, strict=True):
        _field_errors(record)
        number = record.fields.get("registration_number")
        if number and numbers[number] > 1:
            record.error(
                "registration_number",
                _("Registration number %(number)s appears %(count)d times in this file.")
                % {"number": number, "count": numbers[number]},
            )
        findings = []
        if (
            product is not None and not record.errors
        ):  # findings on a broken record would only repeat its errors
            findings = checks.run_checks(
                record.fields,
                family=product.material.family,
                route=product.route,
                today=today,
                registration_taken_elsewhere=(number, product.id) in taken,
                has_document=False,
            )
            if "standard" not in record.fields:
                record.fields["standard"] = Standard.EN_15804_A2
                findings.append(
                    checks.CheckFinding(
                        "standard.assumed",
                        "info",
                        "standard",
                        "The file names no standard; EN 15804+A2 is assumed. Correct it in the draft if wrong.",
                        "文件未注明标准；默认采用EN 15804+A2。如有误，请在草稿中更正。",
                    )
                )
            for finding in findings:  # the blocking ones stop the commit like any other error
                if finding.severity == "error" and not any(e.field == finding.field for e in record.errors):
                    record.error(finding.field, finding.message_zh if chinese else finding.message_en)
        preview.append(
            {
                "location": record.location,
                "product_id": product.id if product else None,
                "plant_id": product.plant_id if product else None,
                "product": product.name if product else (record.product_ref or {}).get("name", ""),
                "fields": {name: _text(value) for name, value in record.fields.items()},
                "info": record.info,
                "errors": [asdict(error) for error in record.errors],
                "findings": [asdict(f) for f in findings if f.code != "document.missing"],
                "raw_document": record.raw_document,
            }
        )
    return preview


def _field_errors(record: ParsedRecord) -> None:
    """The model's own field validation (lengths, digits, choices) and cross-field rules, per present field."""
    failed = {error.field for error in record.errors}
    for name, value in record.fields.items():
        if name in failed or name not in _DECLARATION_FIELDS:
            continue
        field = Declaration._meta.get_field(name)
        try:
            field.validate(value, None)
            field.run_validators(value)
        except ValidationError as error:
            record.error(name, " ".join(error.messages))
            failed.add(name)
    present = {name: value for name, value in record.fields.items() if name not in failed}
    for name, message in declaration_rule_errors(present).items():
        if name not in failed:
            record.error(name, str(message))


def _registration_numbers_taken(records, products) -> set[tuple[str, int]]:
    """(registration number, product id) pairs whose number another product's declaration already uses."""
    numbers = {record.fields.get("registration_number") for record in records} - {None}
    existing: dict[str, set[int]] = {}
    for number, product_id in Declaration.objects.filter(registration_number__in=numbers).values_list(
        "registration_number", "product_id"
    ):
        existing.setdefault(number, set()).add(product_id)
    return {
        (record.fields.get("registration_number"), product.id)
        for record, product in zip(records, products, strict=True)
        if product is not None
        and existing.get(record.fields.get("registration_number"), set()) - {product.id}
    }


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def import_batch_commit(*, actor, batch: ImportBatch) -> list[Declaration]:
    """Write every record of a validated batch as a draft declaration, or nothing at all."""
    organisation = organisation_of(actor)
    if organisation is None or organisation.id != batch.organisation_id:
        raise ApplicationError(_("Only the uploader's organisation can commit this import."), status_code=403)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportStatus.VALIDATED:
            raise ApplicationError(
                _("Only a validated import can be committed; this one is %(status)s.")
                % {"status": batch.get_status_display()}
            )
        if batch.rows_invalid:
            raise ApplicationError(
                _("%(count)d rows have errors; fix them and upload the file again. Nothing was saved.")
                % {"count": batch.rows_invalid}
            )
        insert_frame(Declaration._meta.db_table, _declaration_rows(batch, actor))
        created = list(Declaration.objects.filter(import_batch=batch).order_by("id"))  # COPY keeps file order
        audit_record_many(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED,
            entries=[
                (
                    declaration,
                    None,
                    {"status": declaration.status, "import_batch": batch.pk, "location": entry["location"]},
                )
                for declaration, entry in zip(created, batch.records, strict=True)
            ],
        )
        findings = [
            (declaration.pk, finding)
            for declaration, entry in zip(created, batch.records, strict=True)
            # the preview leaves out "no PDF attached", true of every imported draft until one is added
            for finding in [*entry["findings"], asdict(checks.document_missing())]
        ]
        insert_frame(
            Finding._meta.db_table,
            pd.DataFrame(
                {
                    "declaration_id": [declaration_id for declaration_id, _f in findings],
                    **{key: [f[key] for _d, f in findings] for key in FINDING_KEYS},
                    "created_at": connection.ops.adapt_datetimefield_value(timezone.now()),
                }
            ),
        )
        batch.status = ImportStatus.COMMITTED
        batch.declarations_created = len(created)
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "declarations_created", "finished_at"])
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED,
            obj=batch,
            after={"filename": batch.filename, "declarations": len(created), "format": batch.source_format},
        )
    return created


def _declaration_rows(batch: ImportBatch, actor) -> pd.DataFrame:
    """Every record of the batch as a draft's table row: the preview's text values, else field defaults."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fixed_values = {
        "status": DeclarationStatus.DRAFT,
        "version": 1,
        "created_by_id": actor.pk,
        "created_at": now,
        "updated_at": now,
        "import_batch_id": batch.pk,
        "source_format": batch.source_format,
    }
    columns: dict[str, list] = {}
    for field in Declaration._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.attname
        if name in fixed_values:
            columns[name] = [fixed_values[name]] * len(batch.records)
        elif name in ("product_id", "plant_id"):
            columns[name] = [entry.get(name) for entry in batch.records]
        elif name == "source_document":
            columns[name] = [entry.get("raw_document") or "" for entry in batch.records]
        else:
            default = field.get_default() if field.has_default() or not field.null else None
            default = "" if default is None and not field.null else default
            columns[name] = [entry["fields"].get(name, default) for entry in batch.records]
    frame = pd.DataFrame(columns)
    for name in ("product_id", "plant_id", "supersedes_id"):  # nullable ids stay integers, not floats
        frame[name] = frame[name].astype("Int64")
    return frame


_DECLARATION_FIELDS = {
    field.name for field in Declaration._meta.concrete_fields if field.name not in _NOT_VALIDATED
} - {"id", "created_at", "updated_at", "submitted_at", "decided_at"}
