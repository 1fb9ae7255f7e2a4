"""API of the carmaker side: vehicle models and their footprints (totals public to any signed-in organisation,
supplier-level detail only for the owner carmaker and auditors), BOMs, materials and default factors,
recompute runs, and the carmaker's BOM file import."""

from decimal import Decimal

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from carbon_platform import read_cache
from carbon_platform.api import IsOrganisationMember
from carbon_platform.exports import XLSX_MEDIA_TYPE, ExportableListMixin
from carbon_platform.openapi import ValidationErrorSerializer
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of

from .. import bom_files, selectors, services
from ..bom_imports import bom_import
from ..filters import (
    BomLineFilter,
    ContributionFilter,
    DefaultFactorFilter,
    FootprintRevisionFilter,
    MaterialFilter,
    RollupRunFilter,
    VehicleModelFilter,
)
from ..models import BomLine, Contribution, Footprint, VehicleModel
from .serializers import (
    BomImportResultSerializer,
    BomImportUploadSerializer,
    BomLineSerializer,
    BomReplaceResultSerializer,
    BomReplaceSerializer,
    ContributionSerializer,
    DefaultFactorSerializer,
    FootprintRevisionSerializer,
    FootprintSerializer,
    MaterialSerializer,
    RollupRunSerializer,
    VehicleModelSerializer,
)

MEMBERS = [IsAuthenticated, IsOrganisationMember]
VEHICLE_MODEL_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="id of the vehicle model"
)


