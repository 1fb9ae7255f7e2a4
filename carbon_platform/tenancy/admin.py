"""Admin for the operator: organisations, memberships, API clients; the audit trail read-only."""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

from .models import ApiClient, AuditEvent, Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_zh", "kind", "uscc", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["name", "name_zh", "uscc"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation__kind"]
    raw_id_fields = ["user"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Clients are created by their organisation's admin (API access page) or `manage.py pact_client_create`,
    which make the service user and show the secret once; here they are only looked at and re-scoped."""

    list_display = ["name", "organisation", "scopes", "service_user", "created_at"]
    list_filter = ["scopes"]
    readonly_fields = ["organisation", "application", "service_user", "created_by"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "action", "object_type", "object_id", "actor", "organisation"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Personal API tokens are their owners' only, shown once when made (the personal token page); an
# organisation admin revokes them on the API access page. DRF's TokenAdmin lists every key in full and
# names each token by its key (change, delete and history pages), so it is not the operator's either.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
