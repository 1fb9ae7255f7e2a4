"""Validators of uploaded supplier files."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PDF_BYTES = 10 * 1024 * 1024


def validate_pdf(upload) -> None:
    """An EPD document must really be a PDF (checked by its bytes, not its name) and at most 10 MB."""
    if upload.size > MAX_PDF_BYTES:
        raise ValidationError(
            _("The PDF is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": upload.size / 1e6, "limit": MAX_PDF_BYTES // (1024 * 1024)}
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(0, upload.size - 2048))
    tail = upload.read()
    upload.seek(position)
    if not head.lstrip(b"\r\n\t ").startswith(b"%PDF-") or b"%%EOF" not in tail:
        raise ValidationError(
            _("%(name)s is not a PDF document.") % {"name": getattr(upload, "name", "The file")}
        )
