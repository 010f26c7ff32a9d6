"""`manage.py export_audit_jsonl --output FILE [--fund ID]`: the audit trail as JSON lines."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from funds.exports.audit import audit_lines
from funds.models import Fund


class Command(BaseCommand):
    help = (
        "Write the audit trail as JSON lines, stream by stream, with each event's hash and each "
        "stream's head. With --fund, events "
        "about other things are stubs (seq and hashes only), so the chain still verifies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="The .jsonl file to write.")
        parser.add_argument("--fund", type=int, help="Only this fund's events in full.")

    def handle(self, *args, **options):
        fund = None
        if options.get("fund") is not None:
            fund = Fund.objects.filter(pk=options["fund"]).first()
            if fund is None:
                raise CommandError(f"There is no fund with id {options['fund']}.")
        count = streams = 0
        with open(options["output"], "w", encoding="utf-8", newline="\n") as handle:
            for line in audit_lines(fund=fund):
                handle.write(line)
                if line.startswith('{"head_hash"'):
                    streams += 1
                else:
                    count += 1
        self.stderr.write(
            f"Wrote {count} audit events in {streams} streams to {options['output']}."
        )
