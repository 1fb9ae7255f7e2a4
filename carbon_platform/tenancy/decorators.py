"""View decorators that admit only members of organisations of a given kind, or only organisation admins."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from .selectors import is_organisation_admin, organisation_of


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


def organisation_admin_required(view):
    """Only an admin (role) of the user's own organisation; anyone else gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        organisation = organisation_of(request.user)
        if organisation is None or not is_organisation_admin(user=request.user, organisation=organisation):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
