"""The project's URLs plus /bench/constant/: a bare Django view returning a constant JSON body, the floor the
API's throughput is compared with in the same run."""

from django.http import JsonResponse
from django.urls import include, path

BODY = {"vehicle_model": 1, "revision": 1, "total_kg_co2e": "1234.5678", "primary_data_share": "0.500000"}


def constant(request):
    return JsonResponse(BODY)


urlpatterns = [path("bench/constant/", constant), path("", include("carbon_platform.urls"))]
