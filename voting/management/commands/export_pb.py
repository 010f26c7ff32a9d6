"""export_pb ROUND_ID --output FILE.pb [--pot POT_ID]: a round's anonymised ballots as Pabulib."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError
from voting.models import VoteRound
from voting.services import round_export_pabulib


class Command(BaseCommand):
    help = "Write a round's anonymised ballots (one pot) in the Pabulib format, random voter ids."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument("--output", "-o", required=True, help="File to write ('-' for stdout)")
        parser.add_argument("--pot", type=int, help="Pot id (default: the round's first pot)")

    def handle(self, *args, round_id, output, pot=None, **options):
        round = VoteRound.objects.filter(pk=round_id).first()
        if round is None:
            raise CommandError(f"There is no round {round_id}.")
        pot_obj = None
        if pot is not None:
            pot_obj = round.pots.filter(pk=pot).first()
            if pot_obj is None:
                raise CommandError(f"Round {round_id} has no pot {pot}.")
        try:
            text = round_export_pabulib(round=round, pot=pot_obj)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if output == "-":
            self.stdout.write(text, ending="")
        else:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
