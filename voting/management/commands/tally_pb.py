"""``manage.py tally_pb FILE.pb --rule RULE``: count a Pabulib file and print the winners as one
JSON
line.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from voting.counting import RULES, PabulibError, parse_pabulib, tally


class Command(BaseCommand):
    help = "Count a Pabulib (.pb) file with one rule; print {winners, total_cost} as JSON."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .pb file")
        parser.add_argument("--rule", required=True, choices=RULES, help="counting rule")
        parser.add_argument(
            "--exact",
            action="store_true",
            help="count in exact rationals only, as the app does (slower on large files; "
            "the default fast path is tested to give the same winners)",
        )

    def handle(self, *args, **options):
        try:
            election = parse_pabulib(options["path"])
        except PabulibError as error:
            raise CommandError(f"line {error.line}: {error.reason}") from error
        except OSError as error:
            raise CommandError(
                f"cannot read {options['path']}: {error.strerror or error}"
            ) from error
        for warning in election.warnings:
            self.stderr.write(f"warning: {warning}")
        try:
            outcome = tally(election, options["rule"], exact=options["exact"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(outcome.as_json()))
