"""Admin for the operator: subscriptions (never their secrets) and the delivery log, read-only."""

from django.contrib import admin

from .models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "target_url", "is_active", "revoked_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["organisation__name", "target_url"]
    exclude = ["secret"]
    readonly_fields = ["organisation", "created_by", "revoked_at"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "event_type", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event_type"]
    raw_id_fields = ["subscription", "redelivery_of"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
