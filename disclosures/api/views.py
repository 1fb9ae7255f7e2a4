"""The supplier and auditor API: the same operations as the pages, through the same services."""

from django.db.models import Prefetch
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of

from .. import selectors, services
from ..choices import SourceFormat
from ..models import ImportBatch, Plant, Product, Review
from ..validators import validate_pdf
from .serializers import (
    DecisionSerializer,
    DeclarationSerializer,
    DeclarationWriteSerializer,
    ImportBatchSerializer,
    ImportUploadSerializer,
    PlantSerializer,
    ProductSerializer,
    WithdrawSerializer,
)


class OrganisationMixin:
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


class PlantViewSet(
    OrganisationMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A supplier's plants."""

    serializer_class = PlantSerializer

    def get_queryset(self):
        return Plant.objects.filter(supplier=self.require_kind(OrganisationKind.SUPPLIER)).order_by("name")

    def perform_create(self, serializer):
        serializer.instance = services.plant_create(actor=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.plant_update(
            actor=self.request.user, plant=serializer.instance, data=serializer.validated_data
        )


class ProductViewSet(PlantViewSet):
    """A supplier's products: material by code, route, plant."""

    serializer_class = ProductSerializer

    def get_queryset(self):
        organisation = self.require_kind(OrganisationKind.SUPPLIER)
        return Product.objects.filter(supplier=organisation).select_related("material").order_by("name")

    def get_serializer(self, *args, **kwargs):
        kwargs["organisation"] = self.organisation()
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.product_create(actor=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.product_update(
            actor=self.request.user, product=serializer.instance, data=serializer.validated_data
        )


class DeclarationViewSet(
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
    filterset_fields = ["status", "product", "product__material__code", "product__route"]
    search_fields = ["registration_number", "product__name", "product__supplier__name"]
    ordering_fields = ["created_at", "submitted_at", "valid_until", "gwp_a1_a3_kg_co2e"]
    ordering = ["-created_at"]

    def get_queryset(self):
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
        if self.get_serializer_class() is DeclarationWriteSerializer:
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


class ImportBatchViewSet(
    OrganisationMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Upload a CSV, XLSX, openEPD or ILCD file; read its preview; commit it."""

    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return ImportBatch.objects.filter(organisation=self.require_kind(OrganisationKind.SUPPLIER)).order_by(
            "-created_at"
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_records": self.action != "list"}

    def create(self, request, *args, **kwargs):
        organisation = self.require_kind(OrganisationKind.SUPPLIER)
        body = ImportUploadSerializer(data=request.data, organisation=organisation)
        body.is_valid(raise_exception=True)
        batch = services.import_batch_create(
            actor=request.user, upload=body.validated_data["file"], product=body.validated_data.get("product")
        )
        return Response(self.get_serializer(batch).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        batch = self.get_object()
        created = services.import_batch_commit(actor=request.user, batch=batch)
        batch.refresh_from_db()
        return Response({**self.get_serializer(batch).data, "declarations": [d.pk for d in created]})
