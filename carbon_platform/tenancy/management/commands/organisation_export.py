"""Write one organisation's data to a JSON file (see carbon_platform.tenancy.portability)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from carbon_platform.tenancy.models import Organisation
from carbon_platform.tenancy.portability import organisation_export


class Command(BaseCommand):
    help = (
        "Export one organisation (by id, Unified Social Credit Code or exact name) with everything it owns and "
        "refers to, secrets withheld, to a JSON file that organisation_import loads into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="id, Unified Social Credit Code or exact name")
        parser.add_argument("--output", "-o", help="file to write (default: <uscc>.json)")

    def handle(self, *args, organisation: str, output: str | None, **options):
        lookup = Q(uscc=organisation) | Q(name=organisation)
        if organisation.isdigit():
            lookup |= Q(pk=int(organisation))
        found = list(Organisation.objects.filter(lookup)[:2])
        if len(found) != 1:
            raise CommandError(
                f"{'No' if not found else 'More than one'} organisation matches {organisation!r}."
            )
        org = found[0]
        path = output or f"{org.uscc}.json"
        with open(path, "w", encoding="utf-8") as stream:
            counts = organisation_export(organisation=org, stream=stream)
        self.stdout.write(f"Exported {org.name} ({org.uscc}): {sum(counts.values())} rows to {path}.")
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
