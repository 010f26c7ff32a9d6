"""Every role against every voting action, with the expected allow or deny (acceptance 4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import ConflictDeclaration, Membership, Role, RoleAssignment
from config.errors import ApplicationError
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory, resident, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import AnnulmentRequest, Ballot, Volunteer, VoteRound
from voting.permissions import (
    can_annul_round,
    can_certify_round,
    can_confirm_annulment,
    can_count_round,
    can_enter_paper_ballots,
    can_export_round,
    can_manage_rounds,
    can_publish_results,
    can_view_results,
    can_view_round,
    can_vote_in_round,
)
from voting.services import ballot_cast

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "unverified_user",
    "other_resident",
    "resident",
    "too_young",
    "pending_member",
    "trustee",
    "chair",
    "finance_officer",
    "funder_auditor",
    "platform_admin",
]

# role: (vote, manage, certify, paper, see unpublished results)
EXPECTED = {
    "anonymous": (False, False, False, False, False),
    "unverified_user": (False, False, False, False, False),
    "other_resident": (False, False, False, False, False),
    "resident": (True, False, False, False, False),
    "too_young": (False, False, False, False, False),
    "pending_member": (False, False, False, False, False),
    "trustee": (True, True, True, True, True),
    "chair": (True, True, True, True, True),
    "finance_officer": (False, False, False, False, False),
    "funder_auditor": (False, False, False, False, False),
    "platform_admin": (False, False, False, False, False),
}


def make(role, place):
    from django.contrib.auth.models import AnonymousUser

    if role == "anonymous":
        return AnonymousUser()
    if role == "unverified_user":
        user = UserFactory(verified=False)
        MembershipFactory(user=user, neighbourhood=place)
        return user
    if role == "other_resident":
        return resident(NeighbourhoodFactory())
    if role == "resident":
        return resident(place)
    if role == "too_young":
        return resident(place, age_band="16_17")
    if role == "pending_member":
        return resident(place, status=Membership.Status.PENDING)
    if role == "trustee":
        return trustee(place)
    if role == "chair":
        return trustee(place, role=Role.CHAIR)
    if role in ("finance_officer", "funder_auditor"):
        user = UserFactory(mfa=True)
        RoleAssignment.objects.create(user=user, neighbourhood=place, role=role)
        return user
    if role == "platform_admin":
        return UserFactory(is_platform_admin=True, mfa=True)
    raise AssertionError(role)


@pytest.fixture
def rounds():
    place = NeighbourhoodFactory()
    open_round, pot = round_with_pot(place, min_age_band="18_24")
    counted, _ = round_with_pot(place, status="counted", channel_paper=True)
    return place, open_round, pot, counted


@pytest.mark.parametrize("role", ROLES)
def test_predicates(role, rounds):
    place, open_round, pot, counted = rounds
    user = make(role, place)
    vote, manage, certify, paper, results = EXPECTED[role]
    assert can_view_round(user, open_round)
    assert can_vote_in_round(user, open_round) is vote
    assert can_manage_rounds(user, place) is manage
    assert can_certify_round(user, counted) is certify
    assert can_enter_paper_ballots(user, counted) is paper
    assert can_view_results(user, counted) is results
    assert can_export_round(user, counted) is results


@pytest.mark.parametrize("role", ROLES)
def test_casting_a_ballot(role, rounds):
    place, open_round, pot, _ = rounds
    user = make(role, place)
    allowed = EXPECTED[role][0]
    if allowed:
        ballot_cast(actor=user, pot=pot, choices=proposal_ids(pot)[:1])
        assert Ballot.objects.count() == 1
    else:
        with pytest.raises(ApplicationError):
            ballot_cast(actor=user, pot=pot, choices=proposal_ids(pot)[:1])
        assert Ballot.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_pages(role, rounds, client):
    place, open_round, pot, counted = rounds
    user = make(role, place)
    if role != "anonymous":
        client.force_login(user)
    vote, manage, _, paper, results = EXPECTED[role]
    denied = 302 if role == "anonymous" else 403
    assert client.get(reverse("voting:round_detail", args=[open_round.pk])).status_code == 200
    ballot = client.get(reverse("voting:ballot", args=[pot.pk]))
    assert ballot.status_code == (200 if vote else denied)
    create = client.get(reverse("voting:round_create", args=[place.slug]))
    assert create.status_code == (200 if manage else denied)
    desk = client.get(reverse("voting:paper", args=[counted.pk]))
    assert desk.status_code == (200 if paper else denied)
    page = client.get(reverse("voting:results", args=[counted.pk]))
    assert page.status_code == (200 if results else 404)


def test_trustee_without_two_factor_is_sent_to_set_it_up(client):
    place = NeighbourhoodFactory()
    user = trustee(place, mfa=False)
    client.force_login(user)
    response = client.get(reverse("voting:round_create", args=[place.slug]))
    assert response.status_code == 302 and "totp" in response["Location"]


def test_draft_rounds_are_hidden_from_residents(client):
    place = NeighbourhoodFactory()
    draft, _ = round_with_pot(place, status="draft")
    assert not can_view_round(resident(place), draft)
    assert can_view_round(trustee(place), draft)
    assert client.get(reverse("voting:round_detail", args=[draft.pk])).status_code == 404


# --- Every role against every round state (issue 9 point 13) -----------------------------
# The volunteer keys paper ballots for the round under test (a verified account with
# two-factor, not a member); the conflicted trustee declared a conflict on a proposal on its
# ballot. In the certified state another trustee has asked to annul the round, so that
# confirming the annulment is a live question.

STATE_ROLES = [
    "anonymous",
    "unverified_user",
    "other_resident",
    "resident",
    "too_young",
    "pending_member",
    "volunteer",
    "trustee",
    "chair",
    "conflicted_trustee",
    "finance_officer",
    "funder_auditor",
    "platform_admin",
]
RS = VoteRound.Status
ROUND_STATES = list(RS.values)
HOLDERS = {"trustee", "chair", "conflicted_trustee"}
UNCONFLICTED = {"trustee", "chair"}
VOTERS = {"resident"} | HOLDERS  # trustees are residents too; a conflict does not stop a vote
EVERYONE = set(STATE_ROLES)
_ROUND_ROLES = {"volunteer", "conflicted_trustee"}  # made per round, below


def expected_in_state(state: str) -> dict[str, set[str]]:
    """predicate -> the roles for which it answers True in a round in this state."""
    results = (
        EVERYONE
        if state == RS.RESULTS_PUBLISHED
        else HOLDERS
        if state in (RS.COUNTED, RS.CERTIFIED)
        else set()
    )
    return {
        "view": HOLDERS if state == RS.DRAFT else EVERYONE,
        "vote": VOTERS if state == RS.OPEN else set(),
        "manage": HOLDERS,
        "count": UNCONFLICTED if state in (RS.CLOSED, RS.COUNTED) else set(),
        "certify": UNCONFLICTED if state == RS.COUNTED else set(),
        "publish_results": UNCONFLICTED if state == RS.CERTIFIED else set(),
        "annul": UNCONFLICTED if state not in (RS.RESULTS_PUBLISHED, RS.ANNULLED) else set(),
        "confirm_annulment": UNCONFLICTED if state == RS.CERTIFIED else set(),
        "enter_paper": HOLDERS | {"volunteer"},
        "view_results": results,
        "export": results,
    }


PREDICATES = {
    "view": can_view_round,
    "vote": can_vote_in_round,
    "manage": lambda u, r: can_manage_rounds(u, r.neighbourhood),
    "count": can_count_round,
    "certify": can_certify_round,
    "publish_results": can_publish_results,
    "annul": can_annul_round,
    "confirm_annulment": can_confirm_annulment,
    "enter_paper": can_enter_paper_ballots,
    "view_results": can_view_results,
    "export": can_export_round,
}


@pytest.mark.parametrize("state", ROUND_STATES)
def test_every_role_against_every_round_state(state):
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, status=state, min_age_band="18_24", channel_paper=True)
    users = {role: make(role, place) for role in STATE_ROLES if role not in _ROUND_ROLES}
    users["volunteer"] = UserFactory(mfa=True)
    Volunteer.objects.create(round=round, user=users["volunteer"], appointed_by=trustee(place))
    users["conflicted_trustee"] = trustee(place)
    ConflictDeclaration.objects.create(
        user=users["conflicted_trustee"],
        neighbourhood=place,
        object_type="proposals.proposal",
        object_id=str(proposal_ids(pot)[0]),
        reason="I proposed it.",
    )
    if state == RS.CERTIFIED:
        AnnulmentRequest.objects.create(
            round=round, reason="Misprint.", requested_by=trustee(place)
        )
    wrong = []
    for name, allowed in expected_in_state(state).items():
        got = {role for role in STATE_ROLES if PREDICATES[name](users[role], round)}
        if got != allowed:
            wrong.append(f"{name}: allowed {sorted(got)}, expected {sorted(allowed)}")
    assert not wrong, f"{state}:\n" + "\n".join(wrong)
