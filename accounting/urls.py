"""Browser routes of the footprint pages."""

from django.urls import path

from . import views

app_name = "accounting"
urlpatterns = [
    path("vehicle-models/", views.vehicle_model_list, name="vehicle-model-list"),
    path("vehicle-models/<int:pk>/", views.vehicle_model_detail, name="vehicle-model-detail"),
]
