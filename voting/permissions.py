"""Pure predicates about vote rounds: who may see, run, vote in, key, certify and export them."""

from __future__ import annotations

from django.utils import formats, timezone

from accounts.permissions import has_mfa, is_verified
from communities.models import AgeBand, Neighbourhood
from communities.permissions import (
    TRUSTEE_ROLES,
    MfaRequiredError,
    active_membership,
    has_role,
    is_resident,
    is_trustee,
    member_standing,
)
from config.errors import ForbiddenError

from .models import VoteRound

RESULT_STATES = (VoteRound.Status.RESULTS_PUBLISHED,)
CLOSED_STATES = (
    VoteRound.Status.CLOSED,
    VoteRound.Status.COUNTED,
    VoteRound.Status.CERTIFIED,
    VoteRound.Status.RESULTS_PUBLISHED,
)
COUNTED_STATES = (
    VoteRound.Status.COUNTED,
    VoteRound.Status.CERTIFIED,
    VoteRound.Status.RESULTS_PUBLISHED,
)


def can_view_round(user, round: VoteRound) -> bool:
    """Every round but a draft is public; drafts are for the neighbourhood's trustees."""
    if round.status != VoteRound.Status.DRAFT:
        return True
    return has_role(user, round.neighbourhood, TRUSTEE_ROLES)


def can_manage_rounds(user, neighbourhood: Neighbourhood) -> bool:
    """Trustees (and the chair) with two-factor set up run the neighbourhood's votes."""
    return is_trustee(user, neighbourhood)


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y, H:i")


def window_refusal(round: VoteRound, now=None) -> str | None:
    """Why the round takes no votes right now (plain English), or None if it does.

    The status must be open *and* now must be inside [opens_at, closes_at): the scheduled task
    moves the status a little after the time, and no vote may slip in during that gap.
    """
    if round.status in CLOSED_STATES:
        return f"This vote is not open: it closed at {_when(round.closes_at)}."
    if round.status == VoteRound.Status.PUBLISHED:
        return f"This vote is not open yet: it opens at {_when(round.opens_at)}."
    if round.status != VoteRound.Status.OPEN:
        return "This vote is not open."
    now = now or timezone.now()
    if now >= round.closes_at:
        return f"This vote closed at {_when(round.closes_at)}."
    if now < round.opens_at:
        return f"This vote opens at {_when(round.opens_at)}."
    return None


def voter_ineligibility(user, round: VoteRound) -> str | None:
    """Why this person may not vote in the round (plain English), or None if they may.

    Only verified residents whose connection is eligible and whose age band is at least the
    round's minimum vote; the round must be open, inside its time window, and take online votes.
    """
    if not getattr(user, "is_authenticated", False):
        return "Sign in to vote."
    member_standing(user, round.neighbourhood)  # one read for what follows (no query if done)
    if not is_verified(user):
        return "Confirm your email address before you vote."
    refusal = window_refusal(round)
    if refusal:
        return refusal
    if not round.channel_online:
        return "This vote takes paper ballots only."
    if not is_resident(user, round.neighbourhood):
        return f"Only verified members of {round.neighbourhood} can vote."
    membership = active_membership(user, round.neighbourhood)
    if round.eligible_connections and membership.connection not in round.eligible_connections:
        return "This vote is for " + ", ".join(round.connections_display).lower() + "."
    if round.min_age_band and AgeBand.rank(membership.age_band) < AgeBand.rank(round.min_age_band):
        return f"This vote is for people aged {AgeBand(round.min_age_band).label.lower()} or over."
    return None


def eligible_memberships(round: VoteRound):
    """The members `voter_ineligibility` lets vote (its connection and age rules, as a
    queryset): the denominator of the results page's turnout share."""
    from communities.models import Membership

    members = Membership.objects.active().filter(neighbourhood=round.neighbourhood)
    if round.eligible_connections:
        members = members.filter(connection__in=round.eligible_connections)
    if round.min_age_band:
        least = AgeBand.rank(round.min_age_band)
        members = members.filter(
            age_band__in=[b for b in AgeBand.values if AgeBand.rank(b) >= least]
        )
    return members


