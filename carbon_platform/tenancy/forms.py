"""Browser forms of the tenancy pages; validation only, the services do the writing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ApiScope


class ApiClientForm(forms.Form):
    """A new API client: a name people recognise it by and the scopes its tokens may carry."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the client is, e.g. the ERP system that sends BOMs."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiScope.choices,
        initial=[ApiScope.READ],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Reading (GET) needs read; replacing BOMs or submitting declarations needs write."),
    )
