"""Defensive helpers the document importers share: size-capped zip reading and exact decimals.

A zip is checked twice. First from its central directory, before anything is decompressed: the number of
entries, every entry's name (no absolute paths, drive letters or `..`), no encrypted or nested archives, and
the declared sizes, each entry and all together. Then while reading: every entry is decompressed in chunks
and the bytes actually produced are counted against the same caps, so an archive whose headers lie about
the sizes cannot get past them (CPython's zipfile also stops at the declared size and then fails the CRC
check, which is reported as a damaged archive).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import BinaryIO

from django.utils.translation import gettext as _

from . import MAX_ARCHIVE_ENTRIES, MAX_UNCOMPRESSED_BYTES, MAX_UPLOAD_BYTES, ImportFileError

# One decompressed entry may be no larger than a whole upload may be.
MAX_ENTRY_BYTES = MAX_UPLOAD_BYTES
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ARCHIVE_SUFFIXES = (".zip", ".jar", ".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst")
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size < 10e6 else f"{size / 1e6:.0f} MB"


def is_zip(data: bytes) -> bool:
    return data[:4] in ZIP_MAGIC


def check_upload_size(data: bytes) -> None:
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is %(size)s; the limit is %(limit)s. Split it.")
            % {"size": megabytes(len(data)), "limit": megabytes(MAX_UPLOAD_BYTES)}
        )


def unsafe_name_reason(name: str) -> str | None:
    """Why an entry name could escape the folder it is unpacked into, or None when it is harmless.

    The reason completes the sentence "The zip entry name '<name>' ..." in the active language.
    """
    if "\x00" in name:
        return _("contains a NUL character")
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or _DRIVE.match(normalised):
        return _("is an absolute path")
    if any(part == ".." for part in normalised.split("/")):
        return _("climbs out of the archive with '..'")
    return None


def read_capped(stream: BinaryIO, limit: int, what: str) -> bytes:
    """Read a stream in chunks, refusing as soon as more than `limit` bytes come out of it.

    `what` names the stream as the subject of the refusal ("The zip entry x.xml"), in the active language.
    """
    buffer = io.BytesIO()
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return buffer.getvalue()
        size += len(chunk)
        if size > limit:
            raise ImportFileError(
                _("%(what)s unpacks to more than %(limit)s; that is over the limit.")
                % {"what": what, "limit": megabytes(limit)},
            )
        buffer.write(chunk)


class SafeZip:
    """A zip archive whose central directory has passed the checks; read entries with `read`."""

    def __init__(
        self,
        data: bytes,
        *,
        max_entries: int = MAX_ARCHIVE_ENTRIES,
        max_total: int = MAX_UNCOMPRESSED_BYTES,
        max_entry: int = MAX_ENTRY_BYTES,
    ):
        self.max_total, self.max_entry = max_total, max_entry
        self._unpacked = 0
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
            raise ImportFileError(
                _("The zip archive cannot be read (%(error)s).") % {"error": error}
            ) from error
        if len(infos) > max_entries:
            raise ImportFileError(
                _("The zip has %(count)d entries; the limit is %(limit)d. Split it into several uploads.")
                % {"count": len(infos), "limit": max_entries}
            )
        declared = 0
        for info in infos:
            reason = unsafe_name_reason(info.filename)
            if reason:
                raise ImportFileError(
                    _("The zip entry name '%(name)s' %(reason)s; such archives are refused.")
                    % {"name": info.filename, "reason": reason},
                    location=info.filename,
                )
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ImportFileError(
                    _("The zip entry is encrypted; upload an archive without a password."),
                    location=info.filename,
                )
            if info.filename.lower().endswith(_ARCHIVE_SUFFIXES):
                raise ImportFileError(
                    _("The zip contains another archive; nested archives are not allowed. Unpack it first."),
                    location=info.filename,
                )
            if info.file_size > max_entry:
                raise ImportFileError(
                    _("The entry unpacks to %(size)s; the limit for one file in a zip is %(limit)s.")
                    % {"size": megabytes(info.file_size), "limit": megabytes(max_entry)},
                    location=info.filename,
                )
            declared += info.file_size
        if declared > max_total:
            raise ImportFileError(
                _("The zip unpacks to %(size)s in total; the limit is %(limit)s.")
                % {"size": megabytes(declared), "limit": megabytes(max_total)}
            )
        self.infos = [info for info in infos if not info.is_dir()]

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """One entry's bytes, counted while decompressing against the per-entry and the total cap."""
        limit = min(self.max_entry, self.max_total - self._unpacked)
        try:
            with self._zip.open(info) as stream:
                content = read_capped(stream, limit, _("The zip entry %(name)s") % {"name": info.filename})
        except ImportFileError as error:
            raise ImportFileError(error.message, location=info.filename) from error
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as error:
            raise ImportFileError(
                _("The zip entry is damaged or uses an unsupported compression (%(error)s).")
                % {"error": error},
                location=info.filename,
            ) from error
        self._unpacked += len(content)
        if is_zip(content):
            raise ImportFileError(
                _("The zip contains another archive; nested archives are not allowed. Unpack it first."),
                location=info.filename,
            )
        return content


def to_decimal(text: object) -> Decimal | None:
    """A finite Decimal from a number or its text, or None when it is not one (NaN and infinities are not)."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, float):
        text = repr(text)  # the shortest text that round-trips, i.e. what the JSON file said
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def fit_places(value: Decimal, places: int) -> Decimal:
    """Round to the decimal places the database column keeps; write large values without an exponent."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(Decimal(1))
    return value


# Units of GWP: kg CO2e as written by openEPD ("kgCO2e") and ILCD+EPD ("kg CO2 eqv.", "kg CO2-Äqv."), or
# tonnes of CO2e, which the importers convert explicitly. Plain "kg CO2" is carbon dioxide only: not accepted.
_CO2E_UNIT = re.compile(
    r"^(?P<mass>kg|kilograms?|t|tonnes?|metrictons?)co2(?:e|eq|eqs|eqv|equiv|equivalents?|äqv|äquiv|äq|aeq|aequiv)$"
)
_KG_PER_CO2E_MASS = {"kg": Decimal(1), "kilogram": Decimal(1), "kilograms": Decimal(1)}


def co2e_factor(unit: str | None) -> Decimal | None:
    """kg CO2e in one of `unit` (1 for kg CO2e, 1000 for t CO2e), or None when `unit` is not CO2-equivalent."""
    if not unit:
        return None
    key = re.sub(r"[\s_\-.·()]", "", unit).lower().replace("₂", "2")
    match = _CO2E_UNIT.match(key)
    if not match:
        return None
    return _KG_PER_CO2E_MASS.get(match.group("mass"), Decimal(1000))
