"""`manage.py export_360giving --output FILE [--format json|csv] [--fund ID ...]`."""

from __future__ import annotations

import io
import json

from django.core.management.base import BaseCommand

from funds.exports import threesixtygiving as g360


class Command(BaseCommand):
    help = (
        "Write the funds' grants as a 360Giving Data Standard 1.4 package (JSON) or its flat "
        "CSV: the funder's grant to each fund holder and the fund holders' grants on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="File to write ('-' for stdout).")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--fund", type=int, action="append", help="Only this fund (repeatable)."
        )

    def handle(self, *args, **options):
        data = g360.package(options.get("fund"))
        out = io.StringIO(newline="")
        if options["format"] == "csv":
            g360.write_csv(data["grants"], out)
        else:
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.write("\n")
        if options["output"] == "-":
            self.stdout.write(out.getvalue(), ending="")
            return
        with open(options["output"], "w", encoding="utf-8", newline="") as handle:
            handle.write(out.getvalue())
        self.stderr.write(f"Wrote {len(data['grants'])} grants to {options['output']}.")
