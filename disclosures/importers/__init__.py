"""Parsers of supplier files into declaration drafts: one module per input format, no database access.

Every parser turns the bytes of one uploaded file into `ParsedRecord`s and never writes anything: the
services validate the records, show a preview, and save all of them or none. A problem with the file as a
whole (wrong type, too large, unreadable, a forbidden XML construct) raises `ImportFileError`; a problem with
one record is an entry in that record's `errors`, naming the field, so the supplier can fix that row only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Hard caps that every parser applies before doing real work.
MAX_UPLOAD_BYTES = 20_000_000  # one uploaded file (decimal MB, as the messages say)
MAX_ARCHIVE_ENTRIES = 500  # files inside one zip
MAX_UNCOMPRESSED_BYTES = 100_000_000  # all entries of one zip together, decompressed
MAX_RECORDS = 50_000  # declarations in one upload


class ImportFileError(ValueError):
    """The file as a whole cannot be read; `message` says why in words a supplier understands."""

    def __init__(self, message: str, *, location: str = "", column: str = ""):
        self.message = message
        self.location = location  # e.g. "row 1 (header)", "EPD/processes/x.xml", "$.impacts"
        self.column = column  # the header a tabular file's problem is about, as the file wrote it
        super().__init__(f"{location}: {message}" if location else message)


@dataclass
class RecordError:
    field: str  # a Declaration field name, or a column/element name when no field matches
    message: str


@dataclass
class ParsedRecord:
    """One declaration as read from a file, before any database lookup.

    `fields` holds Declaration content fields with Python values (Decimal, date, str), only those the file
    gave. `product_ref` identifies the supplier's product where the format carries it (tabular files: a
    product id or name); `None` when the uploader chooses the product on the upload form (openEPD, ILCD).
    `info` carries descriptive extras shown in the preview (manufacturer, product name in the document).
    """

    location: str  # "row 7", "epd.json", "archive.zip:processes/abc.xml"
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    product_ref: dict[str, Any] | None = None
    info: dict[str, str] = field(default_factory=dict)
    raw_document: str = ""

    def error(self, field_name: str, message: str) -> None:
        self.errors.append(RecordError(field_name, message))

    @property
    def ok(self) -> bool:
        return not self.errors
