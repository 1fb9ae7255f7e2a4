"""Browser routes of the footprint pages."""

from django.urls import path

from . import views

app_name = "accounting"
urlpatterns = [
    path("vehicle-models/", views.vehicle_model_list, name="vehicle-model-list"),
    path("vehicle-models/<int:pk>/", views.vehicle_model_detail, name="vehicle-model-detail"),
    path("rollup-runs/", views.rollup_run_list, name="rollup-run-list"),
    path("rollup-runs/<int:pk>/", views.rollup_run_detail, name="rollup-run-detail"),
    path("boms/import/", views.bom_import_page, name="bom-import"),
    path("boms/template.<str:fmt>", views.bom_template, name="bom-template"),
]
