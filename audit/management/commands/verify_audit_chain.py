"""`python manage.py verify_audit_chain`: exit 0 if the audit chain is intact, 1 naming the
first bad event otherwise."""

import sys

from django.core.management.base import BaseCommand

from audit.models import AuditEvent
from audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute every audit event's hash and check the chain; exit 1 at the first bad event."

    def handle(self, *args, **options):
        problem = audit_chain_verify()
        if problem is None:
            count = AuditEvent.objects.count()
            self.stdout.write(f"Audit chain intact: {count} events verified.")
            return
        self.stderr.write(f"Audit chain broken at event #{problem.seq}: {problem.reason}")
        sys.exit(1)
