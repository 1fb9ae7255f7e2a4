"""View decorator that admits only members of organisations of a given kind."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from .selectors import organisation_of


def organisation_kind_required(*kinds: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            organisation = organisation_of(request.user)
            if organisation is None or organisation.kind not in kinds:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
