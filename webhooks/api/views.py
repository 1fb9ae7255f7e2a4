"""API of the carmaker webhooks: subscriptions (create, read, change, revoke), their secret, a test event, and
each subscription's delivery log with redelivery of a failed delivery. Carmakers only: any other kind of
organisation gets 403, another carmaker's subscription 404."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from carbon_platform.api import IsOrganisationMember
from carbon_platform.exports import ExportableListMixin
from carbon_platform.tenancy.choices import OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of

from .. import outbound, selectors, services
from ..filters import DeliveryFilter, SubscriptionFilter
from ..models import Delivery, Subscription
from .serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    SecretSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionSerializer,
    SubscriptionWriteSerializer,
)

SIGNATURE_DOC = (
    "Each delivery is a POST of the event as JSON (`Content-Type: application/json`) with the headers "
    f"`{outbound.EVENT_ID_HEADER}` (the event's UUID: the same on every attempt and on a redelivery, so "
    f"deduplicate on it), `{outbound.EVENT_TYPE_HEADER}`, `{outbound.TIMESTAMP_HEADER}` (Unix seconds of this "
    f"attempt) and `{outbound.SIGNATURE_HEADER}: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>` "
    "keyed with the subscription's secret. Recompute it over the raw bytes received, compare in constant time, "
    "and refuse a timestamp more than five minutes old. Any 2xx answer within 10 s (5 s to connect) is a "
    "delivery; connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff (10 s, "
    "30 s, 90 s, 270 s, 810 s, then every 30 minutes; 8 attempts in all); any other answer fails the delivery "
    "at once. Redirects are not followed."
)
SUBSCRIPTION_EXAMPLE = {
    "id": 4,
    "target_url": "https://hooks.carmaker.example/carbon",
    "description": "Footprint alerts for the BEV line",
    "event_types": ["footprint.changed", "declaration.approved"],
    "threshold_pct": "1.000",
    "threshold_kg_co2e": None,
    "is_active": True,
    "created_by": "carmaker_a",
    "created_at": "2026-03-02T10:15:00+08:00",
    "updated_at": "2026-03-02T10:15:00+08:00",
    "deliveries_total": 12,
    "deliveries_failed": 1,
}
DELIVERY_EXAMPLE = {
    "id": 88,
    "subscription": 4,
    "event_type": "footprint.changed",
    "event_id": "6f1c1b0e-2d3c-4f7a-9a51-0c8e8a5d2b11",
    "status": "succeeded",
    "attempts": 2,
    "next_attempt_at": None,
    "last_attempt_at": "2026-03-02T10:15:12+08:00",
    "last_status_code": 200,
    "response_body_excerpt": "ok",
    "error": "",
    "attempt_log": [
        {
            "attempt": 1,
            "at": "2026-03-02T10:15:01+08:00",
            "status_code": 503,
            "error": "HTTP 503",
            "duration_ms": 41,
        },
        {"attempt": 2, "at": "2026-03-02T10:15:12+08:00", "status_code": 200, "error": "", "duration_ms": 38},
    ],
    "redelivery_of": None,
    "created_at": "2026-03-02T10:15:01+08:00",
    "finished_at": "2026-03-02T10:15:12+08:00",
}
FOOTPRINT_CHANGED_PAYLOAD = {
    "id": "6f1c1b0e-2d3c-4f7a-9a51-0c8e8a5d2b11",
    "type": "footprint.changed",
    "created_at": "2026-03-02T10:15:01+08:00",
    "data": {
        "cause": {
            "rollup_run_id": 17,
            "trigger": "declaration_approved",
            "trigger_object": "declaration:31",
            "description": "Declaration approved (EPD-0001 v2)",
            "run_status": "succeeded",
            "run_finished_at": "2026-03-02T10:15:00+08:00",
        },
        "thresholds": {"threshold_pct": "1.000", "threshold_kg_co2e": None},
        "part": 1,
        "parts": 1,
        "models": [
            {
                "vehicle_model_id": 42,
                "name": "Qilin Q5 Long range (2026)",
                "brand": "Qilin",
                "model_name": "Q5",
                "variant": "Long range",
                "model_year": 2026,
                "external_id": "QL-Q5-LR-26",
                "previous_revision": 2,
                "revision": 3,
                "previous_total_kg_co2e": "1000.0000",
                "total_kg_co2e": "1012.0000",
                "delta_kg_co2e": "12.0000",
                "delta_pct": "1.2000",
            }
        ],
    },
}
SUBSCRIPTION_ID = OpenApiParameter(
    "subscription_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="id of the webhook subscription"
)
DELIVERY_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="id of the delivery"
)


class IsCarmaker(BasePermission):
    message = gettext_lazy("This needs a carmaker account.")

    def has_permission(self, request, view):
        organisation = organisation_of(request.user)
        return organisation is not None and organisation.kind == OrganisationKind.CARMAKER


CARMAKERS = [IsAuthenticated, IsOrganisationMember, IsCarmaker]


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook subscriptions (carmakers)",
        description="Revoked subscriptions are not listed. " + SIGNATURE_DOC,
        examples=[OpenApiExample("Footprint alerts", response_only=True, value=SUBSCRIPTION_EXAMPLE)],
    ),
    retrieve=extend_schema(summary="One of your webhook subscriptions"),
    create=extend_schema(
        summary="Subscribe an https endpoint to events",
        description="Events: `footprint.changed` (a model of yours moved by more than `threshold_pct` percent "
        "or `threshold_kg_co2e` kg CO2e from its previous revision, with the run that moved it as the cause; "
        "with no threshold, any change), `declaration.approved` and `declaration.expired` (a declaration of a "
        "product your BOM lines buy). The answer carries the signing `secret`, shown this once; the "
        "`secret` action reads it again. " + SIGNATURE_DOC,
        request=SubscriptionWriteSerializer,
        responses={201: SubscriptionCreatedSerializer},
        examples=[
            OpenApiExample(
                "Footprint changes above 1 % and approvals",
                request_only=True,
                value={
                    "target_url": "https://hooks.carmaker.example/carbon",
                    "event_types": ["footprint.changed", "declaration.approved"],
                    "threshold_pct": "1",
                },
            ),
            OpenApiExample(
                "Created, with its secret",
                response_only=True,
                status_codes=["201"],
                value={
                    **SUBSCRIPTION_EXAMPLE,
                    "deliveries_total": 0,
                    "deliveries_failed": 0,
                    "secret": "kR9w…",
                },
            ),
        ],
    ),
    update=extend_schema(
        summary="Change a webhook subscription",
        request=SubscriptionWriteSerializer,
        responses=SubscriptionSerializer,
    ),
    partial_update=extend_schema(
        summary="Change some fields of a webhook subscription (e.g. pause it with is_active false)",
        request=SubscriptionWriteSerializer,
        responses=SubscriptionSerializer,
    ),
    destroy=extend_schema(
        summary="Revoke a webhook subscription",
        description="No more events; its secret is erased and its pending deliveries fail. Recorded on the "
        "audit trail.",
    ),
    secret=extend_schema(summary="The signing secret of a webhook subscription", responses=SecretSerializer),
    test=extend_schema(
        summary="Send a test event (webhook.test) to the subscription's endpoint",
        description="Signed and logged like any event; follow it in the subscription's deliveries.",
        request=None,
        responses={202: DeliverySerializer},
        examples=[
            OpenApiExample(
                "Queued",
                response_only=True,
                status_codes=["202"],
                value={
                    **DELIVERY_EXAMPLE,
                    "event_type": "webhook.test",
                    "status": "pending",
                    "attempts": 0,
                    "attempt_log": [],
                    "last_status_code": None,
                    "response_body_excerpt": "",
                    "finished_at": None,
                },
            )
        ],
    ),
)
class SubscriptionViewSet(
    ExportableListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A carmaker's webhook subscriptions."""

    permission_classes = CARMAKERS
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return selectors.subscriptions_of(organisation=organisation_of(self.request.user))

    def _read(self, subscription, serializer_class=SubscriptionSerializer, status_code=status.HTTP_200_OK):
        subscription = self.get_queryset().get(pk=subscription.pk)
        return Response(serializer_class(subscription).data, status=status_code)

    def create(self, request, *args, **kwargs):
        body = SubscriptionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = services.subscription_create(actor=request.user, data=body.validated_data)
        return self._read(subscription, SubscriptionCreatedSerializer, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        body = SubscriptionWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        services.subscription_update(actor=request.user, subscription=subscription, data=body.validated_data)
        return self._read(subscription)

    def destroy(self, request, *args, **kwargs):
        services.subscription_revoke(actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"])
    def secret(self, request, pk=None):
        secret = services.subscription_secret(actor=request.user, subscription=self.get_object())
        return Response(SecretSerializer({"secret": secret}).data)

    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = services.subscription_test_send(actor=request.user, subscription=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="The deliveries of one of your webhook subscriptions, newest first",
        description="Each with its status, attempts, the next attempt's time, the last answer's status code "
        "and the first 2 KB of its body (or the error), and every attempt in `attempt_log`. Filter by "
        "`status` and `event_type`. " + SIGNATURE_DOC,
        parameters=[SUBSCRIPTION_ID],
        examples=[
            OpenApiExample("Delivered at the second attempt", response_only=True, value=DELIVERY_EXAMPLE)
        ],
    ),
    retrieve=extend_schema(
        summary="One delivery with the JSON body it sends",
        parameters=[SUBSCRIPTION_ID, DELIVERY_ID],
        examples=[
            OpenApiExample(
                "A footprint change",
                response_only=True,
                value={**DELIVERY_EXAMPLE, "payload": FOOTPRINT_CHANGED_PAYLOAD},
            )
        ],
    ),
)
class DeliveryViewSet(
    ExportableListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A subscription's delivery log (read-only), and redelivery of a failed delivery."""

    permission_classes = CARMAKERS
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    ordering_fields = ["created_at", "attempts"]
    ordering = ["-created_at", "-id"]

    def subscription(self) -> Subscription:
        return get_object_or_404(
            Subscription.objects.filter(
                organisation=organisation_of(self.request.user), revoked_at__isnull=True
            ),
            pk=self.kwargs["subscription_id"],
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        deliveries = selectors.deliveries_of(subscription=self.subscription())
        return deliveries.defer(None) if self.action != "list" else deliveries

    def get_serializer_class(self):
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    @extend_schema(
        summary="Send a failed delivery again",
        description="A new delivery with the same event id and body, its attempts from zero; a delivery is "
        "sent again once (send the new one again if it fails too).",
        parameters=[SUBSCRIPTION_ID, DELIVERY_ID],
        request=None,
        responses={201: DeliverySerializer},
    )
    def redeliver(self, request, *args, **kwargs):
        delivery = self.get_object()
        again = services.delivery_redeliver(actor=request.user, delivery=delivery)
        return Response(DeliverySerializer(again).data, status=status.HTTP_201_CREATED)
