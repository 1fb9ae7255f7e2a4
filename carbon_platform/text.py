"""Checks of the free text people and files send: nothing invisible, reordering or control, no look-alikes in ids."""

import unicodedata

from django.utils.translation import gettext as _

# Stacked combining marks beyond this many on one letter are "zalgo" text, not a language's accents.
MAX_COMBINING_MARKS = 3
# What a registration number is written in besides ASCII letters and digits.
IDENTIFIER_PUNCTUATION = set(" -_./:#()")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


def text_problem(value) -> str | None:
    """Why a one-line text cannot be kept, or None: control characters (NUL included), invisible format
    characters (zero-width joiners, right-to-left overrides and the other bidirectional controls), lone
    surrogates, and letters buried under stacked combining marks."""
    if not isinstance(value, str):
        return None
    marks = 0
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs"):
            return _("Contains the invisible or control character %(char)s; remove it.") % {
                "char": _describe(char)
            }
        marks = marks + 1 if category == "Mn" else 0
        if marks > MAX_COMBINING_MARKS:
            return _("Contains more than %(count)d combining marks on one letter; remove them.") % {
                "count": MAX_COMBINING_MARKS
            }
    return None


def identifier_problem(value) -> str | None:
    """Why a registration number cannot be kept, or None: besides `text_problem`, only ASCII letters,
    digits and a little punctuation, so a Cyrillic С can never pass for a Latin C."""
    problem = text_problem(value)
    if problem or not isinstance(value, str):
        return problem
    for char in value:
        if not (char.isascii() and (char.isalnum() or char in IDENTIFIER_PUNCTUATION)):
            return _(
                "Write it in Latin letters, digits and - _ . / : # ( ) only; %(char)s is not one of them."
            ) % {"char": _describe(char)}
    return None
