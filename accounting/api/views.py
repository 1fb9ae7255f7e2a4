"""API of vehicle models and their current footprints (totals are public to any signed-in org), recompute
runs, and the carmaker's BOM import."""

from dataclasses import asdict

from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of

from .. import bom_files, selectors
from ..bom_imports import bom_import
from ..filters import VehicleModelFilter
from .serializers import (
    BomImportResultSerializer,
    BomImportUploadSerializer,
    FootprintSerializer,
    RollupRunSerializer,
    VehicleModelSerializer,
)


class VehicleModelViewSet(viewsets.ReadOnlyModelViewSet):
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
    ordering = ["brand", "model_name", "variant", "model_year"]

    def get_queryset(self):
        return selectors.vehicle_models_with_current_footprint()

    @action(detail=True, methods=["get"])
    def footprint(self, request, pk=None):
        vehicle_model = self.get_object()
        footprint = selectors.current_footprint(vehicle_model=vehicle_model)
        if footprint is None:
            raise Http404("This vehicle model has no footprint yet.")
        footprint.vehicle_model = vehicle_model
        return Response(FootprintSerializer(footprint).data)

    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Revisions newest first, each with its cause and the change per material x supplier."""
        vehicle_model = self.get_object()
        return Response(
            [asdict(revision) for revision in selectors.footprint_history(vehicle_model=vehicle_model)]
        )


class RollupRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Recompute runs, newest first, with live progress; filter by status or trigger."""

    serializer_class = RollupRunSerializer
    filterset_fields = ["status", "trigger"]
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.rollup_runs_with_progress()


class IsCarmaker(BasePermission):
    message = _("This needs a carmaker account.")

    def has_permission(self, request, view):
        organisation = organisation_of(request.user)
        return organisation is not None and organisation.kind == OrganisationKind.CARMAKER


class BomImportView(APIView):
    """Upload a CSV or XLSX file (multipart field `file`): every model it names gets its BOM replaced by the
    file's lines, all or nothing. 400 lists row errors: `errors` (the first 200 by row) and `error_count`."""

    permission_classes = [IsAuthenticated, IsCarmaker]
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request):
        body = BomImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = bom_import(actor=request.user, upload=body.validated_data["file"])
        return Response(BomImportResultSerializer(result).data)


class BomTemplateView(APIView):
    """The BOM file template: bilingual headers and example lines, as CSV or XLSX."""

    def get(self, request, fmt: str):
        response = HttpResponse(
            bom_files.template_file(fmt), content_type=bom_files.TEMPLATE_CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="bom-template.{fmt}"'
        return response
