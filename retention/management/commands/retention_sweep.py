"""Delete in-person data and phone numbers past COMMONPURSE_RETENTION_DAYS now (what the nightly
task does)."""

from django.core.management.base import BaseCommand

from retention.services import retention_sweep


class Command(BaseCommand):
    help = "Delete in-person identity data and phone numbers past the retention period."

    def handle(self, *args, **options):
        totals = retention_sweep()
        self.stdout.write(", ".join(f"{label}: {n}" for label, n in totals.items()) + " deleted.")
