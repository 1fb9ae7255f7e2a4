"""Serializers of the webhooks API: subscriptions in and out (the secret only on creation and on request),
and deliveries with their attempts."""

from rest_framework import serializers

from carbon_platform.text import text_problem

from ..choices import SUBSCRIBABLE_EVENT_TYPES, EventType
from ..models import Delivery, Subscription

SUBSCRIPTION_READ_FIELDS = [
    "id",
    "target_url",
    "description",
    "event_types",
    "threshold_pct",
    "threshold_kg_co2e",
    "is_active",
    "created_by",
    "created_at",
    "updated_at",
    "deliveries_total",
    "deliveries_failed",
]


class SubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENT_TYPES))
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    deliveries_total = serializers.IntegerField(read_only=True, default=0)
    deliveries_failed = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Subscription
        fields = SUBSCRIPTION_READ_FIELDS


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """The new subscription with its signing secret: keep it, it is shown here once."""

    secret = serializers.CharField(read_only=True)

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SUBSCRIPTION_READ_FIELDS, "secret"]


class SubscriptionWriteSerializer(serializers.Serializer):
    """What a carmaker sets; the service checks the URL (https, a public host) and the event types."""

    target_url = serializers.URLField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.MultipleChoiceField(choices=SUBSCRIBABLE_EVENT_TYPES, allow_empty=False)
    threshold_pct = serializers.DecimalField(
        max_digits=7,
        decimal_places=3,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="footprint.changed: fire when a model's total moved by more than this percent of its previous "
        "total (or by more than threshold_kg_co2e, whichever is set and exceeded first).",
    )
    threshold_kg_co2e = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="footprint.changed: fire when a model's total moved by more than this many kg CO2e.",
    )
    is_active = serializers.BooleanField(required=False)

    def validate_description(self, value: str) -> str:
        problem = text_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "event_types" in values:
            values["event_types"] = sorted(values["event_types"])
        return values


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        help_text="The HMAC-SHA256 key the subscription's deliveries are signed with."
    )


class AttemptSerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    duration_ms = serializers.IntegerField()


class DeliverySerializer(serializers.ModelSerializer):
    """One delivery in a list: its state and the last answer; read one for its payload."""

    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    event_type = serializers.ChoiceField(choices=EventType.choices)
    attempt_log = AttemptSerializer(many=True, read_only=True)
    redelivery_of = serializers.IntegerField(source="redelivery_of_id", read_only=True, allow_null=True)
    redelivered_as = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The delivery that sent this one again, if any."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "subscription",
            "event_type",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "response_body_excerpt",
            "error",
            "attempt_log",
            "redelivery_of",
            "redelivered_as",
            "created_at",
            "finished_at",
        ]


class DeliveryDetailSerializer(DeliverySerializer):
    """One delivery with the exact JSON body it sends."""

    payload = serializers.JSONField(read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload"]
