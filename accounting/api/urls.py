"""Routes of the accounting API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from .views import VehicleModelViewSet

router = DefaultRouter()
router.register("vehicle-models", VehicleModelViewSet, basename="vehicle-model")
urlpatterns = router.urls
