"""Load an organisation export into an empty database (see carbon_platform.tenancy.portability)."""

from django.core.management.base import BaseCommand, CommandError

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.portability import organisation_import


class Command(BaseCommand):
    help = (
        "Load a file written by organisation_export into an empty, migrated database, whole or not at all; "
        "API clients and webhook subscriptions get new secrets."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: str, database: str, **options):
        try:
            with open(file, encoding="utf-8") as stream:
                summary = organisation_import(stream=stream, using=database)
        except (OSError, ApplicationError) as error:
            raise CommandError(getattr(error, "message", str(error))) from error
        self.stdout.write(f"Imported {sum(summary.counts.values())} rows from {file}.")
        for label, count in sorted(summary.counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            f"Audit events: {summary.audit_events}, each matching its hash; {summary.audit_links_checked} links "
            f"to the event before checked, {summary.audit_links_elsewhere} lead to other organisations' events "
            "(not in the file). New secrets: API clients need a new client secret from their admin, webhook "
            "subscriptions have a new signing secret."
        )
