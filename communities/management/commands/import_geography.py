"""`python manage.py import_geography FILE.csv`: load ONS geography units (idempotent)."""

from django.core.management.base import BaseCommand

from communities.services import geography_import

from ._importing import run_import


class Command(BaseCommand):
    requires_system_checks: list = []
    help = (
        "Load geography units from a CSV with columns code, unit_type, vintage, name, "
        "local_authority, imd_decile, left_behind. All or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        run_import(self, geography_import, options["file"], quiet=options["quiet"])
