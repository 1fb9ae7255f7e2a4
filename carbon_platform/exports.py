"""CSV and XLSX export of any API list: the whole filtered, sorted list, flattened, safe to open in a spreadsheet."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from .api import ApplicationError

EXPORT_MAX_ROWS = 100_000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# DRF writes decimals as strings; these are numbers, and a negative one must stay a number, not text.
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")


def flatten(value, prefix: str = "") -> dict:
    """One row of cells from a nested value: `{"a": {"b": 1}, "c": [{"d": 2}]}` -> `{"a.b": 1, "c.0.d": 2}`."""
    if isinstance(value, dict):
        cells = {}
        for key, item in value.items():
            cells.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return cells
    if isinstance(value, list | tuple):
        cells = {}
        for index, item in enumerate(value):
            cells.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return cells
    return {prefix or "value": value}


def cell_value(value):
    """A number stays a number (decimal strings included); text that a spreadsheet would run as a formula
    gets a leading single quote, so it shows as typed and never runs."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if _NUMBER.fullmatch(text):
        return Decimal(text)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _records(data) -> list:
    """The rows of what a list view answered: a plain list, or the `results` of a paginated page."""
    if isinstance(data, dict):
        data = data.get("results", [data])
    return list(data or [])


def table(data) -> tuple[list[str], list[dict]]:
    """Headers (dotted paths, in order of first appearance) and flattened rows."""
    rows = [flatten(record) for record in _records(data)]
    headers = list(dict.fromkeys(key for row in rows for key in row))
    return headers, rows


class TabularRenderer(BaseRenderer):
    """A list as a table; `filename_extension` names the download."""

    filename_extension = ""


class CSVRenderer(TabularRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    filename_extension = "csv"

    def stream(self, data) -> Iterator[bytes]:
        headers, rows = table(data)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # Excel reads UTF-8 only with the BOM (Chinese names)

        def flush() -> bytes:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text.encode("utf-8")

        writer.writerow(headers)
        for number, row in enumerate(rows, start=1):
            writer.writerow([_csv_text(cell_value(row.get(header))) for header in headers])
            if number % 1000 == 0:
                yield flush()
        yield flush()

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"".join(self.stream(data))


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class XLSXRenderer(TabularRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"
    filename_extension = "xlsx"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        headers, rows = table(data)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("export")
        sheet.append([_xlsx_cell(header) for header in headers])
        for row in rows:
            sheet.append([_xlsx_cell(cell_value(row.get(header))) for header in headers])
        output = io.BytesIO()
        workbook.save(output)
        return output.getvalue()


def _xlsx_cell(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


EXPORT_RENDERERS = (CSVRenderer, XLSXRenderer)


class ExportableListMixin:
    """A viewset whose list also answers CSV (`?format=csv`, `Accept: text/csv`) and XLSX (`?format=xlsx`, the
    XLSX media type): every row of the filtered, sorted list rather than one page, up to EXPORT_MAX_ROWS.
    JSON stays the default; errors are always answered in JSON."""

    export_actions: Iterable[str] = ("list",)

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) in self.export_actions:
            renderers = [*renderers, *(renderer() for renderer in EXPORT_RENDERERS)]
        return renderers

    def exporting(self) -> TabularRenderer | None:
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer if isinstance(renderer, TabularRenderer) else None

    def export_rows(self):
        """What one export holds: the filtered, sorted queryset (a view whose list is not a queryset
        overrides this)."""
        return self.filter_queryset(self.get_queryset())

    def export_response(self, data):
        renderer = self.exporting()
        filename = f"{getattr(self, 'basename', None) or 'export'}.{renderer.filename_extension}"
        if isinstance(renderer, CSVRenderer):
            response = StreamingHttpResponse(renderer.stream(data), content_type="text/csv; charset=utf-8")
        else:
            response = Response(data)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def list(self, request, *args, **kwargs):
        if not self.exporting():
            return super().list(request, *args, **kwargs)
        rows = list(self.export_rows()[: EXPORT_MAX_ROWS + 1])
        if len(rows) > EXPORT_MAX_ROWS:
            raise ApplicationError(
                _(
                    "An export holds at most %(max)s rows and this list has more: narrow it with filters, "
                    "or page through the JSON list."
                )
                % {"max": f"{EXPORT_MAX_ROWS:,}"},
                field="format",
            )
        return self.export_response(self.get_serializer(rows, many=True).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # An error of an export (a bad filter, too many rows) is answered as JSON, never as a one-cell table.
        if getattr(response, "exception", False) and self.exporting():
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
