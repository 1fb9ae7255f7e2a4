"""API access pages: an organisation admin's API clients and the members' personal tokens, and every user's
own personal API token. Secrets are shown once, in the answer to the POST that made them, never stored."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from rest_framework.authtoken.models import Token

from carbon_platform.api import ApplicationError

from . import selectors, services
from .decorators import organisation_admin_required
from .forms import ApiClientForm
from .models import ApiClient


def _error_text(error) -> str:
    return getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))


def _api_access_page(request, *, form, new_client=None, new_secret=None, status=200):
    organisation = selectors.organisation_of(request.user)
    return render(
        request,
        "tenancy/api_access.html",
        {
            "organisation": organisation,
            "clients": selectors.api_clients_of(organisation=organisation),
            "tokens": selectors.personal_tokens_of(organisation=organisation),
            "form": form,
            "new_client": new_client,
            "new_secret": new_secret,
        },
        status=status,
    )


@never_cache
@login_required
@require_safe
@organisation_admin_required
def api_access(request):
    return _api_access_page(request, form=ApiClientForm())


@never_cache
@login_required
@require_POST
@organisation_admin_required
def api_client_create(request):
    form = ApiClientForm(request.POST)
    if form.is_valid():
        try:
            api_client, secret = services.api_client_create(
                organisation=selectors.organisation_of(request.user),
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,
            )
        except (ApplicationError, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            return _api_access_page(request, form=ApiClientForm(), new_client=api_client, new_secret=secret)
    return _api_access_page(request, form=form, status=400)


@login_required
@require_POST
@organisation_admin_required
def api_client_revoke(request, pk: int):
    api_client = get_object_or_404(
        ApiClient.objects.select_related("application", "service_user", "organisation"),
        pk=pk,
        organisation=selectors.organisation_of(request.user),
    )
    services.api_client_revoke(api_client=api_client, actor=request.user)
    messages.success(
        request,
        _("API client %(name)s revoked: its tokens no longer work and it cannot get new ones.")
        % {"name": api_client.name},
    )
    return redirect("tenancy:api-access")


@login_required
@require_POST
@organisation_admin_required
def member_token_revoke(request, user_id: int):
    token = get_object_or_404(
        Token.objects.select_related("user"),
        user_id=user_id,
        user__membership__organisation=selectors.organisation_of(request.user),
    )
    services.personal_token_revoke(token=token, actor=request.user)
    messages.success(
        request, _("The API token of %(user)s was revoked.") % {"user": token.user.get_username()}
    )
    return redirect("tenancy:api-access")


def _personal_token_page(request, *, new_key=None):
    organisation = selectors.organisation_of(request.user)
    return render(
        request,
        "tenancy/personal_token.html",
        {
            "token": selectors.personal_token_of(user=request.user),
            "new_key": new_key,
            "is_admin": organisation is not None
            and selectors.is_organisation_admin(user=request.user, organisation=organisation),
        },
    )


@never_cache
@login_required
@require_safe
def personal_token(request):
    return _personal_token_page(request)


@never_cache
@login_required
@require_POST
def personal_token_create(request):
    """Create the user's personal API token, or regenerate it: a new key replaces the old one."""
    token = services.personal_token_create(user=request.user)
    return _personal_token_page(request, new_key=token.key)


@login_required
@require_POST
def personal_token_revoke(request):
    token = selectors.personal_token_of(user=request.user)
    if token is None:
        messages.info(request, _("You have no API token to revoke."))
    else:
        services.personal_token_revoke(token=token, actor=request.user)
        messages.success(request, _("Your API token was revoked."))
    return redirect("tenancy:personal-token")
