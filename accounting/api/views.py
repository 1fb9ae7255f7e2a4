"""Read-only API of vehicle models and their current footprints (totals are public to any signed-in org)."""

from dataclasses import asdict

from django.http import Http404
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import selectors
from ..filters import VehicleModelFilter
from .serializers import FootprintSerializer, RollupRunSerializer, VehicleModelSerializer


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
