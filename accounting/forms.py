"""Browser forms of the accounting side."""

from django import forms
from django.utils.translation import gettext_lazy as _


class BomImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or XLSX with the template's columns; English or Chinese headers."),
    )
