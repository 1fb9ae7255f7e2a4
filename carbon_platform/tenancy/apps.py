"""App config for the tenancy layer."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "carbon_platform.tenancy"
    label = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import get_access_token_model
        from rest_framework.authtoken.models import Token

        from . import credential_cache
        from .models import ApiClient, Membership, Organisation

        # Whatever can revoke or re-scope an API credential marks its cached identity.
        receivers = (
            (Token, credential_cache.on_token_change),
            (get_access_token_model(), credential_cache.on_access_token_change),
            (get_user_model(), credential_cache.on_user_change),
            (Membership, credential_cache.on_membership_change),
            (ApiClient, credential_cache.on_api_client_change),
            (Organisation, credential_cache.on_organisation_change),
        )
        for model, receiver in receivers:
            for signal, name in ((post_save, "save"), (post_delete, "delete")):
                signal.connect(
                    receiver, sender=model, dispatch_uid=f"credential-cache-{model.__name__}-{name}"
                )
