"""`python manage.py import_indicators FILE.csv`: load indicator values in bounded memory.

The long format (docs/prospects.md): code, indicator, period, value, denominator, source,
licence. `--declarations DECL.csv` first declares the indicators (key, name, unit,
higher_is_better, matching, source, licence). All or nothing; importing a file again
changes nothing.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from communities.management.commands._importing import ProgressBar
from config.errors import ApplicationError
from prospects.services import indicator_declarations_import, indicators_import


class Command(BaseCommand):
    requires_system_checks: list = []
    help = (
        "Load indicator values from a CSV with columns code, indicator, period, value, "
        "denominator, source, licence. Each (indicator, year) in the file replaces what was "
        "there. Streams the file; all or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--declarations", help="Declare indicators from this CSV first.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        if not options["file"] and not options["declarations"]:
            raise CommandError("Name a values file, or --declarations FILE, or both.")
        for path in filter(None, (options["declarations"], options["file"])):
            if not os.path.isfile(path):
                raise CommandError(f"There is no file at {path}.")
        if options["declarations"]:
            with open(options["declarations"], "rb") as stream:
                try:
                    count = indicator_declarations_import(stream=stream)
                except ApplicationError as exc:
                    raise CommandError(f"{exc.message} Nothing was imported.") from None
            self.stdout.write(self.style.SUCCESS(f"Declared {count} indicators."))
        if not options["file"]:
            return
        path = options["file"]
        bar = None if options["quiet"] else ProgressBar(self.stderr._out)
        with open(path, "rb") as stream:
            try:
                result = indicators_import(
                    stream=stream,
                    total_bytes=os.path.getsize(path),
                    progress=bar,
                    batch_size=options["batch_size"],
                )
            except ApplicationError as exc:
                if bar:
                    bar.finish()
                raise CommandError(f"{exc.message} Nothing was imported.") from None
        if bar:
            bar.finish()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.rows:,} rows over {result.periods} indicator-years: "
                f"{result.created:,} new, {result.updated:,} changed, {result.deleted:,} "
                f"removed, {result.unchanged:,} unchanged."
            )
        )
