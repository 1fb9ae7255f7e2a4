"""Puts the current user's organisation in every template context."""

from .selectors import organisation_of


def organisation(request):
    return {"current_organisation": organisation_of(getattr(request, "user", None))}
