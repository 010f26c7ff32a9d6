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

from django.db.models import Case, CharField, F, Min, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat


@dataclass(frozen=True)
class RoundData:
    label: str  # what the audit event counts, e.g. "in-person voters"
    model: str  # "app_label.ModelName"
    round_path: str  # lookup from the model to its VoteRound, e.g. "round" or "card__round"
    pending: Q  # rows still holding the data
    erase: Callable[[], dict] = field(default=dict)  # field -> value/expression for .update()
    # When one .update() cannot do it: takes the pending rows, erases them, returns how many.
    erase_rows: Callable[[QuerySet], int] | None = None


def _participation_erase() -> dict:
    # A member's row keeps its membership and loses the key; a non-member's key must stay
    # unique per pot and non-empty (participation_has_voter): `_participation_erase_rows` has
    # already turned it into the person's "erased-<id>" token, which is kept.
    return {
        "in_person_key": Case(
            When(membership__isnull=False, then=Value("")),
            When(in_person_key__startswith="erased-", then=F("in_person_key")),
            default=Concat(Value("erased-"), Cast("pk", output_field=CharField())),
            output_field=CharField(),
        ),
        "in_person_surname_key": "",
        "in_person_house_key": "",
        "in_person_name": "",
        "in_person_address": "",
    }


def _participation_erase_rows(rows: QuerySet) -> int:
    """Erase in-person voters' data, keeping one token per person and round.

    A non-member who voted in several pots (a card or kiosk voter votes in every pot) has one
    row per pot with the same key; the live round page counts such voters by distinct key. So
    all of one person's rows in the round get the same token, "erased-<id of their first
    row>", which names nobody (a per-row token would count them once per pot). One UPDATE per
    person, then one for the rest of the fields.
    """
    count = rows.count()
    people = (
        rows.filter(membership__isnull=True)
        .exclude(in_person_key="")
        .exclude(in_person_key__startswith="erased-")
        .values("round_id", "in_person_key")
        .annotate(first=Min("pk"))
        .order_by()
    )
    for person in list(people):
        rows.filter(
            membership__isnull=True,
            round_id=person["round_id"],
            in_person_key=person["in_person_key"],
        ).update(in_person_key=f"erased-{person['first']}")
    rows.update(**_participation_erase())
    return count


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
        erase_rows=_participation_erase_rows,
    ),
    # Polling card and kiosk voters keep their identity in these same Participation fields (the
    # cards hold only a keyed hash of their code; a kiosk voter's VoterVisit is deleted at the
    # cast, at "Finish" or after 2 idle minutes), so the entry above covers them too.
]
