"""`manage.py export_statement --fund ID --format csv|pdf --output FILE [--from D] [--to D]`."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from funds.exports.csvstream import write_rows
from funds.exports.statement import statement_for, statement_pdf, statement_rows
from funds.models import Fund


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date like 2026-04-01.") from exc


class Command(BaseCommand):
    help = (
        "Write a fund's statement (opening, movements and closing of each figure) for a date "
        "range, both days included, as CSV or PDF."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fund", type=int, required=True, help="The fund's id.")
        parser.add_argument("--format", choices=["csv", "pdf"], default="csv")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument("--from", dest="start", help="First day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", help="Last day (YYYY-MM-DD).")

    def handle(self, *args, **options):
        fund = (
            Fund.objects.select_related("neighbourhood", "funder", "holder")
            .filter(pk=options["fund"])
            .first()
        )
        if fund is None:
            raise CommandError(f"There is no fund with id {options['fund']}.")
        start = _day(options["start"]) if options.get("start") else None
        end = _day(options["end"]) if options.get("end") else None
        if start and end and start > end:
            raise CommandError("The first day comes after the last day.")
        export = statement_for(fund=fund, start=start, end=end)
        if options["format"] == "pdf":
            with open(options["output"], "wb") as handle:
                handle.write(statement_pdf(export))
        else:
            write_rows(statement_rows(export), options["output"])
        self.stderr.write(f"Wrote the statement of {fund.name} to {options['output']}.")
