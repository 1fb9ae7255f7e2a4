"""Admin for the operator: partner hosts (with the credentials they issued us), received events and requests."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import FootprintRequest, InboundEvent, Partner, ProductFootprintId


class HttpsURLField(forms.URLField):
    """A URL typed without a scheme means https: PACT hosts are https only."""

    def __init__(self, **kwargs):
        super().__init__(assume_scheme="https", **kwargs)


class PartnerForm(forms.ModelForm):
    """The client secret is never shown again; left empty on a change, the stored one is kept."""

    client_secret = forms.CharField(
        label=_("client secret"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Issued to us by the partner's host. Leave empty to keep the stored secret."),
    )

    class Meta:
        model = Partner
        fields = [
            "organisation",
            "name",
            "base_url",
            "auth_base_url",
            "client_id",
            "client_secret",
            "is_active",
        ]
        field_classes = {"base_url": HttpsURLField, "auth_base_url": HttpsURLField}

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret")
        if not secret and self.instance.pk:
            return self.instance.client_secret
        if not secret:
            raise forms.ValidationError(_("Enter the client secret the partner issued."))
        return secret


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ["name", "organisation", "base_url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "base_url", "organisation__name"]
    raw_id_fields = ["organisation"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "source", "organisation"]
    list_filter = ["type"]
    search_fields = ["event_id", "source"]


@admin.register(FootprintRequest)
class FootprintRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "partner", "status", "response_type", "error_code", "attempts"]
    list_filter = ["status", "error_code"]
    list_select_related = ["event", "partner"]


@admin.register(ProductFootprintId)
class ProductFootprintIdAdmin(ReadOnlyAdmin):
    list_display = ["pf_id", "footprint", "declaration", "created_at"]
    search_fields = ["=pf_id"]
    raw_id_fields = ["footprint", "declaration"]
