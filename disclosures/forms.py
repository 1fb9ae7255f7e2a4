"""Browser forms of the supplier and auditor pages; validation only, the services do the writing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounting.choices import MaterialFamily
from accounting.models import Material

from .choices import DeclaredUnit, ReviewDecision
from .models import Declaration, Plant, Product
from .selectors import products_of
from .services import DECLARATION_CONTENT_FIELDS
from .validators import validate_pdf

# What the browser form edits: the product, then the service's content fields except the import-only ones.
IMPORT_ONLY_FIELDS = {"source_format", "source_document"}
FORM_FIELDS = ["product"] + [name for name in DECLARATION_CONTENT_FIELDS if name not in IMPORT_ONLY_FIELDS]


class ProductChoiceField(forms.ModelChoiceField):
    """Names each product with whether it already has an approved declaration, which is what a supplier picks by."""

    def label_from_instance(self, product):
        if getattr(product, "has_approved_declaration", False):
            return _("%(product)s (has an approved EPD)") % {"product": product}
        return _("%(product)s (no approved EPD yet)") % {"product": product}


class DeclarationForm(forms.ModelForm):
    """A supplier's declaration of one of its own products."""

    class Meta:
        model = Declaration
        fields = FORM_FIELDS
        field_classes = {"product": ProductChoiceField}
        widgets = {
            "issue_date": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "gwp_a1_a3_kg_co2e": _("kg CO2e per declared unit, cradle to gate (required)."),
            "mass_kg_per_declared_unit": _("Only for declared units that are not a mass (m2, piece)."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_of(organisation=organisation)
        self.fields["plant"].queryset = Plant.objects.filter(supplier=organisation)
        self.fields["declared_unit"].error_messages["invalid_choice"] = _(
            "%(value)s is not a declared unit this form knows; choose one of: "
        ) + ", ".join(str(value) for value in DeclaredUnit.values)
        self.fields["gwp_a1_a3_kg_co2e"].widget.attrs["min"] = "0"
        self.fields["document"].validators.append(validate_pdf)
        self.fields["document"].widget.attrs["accept"] = "application/pdf"
        self.fields["declared_amount"].widget.attrs["min"] = "0"

    def service_data(self) -> dict:
        """The cleaned content fields, shaped for `declaration_create`."""
        return {
            name: value for name, value in self.cleaned_data.items() if name in DECLARATION_CONTENT_FIELDS
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, label=_("Decision"))
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("Comment"),
        help_text=_("Required to reject or request changes."),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") in {ReviewDecision.REJECT, ReviewDecision.REQUEST_CHANGES}
            and not (cleaned.get("comment") or "").strip()
        ):
            self.add_error("comment", _("A comment is required to reject or request changes."))
        return cleaned


class PlantForm(forms.ModelForm):
    class Meta:
        model = Plant
        fields = ["name", "name_zh", "province", "city"]


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "grade", "material", "route", "plant", "declared_unit"]
        help_texts = {
            "route": _(
                "Steel: BF-BOF, scrap EAF or DRI-EAF. Aluminium: primary (coal or hydro power) or secondary."
            )
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.supplier = organisation
        self.fields["material"].queryset = Material.objects.filter(
            family__in=[MaterialFamily.STEEL, MaterialFamily.ALUMINIUM]
        ).order_by("code")
        self.fields["plant"].queryset = Plant.objects.filter(supplier=organisation)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or XLSX (the template), openEPD JSON, or ILCD+EPD XML or ZIP."),
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        label=_("Product"),
        help_text=_("For openEPD and ILCD files only: the product the document declares."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(supplier=organisation)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
