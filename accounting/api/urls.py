"""Routes of the accounting API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from .views import RollupRunViewSet, VehicleModelViewSet

router = DefaultRouter()
router.register("vehicle-models", VehicleModelViewSet, basename="vehicle-model")
router.register("rollup-runs", RollupRunViewSet, basename="rollup-run")
urlpatterns = router.urls
