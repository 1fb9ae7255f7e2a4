"""Register a PACT client (OAuth2 client credentials) for an organisation and print its id and secret once."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from carbon_platform.tenancy.models import Organisation
from pact import services


class Command(BaseCommand):
    help = (
        "Create a read-only OAuth2 client-credentials API client acting for an organisation (PACT /auth/token). "
        "Organisation admins create clients, read or write, at /organisation/api-access/."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "organisation", help="The organisation's id, Unified Social Credit Code or exact name."
        )
        parser.add_argument("--name", default="PACT client", help="A name for the client.")

    def handle(self, *args, organisation, name, **options):
        lookup = Q(uscc=organisation.upper()) | Q(name=organisation)
        if organisation.isdigit():
            lookup |= Q(pk=int(organisation))
        matches = list(Organisation.objects.filter(lookup)[:2])
        if len(matches) != 1:
            raise CommandError(f"No single organisation matches {organisation!r}.")
        api_client, secret = services.pact_client_create(organisation=matches[0], name=name)
        self.stdout.write(f"organisation:  {matches[0].name}")
        self.stdout.write(f"client_id:     {api_client.application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write(f"scopes:        {api_client.scopes}")
        self.stdout.write("The secret is stored hashed: keep it now, it cannot be shown again.")
