"""Verify the whole audit chain; exits 1 and names the first broken link when any event was tampered with."""

import sys

from django.core.management.base import BaseCommand

from carbon_platform.tenancy.services import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute every audit event's hash in order and report the first broken link."

    def handle(self, *args, **options):
        verdict = audit_chain_verify()
        if verdict.intact:
            self.stdout.write(f"Audit chain intact: {verdict.events_checked} events checked.")
            return
        self.stderr.write(
            f"Audit chain broken at event {verdict.first_broken_event_id}: {verdict.reason} "
            f"({verdict.events_checked} events before it are intact)."
        )
        sys.exit(1)
