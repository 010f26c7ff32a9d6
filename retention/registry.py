"""What personal data is deleted, and when (RULINGS, "Retention").

Each `RoundData` entry names rows tied to a vote round that hold in-person identity data (keys,
names, addresses): once the round was certified (or annulled) more than
`COMMONPURSE_RETENTION_DAYS` ago, `pending` picks the rows still holding it and `erase` is
the update that removes it. The rows themselves stay (turnout by channel still counts them).
To cover a new model (polling cards, kiosk sessions), add one entry to ROUND_DATA.

Phone numbers are not tied to a round: a number is deleted that long after its owner stopped
texts (`PHONE_NUMBERS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Q, Value, When
from django.db.models.functions import Cast, Concat


@dataclass(frozen=True)
class RoundData:
    label: str  # what the audit event counts, e.g. "in-person voters"
    model: str  # "app_label.ModelName"
    round_path: str  # lookup from the model to its VoteRound, e.g. "round" or "card__round"
    pending: Q  # rows still holding the data
    erase: Callable[[], dict] = field(default=dict)  # field -> value/expression for .update()


def _participation_erase() -> dict:
    # A member's row keeps its membership and loses the key; a non-member's key must stay
    # unique per pot and non-empty (participation_has_voter): it becomes "erased-<row id>",
    # which names nobody.
    return {
        "in_person_key": Case(
            When(membership__isnull=False, then=Value("")),
            default=Concat(Value("erased-"), Cast("pk", output_field=CharField())),
            output_field=CharField(),
        ),
        "in_person_surname_key": "",
        "in_person_house_key": "",
        "in_person_name": "",
        "in_person_address": "",
    }


ROUND_DATA: list[RoundData] = [
    RoundData(
        label="in-person voters",  # paper desk, polling cards and kiosks
        model="voting.Participation",
        round_path="round",
        pending=(
            (~Q(in_person_key="") & ~Q(in_person_key__startswith="erased-"))
            | ~Q(in_person_name="")
            | ~Q(in_person_address="")
            | ~Q(in_person_surname_key="")
            | ~Q(in_person_house_key="")
        ),
        erase=_participation_erase,
    ),
    # Polling card and kiosk voters keep their identity in these same Participation fields (the
    # cards hold only a keyed hash of their code; a kiosk voter's VoterVisit is deleted at the
    # cast, at "Finish" or after 2 idle minutes), so the entry above covers them too.
]
