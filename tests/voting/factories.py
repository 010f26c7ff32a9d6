"""Factories and helpers for the voting tests: rounds in any state, with pots and proposals."""

from __future__ import annotations

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import NeighbourhoodFactory, ProposalFactory
from voting.models import BallotMethod, CountingRule, Pot, PotItem, VoteRound


class VoteRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VoteRound

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    title = factory.Sequence(lambda n: f"Vote {n}")
    status = VoteRound.Status.OPEN
    ballot_method = BallotMethod.KNAPSACK
    counting_rule = CountingRule.GREEDY
    eligible_connections = factory.LazyFunction(lambda: ["lives", "works", "studies", "volunteers"])
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=6))


def round_with_pot(
    neighbourhood=None, *, costs=(300_000, 400_000, 500_000), amount_pence=1_000_000, **kwargs
):
    """A round (open unless told otherwise) with one pot whose ballot has proposals of `costs`."""
    neighbourhood = neighbourhood or NeighbourhoodFactory()
    round = VoteRoundFactory(neighbourhood=neighbourhood, **kwargs)
    pot = Pot.objects.create(round=round, name="Main pot", amount_pence=amount_pence)
    for number, cost in enumerate(costs, start=1):
        proposal = ProposalFactory(neighbourhood=neighbourhood, cost_pence=cost, status="on_ballot")
        PotItem.objects.create(pot=pot, proposal=proposal, number=number, cost_pence=cost)
    return round, pot


def proposal_ids(pot) -> list[int]:
    return list(pot.items.order_by("number").values_list("proposal_id", flat=True))


def postcode_in_area(postcode: str = "HP11AA", *, ward_code: str = "E05000001"):
    """A postcode-table row inside the factories' default neighbourhood area (ward E05000001)."""
    from communities.models import Postcode

    return Postcode.objects.get_or_create(postcode=postcode, defaults={"ward_code": ward_code})[0]


_keyer_numbers = itertools.count(1)


def keyer(neighbourhood, **kwargs):
    """A resident confirmed in person, with two-factor set up and a private name and address, as
    paper keyers need (issue 9 point 3)."""
    from communities.models import VerificationMethod
    from tests.factories import MembershipFactory, UserFactory

    n = next(_keyer_numbers)
    details = {
        "verification_method": VerificationMethod.ATTESTATION,
        "private_name": f"Kim Keyer{n}",
        "private_house": str(n),
        "private_postcode": "HP1 1AA",
    }
    return MembershipFactory(
        neighbourhood=neighbourhood, user=UserFactory(mfa=True), **{**details, **kwargs}
    ).user
