"""Shared API plumbing: the domain error and the exception handler that turns it into a clear 4xx."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, filters, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule said no; the message is meant for the user and names what was wrong."""

    def __init__(
        self, message: str, *, field: str | None = None, status_code: int = status.HTTP_400_BAD_REQUEST
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status_code = status_code

    def body(self) -> dict:
        """The API's answer: the message and, when it concerns one, the field; subclasses add detail."""
        body = {"detail": self.message}
        if self.field:
            body["field"] = self.field
        return body


def reject_unknown_fields(data, allowed) -> None:
    """A service takes only the fields it knows; anything else is the caller's mistake, named."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


class IsOrganisationMember(BasePermission):
    """Signed in and a member of an organisation: every scoped resource answers for an organisation."""

    message = gettext_lazy("Your account belongs to no organisation.")

    def has_permission(self, request, view):
        from .tenancy.selectors import organisation_of

        return organisation_of(request.user) is not None


class OrderingFilter(filters.OrderingFilter):
    """DRF's `ordering` parameter, with the fields a list sorts by named in the OpenAPI schema."""

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple) and fields:
            default = ", ".join(getattr(view, "ordering", None) or [])
            for parameter in parameters:
                parameter["description"] = (
                    f"Sort by {', '.join(fields)} (comma-separated for several; prefix `-` for descending). "
                    f"Default: {default or 'none'}."
                )
        return parameters


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.body(), status=exc.status_code)
    # A refused bearer token answers with its own challenge (RFC 6750), not that of the first
    # authentication class, which DRF would put there.
    challenge = getattr(exc, "www_authenticate", None)
    if challenge:
        exc.auth_header = challenge
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, list)
    ):
        # Messages about no one field (a search with a NUL character, say): the documented `{"detail"}`
        # body rather than DRF's bare list.
        response.data = {"detail": " ".join(str(message) for message in response.data)}
    return response
