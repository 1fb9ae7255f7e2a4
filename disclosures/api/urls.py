"""Routes of the supplier and auditor API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from .views import DeclarationViewSet, ImportBatchViewSet, PlantViewSet, ProductViewSet

router = DefaultRouter()
router.register("plants", PlantViewSet, basename="plant")
router.register("products", ProductViewSet, basename="product")
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("imports", ImportBatchViewSet, basename="import-batch")
urlpatterns = router.urls
