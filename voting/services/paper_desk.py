"""The paper desk: marking paper voters against the member register (issue 9 point 5).

A member is picked from the register (found by their private name, house and postcode), so an
online vote and a paper vote collide on one unique constraint. Someone not on the register is
checked for eligibility (postcode in the area, age band, connection) and recorded by an identity
key: an HMAC (receipt key) of the normalised name, house and postcode (communities.identity), so
spelling variants of one person collide. An exact match is refused automatically; near matches
are shown to a trustee with both records, who decides (audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q

from audit.services import audit_record
from communities.identity import IdentityParts
from communities.models import AgeBand, Connection, Membership, Postcode
from communities.services.postcodes import format_postcode, normalise_postcode
from config.errors import ApplicationError, ForbiddenError, StateError

from ..models import Channel, Participation, Pot, VoteRound
from ..permissions import can_manage_rounds, ensure_paper_keyer, window_refusal
from ._common import lock_round


def ensure_keyer(actor, round: VoteRound) -> None:
    ensure_paper_keyer(actor, round)
    if not round.channel_paper:
        raise StateError("This vote does not take paper ballots.")


def in_person_parts(*, name: str, house: str, postcode: str) -> IdentityParts:
    """The normalised identity of someone at the desk (see communities.identity)."""
    return IdentityParts.of(name=name, house=house, postcode=postcode)


def _eligible_membership_refusal(round: VoteRound, membership: Membership) -> str | None:
    if membership.neighbourhood_id != round.neighbourhood_id or not membership.is_active:
        return "This person is not a verified member of the neighbourhood."
    return _age_connection_refusal(round, membership.age_band, membership.connection)


def _age_connection_refusal(round: VoteRound, age_band: str, connection: str) -> str | None:
    if round.eligible_connections and connection not in round.eligible_connections:
        return "This person's connection to the area is not eligible in this vote."
    if round.min_age_band and AgeBand.rank(age_band) < AgeBand.rank(round.min_age_band):
        return "This person is below the vote's minimum age."
    return None


def _in_area_refusal(round: VoteRound, postcode: str) -> str | None:
    """The postcode must lie in one of the neighbourhood's units (the postcode table)."""
    lookup = Postcode.objects.filter(postcode=postcode).first()
    if lookup is None:
        return (
            f"{format_postcode(postcode)} is not in our postcode list, so we cannot tell that it "
            "is in the area. Ask a trustee to confirm them as a member instead."
        )
    area = set(round.neighbourhood.units.values_list("code", flat=True))
    if not lookup.unit_codes() & area:
        return (
            f"{format_postcode(postcode)} is not inside {round.neighbourhood.name}'s area. "
            "Someone who works, studies or volunteers here joins the member register first."
        )
    return None


@dataclass
class NearMatch:
    """A record that looks like the person at the desk without being the same key."""

    kind: str  # "member" or "in_person"
    pk: int
    name: str
    address: str

    def describe(self) -> str:
        where = "on the member register" if self.kind == "member" else "voted in person"
        return f"{self.name}, {self.address} ({where})"


class NearMatchError(ApplicationError):
    """Someone like this person is already recorded: a trustee compares and decides."""

    def __init__(self, message: str, *, matches: list[NearMatch], candidate: str) -> None:
        super().__init__(
            message,
            extra={
                "candidate": candidate,
                "near_matches": [m.__dict__ for m in matches],
            },
        )
        self.matches = matches
        self.candidate = candidate


@dataclass
class PaperMark:
    """What marking a paper voter did: the pots marked, and the pots skipped with the reason."""

    created: list[Participation]
    skipped: list[tuple[Pot, str]]
    refused: bool = False
    near_matches: list[NearMatch] = field(default_factory=list)

    @property
    def message(self) -> str:
        """For the desk: which pots to hand papers for, and which not."""
        if self.refused:
            return "A trustee decided this is someone already recorded: give them no papers."
        marked = ", ".join(f"“{p.pot.name}”" for p in self.created)
        text = f"Give them ballot papers for {marked}."
        if self.skipped:
            text += " Not for " + "; ".join(
                f"“{pot.name}” (already voted {how})" for pot, how in self.skipped
            )
            text += "."
        return text


def _near_matches(round: VoteRound, parts: IdentityParts, exact: list[str]) -> list[NearMatch]:
    """Members at the same postcode, and in-person voters of this round, with the same surname
    or the same house but not the same key: shown to a trustee, never refused blindly."""
    found: list[NearMatch] = []
    members = Membership.objects.filter(
        neighbourhood=round.neighbourhood, private_postcode=parts.postcode
    ).exclude(identity_key__in=exact)
    for m in members:
        other = IdentityParts.of(
            name=m.private_name, house=m.private_house, postcode=m.private_postcode
        )
        if parts.near(other):
            address = f"{m.private_house}, {format_postcode(m.private_postcode)}"
            found.append(NearMatch("member", m.pk, m.private_name, address))
    near = parts.near_key_sets()
    seen: set[str] = set()
    rows = (
        Participation.objects.filter(round=round)
        .exclude(in_person_key="")
        .exclude(in_person_key__in=exact)
        .filter(
            Q(in_person_surname_key__in=near["surname"]) | Q(in_person_house_key__in=near["house"])
        )
        .order_by("id")
    )
    for row in rows:
        if row.in_person_key in seen:
            continue
        seen.add(row.in_person_key)
        found.append(NearMatch("in_person", row.pk, row.in_person_name, row.in_person_address))
    return found


