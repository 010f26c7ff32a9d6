"""`manage.py verify_ledger [--fund ID]`: exit 0 when every chain verifies, else 1 and the entry."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from funds.models import Fund
from funds.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Re-verify each fund's ledger: hash chain, balanced entries, and the heads recorded in "
        "the audit trail. Exits 1 naming the first entry that does not verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fund", type=int, help="Verify only this fund (its id).")

    def handle(self, *args, **options):
        fund_id = options.get("fund")
        if fund_id is not None and not Fund.objects.filter(pk=fund_id).exists():
            raise CommandError(f"There is no fund with id {fund_id}.")
        heads, problem = verify_ledger(fund_id=fund_id)
        if problem is not None:
            self.stderr.write(f"Ledger does NOT verify: {problem}")
            sys.exit(1)
        entries = sum(head.count for head in heads)
        self.stdout.write(f"Ledger verifies: {len(heads)} fund(s), {entries} entries.")
        for head in heads:
            self.stdout.write(f"  fund {head.fund_id}: head #{head.seq} {head.hash}")
