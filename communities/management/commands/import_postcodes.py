"""`python manage.py import_postcodes FILE.csv`: load the postcode lookup in bounded memory."""

from django.core.management.base import BaseCommand

from communities.services import postcodes_import

from ._importing import run_import


class Command(BaseCommand):
    requires_system_checks: list = []
    help = (
        "Load the postcode to unit lookup from a CSV with columns postcode, ward_code, "
        "lsoa_code, msoa_code, lad_code (ONS headers such as pcds, wd23cd, lsoa21cd also "
        "work). Streams the file; all or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        run_import(
            self,
            postcodes_import,
            options["file"],
            quiet=options["quiet"],
            batch_size=options["batch_size"],
        )
