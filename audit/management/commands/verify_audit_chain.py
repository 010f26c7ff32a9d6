"""`python manage.py verify_audit_chain`: exit 0 if every audit stream's chain is intact, 1
naming the first bad event (stream, seq, id) otherwise."""

import sys

from django.core.management.base import BaseCommand

from audit.services import ChainSummary, audit_chain_verify


class Command(BaseCommand):
    help = (
        "Recompute every audit event's hash and check each stream's chain and head; "
        "exit 1 at the first bad event."
    )

    def handle(self, *args, **options):
        summary = ChainSummary()
        problem = audit_chain_verify(summary=summary)
        if problem is None:
            self.stdout.write(
                f"Audit chain intact: {summary.events} events verified "
                f"in {summary.streams} stream(s)."
            )
            return
        where = f"id {problem.event_id}" if problem.event_id is not None else "no row"
        self.stderr.write(
            f"Audit chain broken in stream {problem.stream} at event #{problem.seq} "
            f"({where}): {problem.reason}"
        )
        sys.exit(1)