# A pot's anonymised ballots (.pb) are published only from this many ballots (RULINGS "Votes"):
# with fewer, a voter could pick out their neighbours' ballots.
PB_MIN_BALLOTS = 10


def pb_withheld_reason(ballots: int) -> str | None:
    """Why a pot's .pb file is not published, in plain English, or None when it may be."""
    if ballots >= PB_MIN_BALLOTS:
        return None
    return (
        f"The anonymised ballots of this pot are not published, because it has fewer than "
        f"{PB_MIN_BALLOTS} ballots: with so few, people could work out how their neighbours voted."
    )


def can_vote_in_round(user, round: VoteRound) -> bool:
    return voter_ineligibility(user, round) is None


def _is_appointed_volunteer(user, round: VoteRound) -> bool:
    if not is_verified(user):
        return False
    cache = user.__dict__.setdefault("_cp_volunteering", {})
    if round.pk not in cache:
        cache[round.pk] = round.volunteers.filter(user=user).exists()
    return cache[round.pk]


def can_enter_paper_ballots(user, round: VoteRound) -> bool:
    """Trustees, or volunteers a trustee appointed for this round: with a verified email and
    two-factor authentication, like every power that acts on votes (issue 9 point 3)."""
    if can_manage_rounds(user, round.neighbourhood):
        return True
    return _is_appointed_volunteer(user, round) and has_mfa(user)


def ensure_paper_keyer(user, round: VoteRound) -> None:
    """Raise ForbiddenError for anyone who may not handle paper ballots, and MfaRequiredError
    for a trustee or volunteer who has not set up two-factor (so the page prompts set-up)."""
    if can_enter_paper_ballots(user, round):
        return
    if has_role(user, round.neighbourhood, TRUSTEE_ROLES) or _is_appointed_volunteer(user, round):
        raise MfaRequiredError(
            "Set up two-factor authentication before handling paper ballots: they are votes."
        )
    raise ForbiddenError("Only trustees and appointed volunteers can handle paper ballots.")


