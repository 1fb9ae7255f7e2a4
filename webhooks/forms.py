"""Browser form of the webhooks: a new subscription."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SUBSCRIBABLE_EVENT_TYPES, EventType


class SubscriptionForm(forms.Form):
    target_url = forms.URLField(
        label=_("Target URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// endpoint of yours that answers 2xx within 10 seconds."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(value, EventType(value).label) for value in SUBSCRIBABLE_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    threshold_pct = forms.DecimalField(
        label=_("Threshold (percent of the previous total)"),
        max_digits=7,
        decimal_places=3,
        min_value=0,
        required=False,
        help_text=_("For footprint changes: fire when a model's total moved by more than this percentage."),
    )
    threshold_kg_co2e = forms.DecimalField(
        label=_("Threshold (kg CO2e)"),
        max_digits=14,
        decimal_places=4,
        min_value=0,
        required=False,
        help_text=_(
            "Or by more than this many kg CO2e. Either threshold exceeded is enough; with neither, any change."
        ),
    )

    def service_data(self) -> dict:
        return {**self.cleaned_data, "event_types": list(self.cleaned_data["event_types"])}
