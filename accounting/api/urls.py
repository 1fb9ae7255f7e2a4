"""Routes of the accounting API under /api/v1/."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from .views import BomImportView, BomTemplateView, RollupRunViewSet, VehicleModelViewSet

router = DefaultRouter()
router.register("vehicle-models", VehicleModelViewSet, basename="vehicle-model")
router.register("rollup-runs", RollupRunViewSet, basename="rollup-run")
urlpatterns = [
    path("boms/import/", BomImportView.as_view(), name="bom-import"),
    re_path(r"^boms/template\.(?P<fmt>csv|xlsx)$", BomTemplateView.as_view(), name="bom-template"),
    *router.urls,
]
