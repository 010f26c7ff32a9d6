"""`manage.py export_ledger_csv --fund ID --output FILE`: the fund's journal, one row per leg."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from funds.exports.csvstream import write_rows
from funds.exports.ledger import ledger_rows
from funds.models import Fund


class Command(BaseCommand):
    help = "Write a fund's ledger journal as CSV (with each entry's hash and previous hash)."

    def add_arguments(self, parser):
        parser.add_argument("--fund", type=int, required=True, help="The fund's id.")
        parser.add_argument("--output", required=True, help="The CSV file to write.")

    def handle(self, *args, **options):
        if not Fund.objects.filter(pk=options["fund"]).exists():
            raise CommandError(f"There is no fund with id {options['fund']}.")
        rows = write_rows(ledger_rows(fund_id=options["fund"]), options["output"])
        self.stderr.write(f"Wrote {rows - 1} ledger lines to {options['output']}.")
