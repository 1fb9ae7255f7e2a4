"""Routes of the accounting API under /api/v1/."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from .views import (
    BomImportView,
    BomTemplateView,
    BomViewSet,
    ContributionViewSet,
    DefaultFactorViewSet,
    FootprintHistoryViewSet,
    MaterialViewSet,
    RollupRunViewSet,
    VehicleModelViewSet,
)

router = DefaultRouter()
router.register("vehicle-models", VehicleModelViewSet, basename="vehicle-model")
router.register("rollup-runs", RollupRunViewSet, basename="rollup-run")
router.register("materials", MaterialViewSet, basename="material")
router.register("default-factors", DefaultFactorViewSet, basename="default-factor")
urlpatterns = [
    path(
        "vehicle-models/<int:id>/history/",
        FootprintHistoryViewSet.as_view({"get": "list"}, basename="footprint-history"),
        name="vehicle-model-history",
    ),
    path(
        "vehicle-models/<int:id>/contributions/",
        ContributionViewSet.as_view({"get": "list"}, basename="contribution"),
        name="vehicle-model-contributions",
    ),
    path(
        "vehicle-models/<int:id>/bom/",
        BomViewSet.as_view({"get": "list", "put": "update"}, basename="bom-line"),
        name="vehicle-model-bom",
    ),
    path("boms/import/", BomImportView.as_view(), name="bom-import"),
    re_path(r"^boms/template\.(?P<fmt>csv|xlsx)$", BomTemplateView.as_view(), name="bom-template"),
    *router.urls,
]
