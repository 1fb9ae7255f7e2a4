"""The project's URLs plus two floors the API's throughput is compared with in the same run:
/bench/constant/, a bare Django view returning a constant JSON body, and /bench/authenticated/, a DRF view
with the API's own authentication and organisation check returning the same body (what any /api/v1 read
costs before it reads anything)."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.api.views import MEMBERS

BODY = {"vehicle_model": 1, "revision": 1, "total_kg_co2e": "1234.5678", "primary_data_share": "0.500000"}


def constant(request):
    return JsonResponse(BODY)


class Authenticated(APIView):
    permission_classes = MEMBERS

    def get(self, request):
        return Response(BODY)


urlpatterns = [
    path("bench/constant/", constant),
    path("bench/authenticated/", Authenticated.as_view()),
    path("", include("carbon_platform.urls")),
]
