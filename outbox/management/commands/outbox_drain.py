"""Run every queued task not yet done, in this process (after an outage, or without workers)."""

from django.core.management.base import BaseCommand

from outbox.services import outbox_drain, outbox_sweep


class Command(BaseCommand):
    help = "Run queued work that is not done yet (or, with --resend, hand it to the workers)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument(
            "--resend", action="store_true", help="Hand rows to the broker instead of running them."
        )

    def handle(self, *args, limit=None, resend=False, **options):
        if resend:
            from datetime import timedelta

            sent = outbox_sweep(
                grace=timedelta(0), resend_after=timedelta(0), limit=limit or 10_000
            )
            self.stdout.write(f"{sent} handed to the broker.")
            return
        result = outbox_drain(limit=limit)
        self.stdout.write(
            f"{result['pending']} pending, {result['done']} done, "
            f"{result['failed_or_skipped']} failed or skipped."
        )
