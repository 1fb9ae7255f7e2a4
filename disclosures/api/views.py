"""The supplier and auditor API: the same operations as the pages, through the same services."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from carbon_platform.exports import ExportableListMixin
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of

from .. import selectors, services
from ..choices import SourceFormat
from ..filters import DeclarationFilter, ImportBatchFilter, PlantFilter, ProductFilter
from ..models import Declaration, ImportBatch, Plant, Product, Review
from ..validators import validate_pdf
from .serializers import (
    DecisionSerializer,
    DeclarationSerializer,
    DeclarationWriteSerializer,
    ImportBatchSerializer,
    ImportCommitResultSerializer,
    ImportUploadSerializer,
    PlantSerializer,
    ProductSerializer,
    WithdrawSerializer,
)


class OrganisationMixin:
    def schema_only(self) -> bool:
        """True while drf-spectacular inspects the view: there is no organisation then."""
        return getattr(self, "swagger_fake_view", False)

    def organisation(self):
        organisation = organisation_of(self.request.user)
        if organisation is None:
            raise PermissionDenied("Your account belongs to no organisation.")
        return organisation

    def require_kind(self, *kinds):
        organisation = self.organisation()
        if organisation.kind not in kinds:
            raise PermissionDenied(f"This needs a {' or '.join(kinds)} account.")
        return organisation


PLANT_EXAMPLE = {"id": 3, "name": "Anshan works", "name_zh": "鞍山厂", "province": "LN", "city": "Anshan"}


@extend_schema_view(
    list=extend_schema(
        summary="Your plants (suppliers)",
        examples=[
            OpenApiExample(
                "One plant",
                response_only=True,
                value=PLANT_EXAMPLE,
            )
        ],
    ),
    retrieve=extend_schema(summary="One of your plants"),
    create=extend_schema(
        summary="Register a plant",
        examples=[
            OpenApiExample(
                "A plant in Liaoning", request_only=True, value={"name": "Anshan works", "province": "LN"}
            )
        ],
    ),
    update=extend_schema(summary="Edit a plant"),
    partial_update=extend_schema(summary="Edit some fields of a plant"),
)
class PlantViewSet(
    ExportableListMixin,
    OrganisationMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A supplier's plants."""

    serializer_class = PlantSerializer
    filterset_class = PlantFilter

    def get_queryset(self):
        if self.schema_only():
            return Plant.objects.none()
        return Plant.objects.filter(supplier=self.require_kind(OrganisationKind.SUPPLIER)).order_by("name")

    def create(self, request, *args, **kwargs):
        # Who asks before what they sent: a carmaker's product naming a plant would otherwise be told
        # the plant does not exist (400) rather than that only suppliers register products (403).
        self.require_kind(OrganisationKind.SUPPLIER)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.plant_create(actor=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.plant_update(
            actor=self.request.user, plant=serializer.instance, data=serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(
        summary="Your products (suppliers)",
        examples=[
            OpenApiExample(
                "One coil",
                response_only=True,
                value={
                    "id": 31,
                    "name": "Hot-rolled coil Q235B",
                    "grade": "Q235B",
                    "material": "steel.hot_rolled_coil",
                    "route": "bf_bof",
                    "plant": 3,
                    "declared_unit": "t",
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="One of your products"),
    create=extend_schema(summary="Register a product"),
    update=extend_schema(summary="Edit a product"),
    partial_update=extend_schema(summary="Edit some fields of a product"),
)
class ProductViewSet(PlantViewSet):
    """A supplier's products: material by code, route, plant."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        if self.schema_only():
            return Product.objects.none()
        organisation = self.require_kind(OrganisationKind.SUPPLIER)
        return Product.objects.filter(supplier=organisation).select_related("material").order_by("name")

    def get_serializer(self, *args, **kwargs):
        kwargs["organisation"] = None if self.schema_only() else self.organisation()
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.product_create(actor=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.product_update(
            actor=self.request.user, product=serializer.instance, data=serializer.validated_data
        )


DECLARATION_EXAMPLE = {
    "id": 31,
    "product": 31,
    "supplier": "Supplier A",
    "material": "steel.hot_rolled_coil",
    "version": 1,
    "supersedes": None,
    "status": "approved",
    "plant": 3,
    "registration_number": "EPD-CN-2026-0001",
    "standard": "EN 15804+A2",
    "programme_operator": "EPD China",
    "verifier": "CQC",
    "pcr": "PCR 2019:14",
    "issue_date": "2026-01-10",
    "valid_until": "2030-12-31",
    "declared_unit": "t",
    "declared_amount": "1.000000",
    "mass_kg_per_declared_unit": None,
    "gwp_a1_a3_kg_co2e": "2075.500000",
    "gwp_a4_kg_co2e": None,
    "gwp_c1_kg_co2e": None,
    "gwp_c2_kg_co2e": None,
    "gwp_c3_kg_co2e": None,
    "gwp_c4_kg_co2e": None,
    "gwp_d_kg_co2e": "-150.500000",
    "gwp_total_declared_kg_co2e": None,
    "recycled_content_pct": "12.00",
    "renewable_electricity_pct": None,
    "source_format": "api",
    "document": "https://platform.example/declarations/31/document/",
    "submitted_at": "2026-01-11T09:00:00+08:00",
    "decided_at": "2026-01-12T15:30:00+08:00",
    "created_at": "2026-01-10T17:00:00+08:00",
    "updated_at": "2026-01-12T15:30:00+08:00",
    "findings": [],
    "reviews": [
        {
            "decision": "approve",
            "comment": "",
            "reviewer_organisation": "Auditor",
            "created_at": "2026-01-12T15:30:00+08:00",
        }
    ],
}


@extend_schema_view(
    list=extend_schema(
        summary="Declarations (EPDs) you may see",
        description="Suppliers: their own, in every status. Auditors: every submitted or decided one of other "
        "organisations. Carmakers: approved declarations of products in their BOMs.",
        examples=[
            OpenApiExample(
                "An approved EPD",
                response_only=True,
                value=DECLARATION_EXAMPLE,
            )
        ],
    ),
    retrieve=extend_schema(summary="A declaration you may see"),
    create=extend_schema(
        summary="Create a draft declaration (suppliers)",
        responses={201: DeclarationSerializer},
        examples=[
            OpenApiExample(
                "A draft",
                request_only=True,
                value={
                    "product": 31,
                    "registration_number": "EPD-CN-2026-0001",
                    "issue_date": "2026-01-10",
                    "valid_until": "2030-12-31",
                    "declared_unit": "t",
                    "declared_amount": "1",
                    "gwp_a1_a3_kg_co2e": "2075.5",
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Edit a draft or a declaration sent back for changes (suppliers)",
        responses=DeclarationSerializer,
    ),
    partial_update=extend_schema(
        summary="Edit some fields of a draft or a declaration sent back (suppliers)",
        responses=DeclarationSerializer,
    ),
    submit=extend_schema(
        summary="Submit for review (suppliers)", request=None, responses=DeclarationSerializer
    ),
    new_version=extend_schema(
        summary="Start a new version of an approved declaration (suppliers)",
        request=None,
        responses={201: DeclarationSerializer},
    ),
    withdraw=extend_schema(
        summary="Withdraw an approved declaration (suppliers)",
        request=WithdrawSerializer,
        responses=DeclarationSerializer,
    ),
    decide=extend_schema(
        summary="Approve, reject or request changes (auditors)",
        description="A comment is required to reject or request changes. Nobody decides on a declaration of "
        "their own organisation.",
        request=DecisionSerializer,
        responses=DeclarationSerializer,
        examples=[
            OpenApiExample(
                "Send back",
                request_only=True,
                value={"decision": "request_changes", "comment": "Name the verifier."},
            )
        ],
    ),
)
class DeclarationViewSet(
    ExportableListMixin,
    OrganisationMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Suppliers: their own declarations in every status. Auditors: every submitted or decided one of others.
    Carmakers: approved declarations of products in their BOMs."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = DeclarationFilter
    search_fields = ["registration_number", "product__name", "product__supplier__name"]
    ordering_fields = ["created_at", "submitted_at", "valid_until", "gwp_a1_a3_kg_co2e"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if self.schema_only():
            return Declaration.objects.none()
        queryset = selectors.declarations_visible_to(organisation=self.organisation())
        return queryset.select_related("product__supplier", "product__material").prefetch_related(
            "findings", Prefetch("reviews", queryset=Review.objects.select_related("reviewer_organisation"))
        )

    def get_serializer_class(self):
        return (
            DeclarationWriteSerializer
            if self.action in ("create", "update", "partial_update")
            else DeclarationSerializer
        )

    def get_serializer(self, *args, **kwargs):
        if self.get_serializer_class() is DeclarationWriteSerializer and not self.schema_only():
            kwargs["organisation"] = self.organisation()
        return super().get_serializer(*args, **kwargs)

    def _read(self, declaration, status_code=status.HTTP_200_OK):
        declaration = self.get_queryset().get(pk=declaration.pk)
        return Response(
            DeclarationSerializer(declaration, context=self.get_serializer_context()).data, status=status_code
        )

    def _content(self, data: dict) -> dict:
        data = {name: value for name, value in data.items() if name != "product"}
        if self.action == "create":
            data.setdefault("source_format", SourceFormat.API)
        if data.get("document"):
            validate_pdf(data["document"])
        return data

    def create(self, request, *args, **kwargs):
        self.require_kind(OrganisationKind.SUPPLIER)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_create(
            actor=request.user,
            product=serializer.validated_data["product"],
            data=self._content(serializer.validated_data),
        )
        return self._read(declaration, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        self.require_kind(OrganisationKind.SUPPLIER)
        declaration = self.get_object()
        serializer = self.get_serializer(declaration, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_update(
            actor=request.user, declaration=declaration, data=self._content(serializer.validated_data)
        )
        return self._read(declaration)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        self.require_kind(OrganisationKind.SUPPLIER)
        return self._read(services.declaration_submit(actor=request.user, declaration=self.get_object()))

    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        self.require_kind(OrganisationKind.SUPPLIER)
        draft = services.declaration_new_version(actor=request.user, declaration=self.get_object())
        return self._read(draft, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=WithdrawSerializer)
    def withdraw(self, request, pk=None):
        self.require_kind(OrganisationKind.SUPPLIER)
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        declaration = services.declaration_withdraw(
            actor=request.user, declaration=self.get_object(), reason=body.validated_data["reason"]
        )
        return self._read(declaration)

    @action(detail=True, methods=["post"], serializer_class=DecisionSerializer)
    def decide(self, request, pk=None):
        self.require_kind(OrganisationKind.AUDITOR)
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        declaration = self.get_object()
        services.declaration_decide(actor=request.user, declaration=declaration, **body.validated_data)
        return self._read(declaration)


@extend_schema_view(
    list=extend_schema(
        summary="Your import batches (suppliers)",
        description="Newest first; `records` is empty in the list (read one batch for its preview).",
        examples=[
            OpenApiExample(
                "A validated CSV",
                response_only=True,
                value={
                    "id": 5,
                    "filename": "epds.csv",
                    "source_format": "csv",
                    "status": "validated",
                    "progress_pct": 100,
                    "error": "",
                    "rows_total": 1,
                    "rows_valid": 1,
                    "rows_invalid": 0,
                    "declarations_created": 0,
                    "product": None,
                    "created_at": "2026-01-10T17:00:00+08:00",
                    "finished_at": "2026-01-10T17:00:02+08:00",
                    "records": [],
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="An import batch with its preview: every record, its errors and findings"),
    create=extend_schema(
        summary="Upload a CSV, XLSX, openEPD JSON or ILCD+EPD XML/ZIP file for a preview (suppliers)",
        description="Multipart field `file`; `product` names the product an openEPD or ILCD file declares.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportBatchSerializer},
    ),
    commit=extend_schema(
        summary="Save a validated batch's records as draft declarations (suppliers)",
        request=None,
        responses=ImportCommitResultSerializer,
    ),
)
class ImportBatchViewSet(
    ExportableListMixin,
    OrganisationMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Upload a CSV, XLSX, openEPD or ILCD file; read its preview; commit it."""

    serializer_class = ImportBatchSerializer
    filterset_class = ImportBatchFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if self.schema_only():
            return ImportBatch.objects.none()
        return ImportBatch.objects.filter(organisation=self.require_kind(OrganisationKind.SUPPLIER)).order_by(
            "-created_at"
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_records": self.action != "list"}

    def create(self, request, *args, **kwargs):
        organisation = self.require_kind(OrganisationKind.SUPPLIER)
        body = ImportUploadSerializer(data=request.data, organisation=organisation)
        body.is_valid(raise_exception=True)
        batch = services.import_batch_upload(
            actor=request.user, upload=body.validated_data["file"], product=body.validated_data.get("product")
        )
        return Response(self.get_serializer(batch).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        batch = self.get_object()
        created = services.import_batch_commit(actor=request.user, batch=batch)
        batch.refresh_from_db()
        return Response({**self.get_serializer(batch).data, "declarations": [d.pk for d in created]})