def _conflicted_on(user, round: VoteRound) -> str | None:
    """The title of a proposal on the ballot the user is conflicted on, or None.

    Remembered on this round object (one per request, or per service call: services re-read
    the round under a lock), because the round page asks several predicates that each need it
    and the check costs a query.
    """
    from proposals.models import Proposal

    cache = round.__dict__.setdefault("_cp_conflicted_on", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        # One query for the whole ballot (was two per proposal: 212 on a counted round).
        cache[key] = (
            Proposal.objects.filter(pot_items__pot__round=round)
            .conflicted_for(user)
            .order_by("pk")
            .values_list("title", flat=True)
            .first()
        )
    return cache[key]


def conflict_refusal(user, round: VoteRound, action: str) -> str | None:
    """Why this person may not take part in `action` for the round because of a conflict of
    interest on a proposal on its ballot (proposers and linked trustees are conflicted)."""
    title = _conflicted_on(user, round)
    if title is None:
        return None
    return f"You have a conflict of interest on “{title}”, so you cannot {action}."


def _trustee_refusal(user, round: VoteRound, action: str) -> str | None:
    if not can_manage_rounds(user, round.neighbourhood):
        return f"Only trustees with two-factor authentication can {action}."
    return None


def count_refusal(user, round: VoteRound) -> str | None:
    """Why this trustee may not count (or recount) the votes, or None: trustees only, once the
    vote is closed and before certification, never a conflicted one."""
    refusal = _trustee_refusal(user, round, "count a vote")
    if refusal:
        return refusal
    if round.status not in (VoteRound.Status.CLOSED, VoteRound.Status.COUNTED):
        return "Only a closed vote can be counted."
    return conflict_refusal(user, round, "count this vote")


def can_count_round(user, round: VoteRound) -> bool:
    return count_refusal(user, round) is None


def certify_refusal(user, round: VoteRound) -> str | None:
    """Why this trustee may not certify, or None: trustees only, not twice, not conflicted on
    any proposal on the ballot (proposers and linked trustees are conflicted)."""
    if not can_manage_rounds(user, round.neighbourhood):
        return "Only trustees with two-factor authentication can certify a vote."
    if round.status != VoteRound.Status.COUNTED:
        return "Only a counted vote can be certified."
    if round.certifications.filter(trustee=user).exists():
        return "You have already certified this vote; a second, different trustee must."
    return conflict_refusal(user, round, "certify")


def can_certify_round(user, round: VoteRound) -> bool:
    return certify_refusal(user, round) is None


def publish_results_refusal(user, round: VoteRound) -> str | None:
    """Why this trustee may not publish the results, or None: a certified vote, an
    unconflicted trustee."""
    refusal = _trustee_refusal(user, round, "publish results")
    if refusal:
        return refusal
    if round.status != VoteRound.Status.CERTIFIED:
        return "Only a certified vote can have its results published."
    return conflict_refusal(user, round, "publish these results")


def can_publish_results(user, round: VoteRound) -> bool:
    return publish_results_refusal(user, round) is None


ANNULLABLE_STATES = tuple(
    s
    for s in VoteRound.Status.values
    if s not in (VoteRound.Status.RESULTS_PUBLISHED, VoteRound.Status.ANNULLED)
)


def annul_refusal(user, round: VoteRound) -> str | None:
    """Why this trustee may not annul the round (or, once certified, ask for it to be
    annulled), or None: any state before results are published, never a conflicted trustee.
    A certified round needs a second trustee to confirm (`annul_confirm_refusal`)."""
    refusal = _trustee_refusal(user, round, "annul a vote")
    if refusal:
        return refusal
    if round.status not in ANNULLABLE_STATES:
        return "This vote can no longer be annulled."
    return conflict_refusal(user, round, "annul this vote")


def can_annul_round(user, round: VoteRound) -> bool:
    return annul_refusal(user, round) is None


def annul_confirm_refusal(user, round: VoteRound, request=None) -> str | None:
    """Why this trustee may not confirm the open request to annul a certified round, or None:
    a second trustee, different from the one who asked, with no conflict."""
    refusal = annul_refusal(user, round)
    if refusal:
        return refusal
    if round.status != VoteRound.Status.CERTIFIED:
        return "Only the annulment of a certified vote needs confirming."
    if request is None:
        request = round.annulment_requests.filter(
            confirmed_at__isnull=True, withdrawn_at__isnull=True
        ).first()
    if request is None:
        return "Nobody has asked to annul this vote."
    if request.requested_by_id == getattr(user, "pk", None):
        return "You asked for this annulment; a second, different trustee must confirm it."
    return None


def can_confirm_annulment(user, round: VoteRound) -> bool:
    return annul_confirm_refusal(user, round) is None


def can_open_round_now(user, round: VoteRound) -> bool:
    """Trustees without a conflict open a published vote before its opening time."""
    return (
        round.status == VoteRound.Status.PUBLISHED
        and can_manage_rounds(user, round.neighbourhood)
        and conflict_refusal(user, round, "open or close this vote") is None
    )


def can_close_round_now(user, round: VoteRound) -> bool:
    """Trustees without a conflict close an open vote before its closing time."""
    return (
        round.status == VoteRound.Status.OPEN
        and can_manage_rounds(user, round.neighbourhood)
        and conflict_refusal(user, round, "open or close this vote") is None
    )


def can_view_results(user, round: VoteRound) -> bool:
    """Published results are public; trustees see the count before publication."""
    if round.status in RESULT_STATES:
        return True
    return round.status in COUNTED_STATES and has_role(user, round.neighbourhood, TRUSTEE_ROLES)


def can_export_round(user, round: VoteRound) -> bool:
    """The anonymised ballots are open data once results are published (trustees: once counted)."""
    return can_view_results(user, round)


def can_issue_polling_cards(user, round: VoteRound) -> bool:
    """Trustees with two-factor issue cards for an online vote that has not closed (issue 16)."""
    return (
        round.channel_online
        and round.status
        in (VoteRound.Status.DRAFT, VoteRound.Status.PUBLISHED, VoteRound.Status.OPEN)
        and can_manage_rounds(user, round.neighbourhood)
    )


def can_run_kiosks(user, round: VoteRound) -> bool:
    """Trustees with two-factor open kiosks for a published or open online vote, and close
    them from any device (issue 16)."""
    return (
        round.channel_online
        and round.status in (VoteRound.Status.PUBLISHED, VoteRound.Status.OPEN)
        and can_manage_rounds(user, round.neighbourhood)
    )
