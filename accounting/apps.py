"""App config for the carmaker side."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = _("Accounting")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from carbon_platform import read_cache
        from carbon_platform.tenancy.models import Organisation

        from .models import Footprint, VehicleModel

        # What the cached public reads show (carbon_platform/read_cache.py); the rollup's COPY writes call
        # read_cache.data_changed() themselves.
        for model in (VehicleModel, Footprint, Organisation):
            for signal, name in ((post_save, "save"), (post_delete, "delete")):
                signal.connect(
                    read_cache.on_model_change,
                    sender=model,
                    dispatch_uid=f"read-cache-{model.__name__}-{name}",
                )
