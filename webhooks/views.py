"""Webhook pages of a carmaker: the subscriptions with a form for a new one, and a subscription with its
secret (on request), a test event, revocation, and its delivery log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.decorators import organisation_kind_required
from carbon_platform.tenancy.selectors import organisation_of

from . import outbound, selectors, services
from .filters import DeliveryFilter, SubscriptionFilter
from .forms import SubscriptionForm
from .models import Delivery

carmaker_required = organisation_kind_required(OrganisationKind.CARMAKER)

# The secret is put in the session by the request that creates or reveals it and taken out by the page that
# shows it, so that it appears once and never in a URL.
_SECRET_KEY = "webhook-secret-{}"

SIGNATURE_FACTS = {
    "signature_header": outbound.SIGNATURE_HEADER,
    "timestamp_header": outbound.TIMESTAMP_HEADER,
    "event_id_header": outbound.EVENT_ID_HEADER,
    "event_type_header": outbound.EVENT_TYPE_HEADER,
    "verify_example": outbound.VERIFY_EXAMPLE,
}


def _subscription_of(request, pk: int):
    return get_object_or_404(selectors.subscriptions_of(organisation=organisation_of(request.user)), pk=pk)


@login_required
@carmaker_required
def subscription_list(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.subscription_create(actor=request.user, data=form.service_data())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            request.session[_SECRET_KEY.format(subscription.pk)] = subscription.secret
            messages.success(request, _("Subscription created. Copy its secret now."))
            return redirect("webhooks:subscription-detail", pk=subscription.pk)
    subscriptions = SubscriptionFilter(
        request.GET, queryset=selectors.subscriptions_of(organisation=organisation_of(request.user))
    )
    page = Paginator(subscriptions.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/subscription_list.html",
        {"form": form, "page": page, "filter": subscriptions, "querystring": query.urlencode()},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
@carmaker_required
def subscription_detail(request, pk: int):
    subscription = _subscription_of(request, pk)
    deliveries = DeliveryFilter(request.GET, queryset=selectors.deliveries_of(subscription=subscription))
    page = Paginator(deliveries.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/subscription_detail.html",
        {
            "subscription": subscription,
            "secret": request.session.pop(_SECRET_KEY.format(subscription.pk), None),
            "filter": deliveries,
            "page": page,
            "querystring": query.urlencode(),
            **SIGNATURE_FACTS,
        },
    )


@login_required
@carmaker_required
@require_POST
def subscription_secret(request, pk: int):
    subscription = _subscription_of(request, pk)
    request.session[_SECRET_KEY.format(subscription.pk)] = services.subscription_secret(
        actor=request.user, subscription=subscription
    )
    return redirect("webhooks:subscription-detail", pk=subscription.pk)


@login_required
@carmaker_required
@require_POST
def subscription_test(request, pk: int):
    subscription = _subscription_of(request, pk)
    try:
        services.subscription_test_send(actor=request.user, subscription=subscription)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Test event queued; its delivery appears below."))
    return redirect("webhooks:subscription-detail", pk=subscription.pk)


@login_required
@carmaker_required
@require_POST
def subscription_revoke(request, pk: int):
    subscription = _subscription_of(request, pk)
    services.subscription_revoke(actor=request.user, subscription=subscription)
    messages.success(
        request, _("Subscription revoked: no more events go to %(url)s.") % {"url": subscription.target_url}
    )
    return redirect("webhooks:subscription-list")


@login_required
@carmaker_required
@require_POST
def delivery_redeliver(request, pk: int, delivery_pk: int):
    subscription = _subscription_of(request, pk)
    delivery = get_object_or_404(
        Delivery.objects.select_related("subscription"), pk=delivery_pk, subscription=subscription
    )
    try:
        again = services.delivery_redeliver(actor=request.user, delivery=delivery)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Delivery %(id)d queued to send the event again.") % {"id": again.pk})
    return redirect("webhooks:subscription-detail", pk=subscription.pk)
