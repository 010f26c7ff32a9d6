"""import_pb FILE.pb --neighbourhood SLUG: load a Pabulib election as a closed round."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from communities.models import Neighbourhood
from config.errors import ApplicationError
from voting.services import round_import_pabulib


class Command(BaseCommand):
    help = "Load a Pabulib file as a closed vote round (for demos, training and testing)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--neighbourhood", required=True, help="Slug of the neighbourhood")
        parser.add_argument("--title", default="", help="Title of the round")

    def handle(self, *args, file, neighbourhood, title="", **options):
        place = Neighbourhood.objects.filter(slug=neighbourhood).first()
        if place is None:
            raise CommandError(f"There is no neighbourhood {neighbourhood!r}.")
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            result = round_import_pabulib(
                neighbourhood=place, source=data, title=title or _name(file)
            )
        except ApplicationError as exc:
            raise CommandError(f"{file}: {exc.message}") from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        round = result.round
        ballots = round.ballots.count()
        self.stdout.write(
            f"Imported round {round.pk} “{round.title}”: {round.pots.first().items.count()} "
            f"projects, {ballots} ballots (closed; count it from the round page)."
        )


def _name(path: str) -> str:
    from pathlib import Path

    return Path(path).stem
