"""Project-level pages: the home redirect by organisation kind, and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from .tenancy.choices import OrganisationKind
from .tenancy.selectors import organisation_of

HOME_BY_KIND = {
    OrganisationKind.SUPPLIER: "disclosures:dashboard",
    OrganisationKind.AUDITOR: "disclosures:review-queue",
}


@login_required
@require_safe
def home(request):
    organisation = organisation_of(request.user)
    kind = organisation.kind if organisation else None
    return redirect(HOME_BY_KIND.get(kind, "accounting:vehicle-model-list"))


def healthz(request):
    """Liveness and database reachability, for load balancers and docker-compose health checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means not ready
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