@transaction.atomic
def paper_voter_mark(
    *,
    actor,
    round: VoteRound,
    membership: Membership | None = None,
    name: str = "",
    house: str = "",
    postcode: str = "",
    age_band: str = "",
    connection: str = "",
    near_match_decision: str = "",
) -> PaperMark:
    """Record that someone was given paper ballots, in every pot of the round where they have
    not voted yet; every row records who marked it.

    A member is picked from the register (membership): their age band and connection are
    checked, and an online vote and a paper vote collide on the same unique constraint. Someone
    not on the register gives name, house number or name, postcode, age band and connection:
    the postcode must be in the area and the round's rules met; they are recorded by an
    identity key, so an exact match (with a member or an earlier in-person voter) is refused
    automatically. Near matches raise NearMatchError with both records; a trustee then decides
    `near_match_decision="distinct"` (mark them) or `"same"` (refuse), and the decision is
    audited. Pots already voted in are skipped and reported; refused when no pot is left.
    """
    round = lock_round(round)
    ensure_keyer(actor, round)
    refusal = window_refusal(round)
    if refusal:
        raise StateError(f"Paper voters can only be marked while the vote is open. {refusal}")
    fields: dict = {}
    near: list[NearMatch] = []
    if membership is not None:
        membership = Membership.objects.select_related("user").get(pk=membership.pk)
        refusal = _eligible_membership_refusal(round, membership)
        if refusal:
            raise ApplicationError(refusal)
        # The identity key as it is now, as an online cast records it (ballots.ballot_cast).
        fields = {
            "membership": membership,
            "age_band": membership.age_band,
            "in_person_key": membership.identity_key,
        }
        who: dict = {"membership_id": membership.pk}
        identity = {"membership": membership}
    else:
        if not (house or "").strip() and "/" in (name or ""):
            name, house = name.split("/", 1)  # "R Resident / 1 Hope Rd" typed in one box
        name = " ".join((name or "").split())
        house = " ".join((house or "").split())
        if not name or not house or not (postcode or "").strip():
            raise ApplicationError(
                "Enter the voter's full name, house number or name, and postcode."
            )
        postcode = normalise_postcode(postcode)
        if age_band not in AgeBand.values:
            raise ApplicationError("Ask the voter's age band.")
        if connection not in Connection.values:
            raise ApplicationError("Ask how the voter is connected to the area.")
        refusal = _in_area_refusal(round, postcode) or _age_connection_refusal(
            round, age_band, connection
        )
        if refusal:
            raise ApplicationError(refusal)
        parts = in_person_parts(name=name, house=house, postcode=postcode)
        if not parts.complete:
            raise ApplicationError("Enter the voter's surname, house number or name, and postcode.")
        exact = parts.keys()
        on_register = Membership.objects.filter(
            neighbourhood=round.neighbourhood, identity_key__in=exact
        )
        if any(m.is_active for m in on_register):
            raise ApplicationError(
                "This person is on the member register: search the register and mark them "
                "there, so a vote online and on paper cannot both count."
            )
        # An exact match decides by itself (its pots are skipped below): no trustee needed.
        recorded = Participation.objects.filter(round=round, in_person_key__in=exact).exists()
        near = [] if recorded else _near_matches(round, parts, exact)
        if near and near_match_decision not in ("distinct", "same"):
            raise NearMatchError(
                "Someone like this person is already recorded. A trustee compares both "
                "records and decides whether they are the same person.",
                matches=near,
                candidate=f"{name}, {house}, {format_postcode(postcode)}",
            )
        if near:
            if not can_manage_rounds(actor, round.neighbourhood):
                raise ForbiddenError(
                    "Only a trustee can decide whether two similar records are the same person."
                )
            audit_record(
                action="voting.paper_near_match_decided",
                actor=actor,
                obj=round,
                actor_role="trustee",
                changes={
                    "decision": near_match_decision,
                    "compared_with": [f"{m.kind}:{m.pk}" for m in near],
                },
            )
            if near_match_decision == "same":
                return PaperMark(created=[], skipped=[], refused=True, near_matches=near)
        near_keys = parts.near_keys()
        fields = {
            "in_person_key": exact[0],
            "in_person_surname_key": near_keys["surname"],
            "in_person_house_key": near_keys["house"],
            "in_person_name": name[:200],
            "in_person_address": f"{house}, {format_postcode(postcode)}"[:200],
            "age_band": age_band,
        }
        who = {"in_person": True}
        # Any key of this person (current or older receipt key), or a lapsed membership of theirs.
        identity = {"in_person_key__in": exact}
        lapsed = list(on_register.values_list("pk", flat=True))
    created: list[Participation] = []
    skipped: list[tuple[Pot, str]] = []
    for pot in round.pots.all():
        already = Participation.objects.filter(pot=pot, **identity).first()
        if already is None and membership is None and lapsed:
            already = Participation.objects.filter(pot=pot, membership__in=lapsed).first()
        if already is not None:
            skipped.append((pot, "online" if already.channel == Channel.ONLINE else "on paper"))
            continue
        try:
            with transaction.atomic():
                created.append(
                    Participation.objects.create(
                        round=round, pot=pot, channel=Channel.PAPER, recorded_by=actor, **fields
                    )
                )
        except IntegrityError:
            skipped.append((pot, "online or on paper"))
    if not created:
        where = "; ".join(f"{how} in “{pot.name}”" for pot, how in skipped)
        raise StateError(f"This person has already voted {where}: there is no pot left.")
    audit_record(
        action="voting.paper_voter_marked",
        actor=actor,
        obj=round,
        actor_role="volunteer",
        changes={**who, "pots": [p.pot_id for p in created], "skipped": [p.pk for p, _ in skipped]},
    )
    return PaperMark(created=created, skipped=skipped, near_matches=near)
