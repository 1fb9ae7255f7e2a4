"""Serializers of the supplier and auditor API: plain shapes in and out; the services decide and validate."""

from rest_framework import serializers

from carbon_platform.tenancy.selectors import organisation_of

from ..models import Declaration, Finding, ImportBatch, Plant, Product, Review
from ..selectors import sees_declaration_source
from ..services import DECLARATION_CONTENT_FIELDS


class PlantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plant
        fields = ["id", "name", "name_zh", "province", "city"]


class ProductSerializer(serializers.ModelSerializer):
    material = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.material.field.related_model.objects.all()
    )

    class Meta:
        model = Product
        fields = ["id", "name", "grade", "material", "route", "plant", "declared_unit"]

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["plant"].queryset = Plant.objects.filter(supplier=organisation)


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["code", "severity", "field", "message_en", "message_zh"]


class ReviewSerializer(serializers.ModelSerializer):
    reviewer_organisation = serializers.CharField(source="reviewer_organisation.name")

    class Meta:
        model = Review
        fields = ["decision", "comment", "reviewer_organisation", "created_at"]


class DeclarationSerializer(serializers.ModelSerializer):
    """A declaration as read: content, workflow state, findings and reviews (no raw source document)."""

    supplier = serializers.CharField(source="product.supplier.name", read_only=True)
    material = serializers.CharField(source="product.material.code", read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    document = serializers.SerializerMethodField()

    class Meta:
        model = Declaration
        fields = [
            "id",
            "product",
            "supplier",
            "material",
            "version",
            "supersedes",
            "status",
            *[name for name in DECLARATION_CONTENT_FIELDS if name not in {"document", "source_document"}],
            "document",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
            "findings",
            "reviews",
        ]
        read_only_fields = fields

    def get_document(self, declaration) -> str | None:
        """The EPD document's page, for those who may open it (its supplier and auditors), else null."""
        request = self.context.get("request")
        organisation = organisation_of(request.user) if request else None
        if not declaration.document or (
            organisation is not None
            and not sees_declaration_source(organisation=organisation, declaration=declaration)
        ):
            return None
        path = f"/declarations/{declaration.pk}/document/"
        return request.build_absolute_uri(path) if request else path


class DeclarationWriteSerializer(serializers.ModelSerializer):
    """What a supplier sends to create or edit a draft; cross-field rules run in the service."""

    class Meta:
        model = Declaration
        fields = [
            "product",
            *[
                name
                for name in DECLARATION_CONTENT_FIELDS
                if name not in {"source_format", "source_document"}
            ],
        ]
        extra_kwargs = {"document": {"required": False}}

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["product"].queryset = Product.objects.filter(supplier=organisation)
            self.fields["plant"].queryset = Plant.objects.filter(supplier=organisation)
        if self.instance is not None:
            self.fields["product"].read_only = True

    def validate(self, attrs):
        # The model's own checks (constraints, clean) run in the service; keep DRF from running them twice.
        return attrs


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "request_changes"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ImportBatchSerializer(serializers.ModelSerializer):
    records = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "filename",
            "source_format",
            "status",
            "progress_pct",
            "error",
            "rows_total",
            "rows_valid",
            "rows_invalid",
            "declarations_created",
            "product",
            "created_at",
            "finished_at",
            "records",
        ]
        read_only_fields = fields

    def get_records(self, batch) -> list[dict]:
        if not self.context.get("with_records"):
            return []
        return [
            {key: value for key, value in record.items() if key != "raw_document"} for record in batch.records
        ]


class ImportCommitResultSerializer(ImportBatchSerializer):
    """The committed batch and the ids of the draft declarations it created."""

    declarations = serializers.ListField(child=serializers.IntegerField())

    class Meta(ImportBatchSerializer.Meta):
        fields = [*ImportBatchSerializer.Meta.fields, "declarations"]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.none(), required=False, allow_null=True
    )

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["product"].queryset = Product.objects.filter(supplier=organisation)