@extend_schema_view(
    list=extend_schema(
        summary="List vehicle models with their current footprint totals",
        description="Every carmaker's models, readable by any signed-in organisation (footprint totals are "
        "public, as national platforms publish them). Filter by brand, segment, powertrain, body type, model "
        "year or carmaker; `q` searches brand, model, variant and external id; `ordering` sorts, e.g. "
        "`-current_footprint` as `-footprint_total_kg_co2e`.",
        examples=[
            OpenApiExample(
                "A BEV sedan",
                response_only=True,
                value={
                    "id": 42,
                    "carmaker": "Carmaker A",
                    "brand": "Qilin",
                    "model_name": "Q5",
                    "variant": "Long range",
                    "model_year": 2026,
                    "segment": "B",
                    "body_type": "sedan",
                    "powertrain": "BEV",
                    "curb_mass_kg": "1600.0",
                    "external_id": "QL-Q5-LR-26",
                    "current_footprint_kg_co2e": "6807.2000",
                    "current_kg_co2e_per_kg_curb_mass": "4.2545",
                    "current_primary_data_share": "0.000000",
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="A vehicle model with its current footprint totals"),
    footprint=extend_schema(
        summary="The current footprint of a vehicle model",
        description="Totals and the splits by material, lifecycle module and data-source level for any "
        "signed-in organisation; `by_supplier` only for the carmaker that owns the model and auditors (null "
        "for everyone else). 404 when no footprint has been computed yet.",
        responses=FootprintSerializer,
        examples=[
            OpenApiExample(
                "Seen by another carmaker",
                response_only=True,
                value={
                    "vehicle_model": 42,
                    "revision": 3,
                    "computed_at": "2026-03-02T10:15:00+08:00",
                    "total_kg_co2e": "6807.2000",
                    "kg_co2e_per_kg_curb_mass": "4.2545",
                    "module_d_kg_co2e": "-812.4000",
                    "by_material": {"steel.hot_rolled_coil": 2807.2, "aluminium.casting": 4000.0},
                    "by_module": {"A1-A3": 6807.2, "D": -812.4},
                    "by_data_source": {"4": 6807.2},
                    "by_supplier": None,
                    "primary_data_share": "0.000000",
                    "mass_total_kg": "1000.0000",
                    "mass_by_data_source": {"4": 1000.0},
                    "conservative_line_count": 2,
                    "input_fingerprint": "9f2c…",
                },
            )
        ],
    ),
)
class VehicleModelViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    """Vehicle models of every carmaker with their current footprint totals: public to any signed-in
    organisation, as national platforms publish them."""

    permission_classes = MEMBERS
    serializer_class = VehicleModelSerializer
    filterset_class = VehicleModelFilter
    ordering_fields = [
        "brand",
        "model_year",
        "curb_mass_kg",
        "footprint_total_kg_co2e",
        "footprint_kg_co2e_per_kg",
        "footprint_primary_data_share",
    ]
    ordering = ["brand", "model_name", "variant", "model_year", "id"]

    def get_queryset(self):
        return selectors.vehicle_models_with_current_footprint()

    def list(self, request, *args, **kwargs):
        if self.exporting():
            return super().list(request, *args, **kwargs)
        # The same for every organisation: one cached page per URL (the host is in the paging links).
        parts = ("vehicle-models", request.build_absolute_uri(), request.accepted_renderer.format)
        return read_cache.cached_response(
            request, parts, lambda: super(VehicleModelViewSet, self).list(request).data
        )

    @action(detail=True, methods=["get"])
    def footprint(self, request, pk=None):
        organisation = organisation_of(request.user)
        # Who may see the by-supplier split depends on the model's owner, known only after reading it: the
        # cache keeps one answer per carmaker organisation, one for auditors and one for everyone else.
        reader = organisation.id if organisation.kind == OrganisationKind.CARMAKER else organisation.kind
        parts = ("footprint", str(pk), reader)
        return read_cache.cached_response(request, parts, lambda: self._footprint_data(organisation, pk))

    @staticmethod
    def _footprint_data(organisation, pk) -> dict:
        # One query for the footprint and its model, not the list's annotated queryset: this is the API's
        # most frequent read.
        footprint = selectors.current_footprint_of(vehicle_model_id=pk)
        if footprint is None:
            if not str(pk).isdigit() or not VehicleModel.objects.filter(pk=pk).exists():
                raise Http404
            raise Http404(_("This vehicle model has no footprint yet."))
        detail = selectors.sees_supplier_detail(
            organisation=organisation, vehicle_model=footprint.vehicle_model
        )
        return FootprintSerializer(footprint, context={"supplier_detail": detail}).data


class OfOneVehicleModel:
    """A list nested under /vehicle-models/{id}/; `vehicle_model()` checks who may see its supplier detail:
    a kind of organisation that never may gets 403, a carmaker asking about another's model 404."""

    permission_classes = MEMBERS

    def vehicle_model(self, *, owner_only: bool = False) -> VehicleModel:
        vehicle_model = get_object_or_404(
            VehicleModel.objects.select_related("carmaker"), pk=self.kwargs["id"]
        )
        organisation = organisation_of(self.request.user)
        kinds = (
            [OrganisationKind.CARMAKER]
            if owner_only
            else [OrganisationKind.CARMAKER, OrganisationKind.AUDITOR]
        )
        if organisation.kind not in kinds:
            raise PermissionDenied(
                _("Only the carmaker that owns this model can do this.")
                if owner_only
                else _("This needs a carmaker or auditor account.")
            )
        if organisation.id != vehicle_model.carmaker_id and (
            owner_only or organisation.kind != OrganisationKind.AUDITOR
        ):
            raise Http404
        return vehicle_model


@extend_schema_view(
    list=extend_schema(
        summary="Footprint history of a vehicle model, newest first, with the cause of each change",
        description="The last 20 revisions (filter by when they were computed). Every signed-in organisation "
        "sees each revision's total, its change and the trigger of the run that computed it; the carmaker "
        "that owns the model and auditors also get `changes`: per material x supplier, the sources before and "
        "after and the kg CO2e moved (null for everyone else, and the cause then names no declaration).",
        parameters=[VEHICLE_MODEL_ID],
        examples=[
            OpenApiExample(
                "Seen by the owner carmaker",
                response_only=True,
                value={
                    "revision": 2,
                    "computed_at": "2026-03-02T10:15:00+08:00",
                    "total_kg_co2e": 190.0,
                    "delta_kg_co2e": -20.0,
                    "cause": "Declaration approved (EPD-0001 v1)",
                    "run_id": 17,
                    "changes": [
                        {
                            "material": "steel.hot_rolled_coil",
                            "supplier": "Supplier A",
                            "before": "L3: 100.00 kg x 2.1000",
                            "after": "L1 EPD-0001 v1: 100.00 kg x 1.9000",
                            "delta_kg_co2e": -20.0,
                        }
                    ],
                },
            )
        ],
    )
)
class FootprintHistoryViewSet(ExportableListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A model's footprint revisions with their causes; the supplier rows only for the owner and auditors."""

    permission_classes = MEMBERS
    serializer_class = FootprintRevisionSerializer
    filterset_class = FootprintRevisionFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Footprint.objects.none()
        self.vehicle_model = get_object_or_404(VehicleModel, pk=self.kwargs["id"])
        return selectors.footprint_revisions_of(vehicle_model=self.vehicle_model)

    def export_rows(self):
        footprints = self.filter_queryset(self.get_queryset())
        return selectors.footprint_history(
            vehicle_model=self.vehicle_model,
            footprints=footprints,
            supplier_detail=selectors.sees_supplier_detail(
                organisation=organisation_of(self.request.user), vehicle_model=self.vehicle_model
            ),
        )

    def list(self, request, *args, **kwargs):
        if self.exporting():
            return super().list(request, *args, **kwargs)
        return Response(self.get_serializer(self.export_rows(), many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Contributions of a vehicle model's current footprint",
        description="Per material x supplier x data-source level x declaration: mass, factor and kg CO2e, "
        "largest first. Only the carmaker that owns the model and auditors: another carmaker gets 404, a "
        "supplier 403.",
        parameters=[VEHICLE_MODEL_ID],
        examples=[
            OpenApiExample(
                "One supplier declaration",
                response_only=True,
                value={
                    "id": 901,
                    "material": "steel.hot_rolled_coil",
                    "supplier_id": 7,
                    "supplier": "Supplier A",
                    "level": 1,
                    "level_label": "Supplier declaration of the product",
                    "declaration_id": 31,
                    "declaration": "EPD-0001 v1",
                    "mass_kg": "100.0000",
                    "kg_co2e_per_kg": "1.900000",
                    "kg_co2e": "190.0000",
                },
            )
        ],
    )
)
class ContributionViewSet(
    OfOneVehicleModel, ExportableListMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """What a model's current footprint is made of, per material x supplier x level x declaration."""

    serializer_class = ContributionSerializer
    filterset_class = ContributionFilter
    ordering_fields = ["kg_co2e", "mass_kg", "data_source_level"]
    ordering = ["-kg_co2e", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contribution.objects.none()
        return selectors.contributions_of(vehicle_model=self.vehicle_model())


BOM_LINES_EXAMPLE = {
    "lines": [
        {
            "component": "B-pillar reinforcement",
            "system": "body_in_white",
            "material": "steel.hot_dip_galvanized",
            "mass_kg": "12.4",
            "supplier_product": 31,
        },
        {
            "component": "Front subframe",
            "system": "chassis",
            "material": "aluminium.casting",
            "mass_kg": "18",
            "supplier_product": 40,
            "share": "0.6",
        },
        {
            "component": "Front subframe",
            "system": "chassis",
            "material": "aluminium.casting",
            "mass_kg": "18",
            "supplier_product": 41,
            "share": "0.4",
        },
    ]
}


@extend_schema_view(
    list=extend_schema(
        summary="The BOM of a vehicle model",
        description="Its lines with material, mass and the supplier product each is bought as. Only the "
        "carmaker that owns the model and auditors: another carmaker gets 404, a supplier 403.",
        parameters=[VEHICLE_MODEL_ID],
    ),
    update=extend_schema(
        summary="Replace the BOM of a vehicle model",
        description="The carmaker that owns the model sends every line of the new BOM; the old lines go, all "
        "in one transaction, and a recompute run is enqueued. Any bad line refuses the whole BOM (400, "
        "nothing saved). Auditors get 403, another carmaker 404. To replace the BOMs of many models from a "
        "CSV or XLSX file, use `POST /api/v1/boms/import/`.",
        parameters=[VEHICLE_MODEL_ID],
        request=BomReplaceSerializer,
        responses=BomReplaceResultSerializer,
        examples=[
            OpenApiExample("A multi-sourced subframe", request_only=True, value=BOM_LINES_EXAMPLE),
            OpenApiExample(
                "Replaced",
                response_only=True,
                value={"vehicle_model": 42, "lines_written": 3, "mass_total_kg": "48.4000", "rollup_run": 18},
            ),
        ],
    ),
)
class BomViewSet(OfOneVehicleModel, ExportableListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A model's bill of materials: read by the owner carmaker and auditors, replaced by the owner."""

    serializer_class = BomLineSerializer
    filterset_class = BomLineFilter
    ordering_fields = ["component", "system", "mass_kg"]
    ordering = ["system", "component", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BomLine.objects.none()
        return selectors.bom_lines_of(vehicle_model=self.vehicle_model())

    def get_serializer_class(self):
        return BomReplaceSerializer if self.action == "update" else BomLineSerializer

    def update(self, request, *args, **kwargs):
        """PUT: the whole new BOM replaces the old one."""
        vehicle_model = self.vehicle_model(owner_only=True)
        body = BomReplaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lines = services.bom_replace(
            actor=request.user, vehicle_model=vehicle_model, lines=body.validated_data["lines"]
        )
        result = {
            "vehicle_model": vehicle_model.pk,
            "lines_written": len(lines),
            "mass_total_kg": sum((line.mass_kg for line in lines), Decimal(0)),
            "rollup_run": selectors.latest_bom_run_id(vehicle_model=vehicle_model),
        }
        return Response(BomReplaceResultSerializer(result).data)


@extend_schema_view(
    list=extend_schema(
        summary="The material taxonomy",
        description="Every material code a BOM line or a product can name; any signed-in organisation.",
        examples=[
            OpenApiExample(
                "Hot-rolled coil",
                response_only=True,
                value={
                    "id": 1,
                    "code": "steel.hot_rolled_coil",
                    "family": "steel",
                    "name_en": "Hot-rolled coil",
                    "name_zh": "热轧卷板",
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="A material"),
)
class MaterialViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    """The material taxonomy (read-only)."""

    permission_classes = MEMBERS
    serializer_class = MaterialSerializer
    filterset_class = MaterialFilter
    search_fields = ["code", "name_en", "name_zh"]
    ordering_fields = ["code", "family"]
    ordering = ["code"]

    def get_queryset(self):
        return selectors.materials()


@extend_schema_view(
    list=extend_schema(
        summary="Default (secondary) emission factors",
        description="kg CO2e per kg of a material, by route and province where one applies, typical or "
        "conservative, with source and year: what a BOM line falls back to without supplier data. Any "
        "signed-in organisation.",
        examples=[
            OpenApiExample(
                "Conservative hot-rolled coil",
                response_only=True,
                value={
                    "id": 3,
                    "material": "steel.hot_rolled_coil",
                    "route": "",
                    "province": "",
                    "basis": "conservative",
                    "kg_co2e_per_kg": "3.509000",
                    "source": "worldsteel 2024, 90th percentile",
                    "year": 2024,
                    "updated_at": "2026-01-05T09:00:00+08:00",
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="A default factor"),
)
class DefaultFactorViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    """Secondary emission factors (read-only; the operator maintains them)."""

    permission_classes = MEMBERS
    serializer_class = DefaultFactorSerializer
    filterset_class = DefaultFactorFilter
    ordering_fields = ["kg_co2e_per_kg", "year"]
    ordering = ["material__code", "basis", "route", "province", "id"]

    def get_queryset(self):
        return selectors.default_factors()


@extend_schema_view(
    list=extend_schema(
        summary="Recompute runs, newest first, with live progress",
        examples=[
            OpenApiExample(
                "A running full run",
                response_only=True,
                value={
                    "id": 17,
                    "trigger": "full",
                    "trigger_object": "",
                    "status": "running",
                    "models_total": 8000,
                    "models_done": 3000,
                    "progress_pct": 38,
                    "chunks_total": 8,
                    "chunks_done": 3,
                    "footprints_written": 2950,
                    "created_at": "2026-03-02T02:00:00+08:00",
                    "started_at": "2026-03-02T02:00:01+08:00",
                    "finished_at": None,
                    "timings_s": {},
                    "error": "",
                },
            )
        ],
    ),
    retrieve=extend_schema(summary="A recompute run and its progress"),
)
class RollupRunViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    """Recompute runs, newest first, with live progress; filter by status or trigger."""

    permission_classes = MEMBERS
    serializer_class = RollupRunSerializer
    filterset_class = RollupRunFilter
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.rollup_runs_with_progress()


class IsCarmaker(BasePermission):
    message = gettext_lazy("This needs a carmaker account.")

    def has_permission(self, request, view):
        organisation = organisation_of(request.user)
        return organisation is not None and organisation.kind == OrganisationKind.CARMAKER


BomImportRefused = inline_serializer(
    "BomImportRefused",
    {
        "detail": serializers.CharField(),
        "field": serializers.CharField(required=False),
        "error_count": serializers.IntegerField(required=False, help_text="with row errors"),
        "errors": inline_serializer(
            "BomImportRowError",
            {
                "row": serializers.IntegerField(allow_null=True, help_text="spreadsheet row, header = 1"),
                "field": serializers.CharField(),
                "message": serializers.CharField(),
            },
            many=True,
            required=False,
        ),
    },
)
# A refused file (`detail`, with its row errors when it has some), or a malformed request (no `file`).
BomImportBadRequest = PolymorphicProxySerializer(
    component_name="BomImportBadRequest",
    serializers=[BomImportRefused, ValidationErrorSerializer],
    resource_type_field_name=None,
)


class BomImportView(APIView):
    """Upload a CSV or XLSX file (multipart field `file`): every model it names gets its BOM replaced by the
    file's lines, all or nothing. 400 lists row errors: `errors` (the first 200 by row) and `error_count`."""

    permission_classes = [IsAuthenticated, IsCarmaker]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Replace the BOMs of your models from a CSV or XLSX file",
        description="Carmakers only. Every model the file names (by external id or id) gets its BOM replaced "
        "by the file's lines for it, all in one transaction; any bad row refuses the whole file. Template: "
        "`/api/v1/boms/template.csv` or `.xlsx`.",
        request=BomImportUploadSerializer,
        responses={
            200: BomImportResultSerializer,
            400: OpenApiResponse(
                BomImportBadRequest,
                description="The file was refused and nothing was saved: the first 200 errors by row; or "
                "the request was malformed (no `file`), each field with its messages.",
                examples=[
                    OpenApiExample(
                        "A negative mass",
                        value={
                            "detail": "The file has 1 error; nothing was saved.",
                            "field": "file",
                            "error_count": 1,
                            "errors": [{"row": 7, "field": "mass_kg", "message": "'-3' cannot be negative."}],
                        },
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Two models replaced",
                response_only=True,
                status_codes=["200"],
                value={
                    "models_replaced": 2,
                    "lines_written": 341,
                    "lines_deleted": 338,
                    "vehicle_model_ids": [41, 42],
                    "rollup_run": 17,
                },
            )
        ],
    )
    def post(self, request):
        body = BomImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = bom_import(actor=request.user, upload=body.validated_data["file"])
        return Response(BomImportResultSerializer(result).data)


class BomTemplateView(APIView):
    """The BOM file template: bilingual headers and example lines, as CSV or XLSX."""

    @extend_schema(
        summary="The BOM file template",
        parameters=[
            OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["csv", "xlsx"]),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV template"),
            (200, XLSX_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX template"),
        },
    )
    def get(self, request, fmt: str):
        response = HttpResponse(
            bom_files.template_file(fmt), content_type=bom_files.TEMPLATE_CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="bom-template.{fmt}"'
        return response
