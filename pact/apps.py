"""The PACT v2.3 host: footprints and events exchanged in the WBCSD PACT (Pathfinder) format."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PactConfig(AppConfig):
    name = "pact"
    verbose_name = _("PACT exchange")
    default_auto_field = "django.db.models.BigAutoField"
