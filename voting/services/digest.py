"""The ballot-set digest: at close (and at count, if paper ballots agreed after close changed a
pot) each pot's ballots get a SHA-256 fingerprint, written to the audit trail, shown on the results
page and in the .pb META, so anyone can check the published ballots are the counted ones.

How to recompute it from a published file is in docs/voting.md ("Ballot digest").
"""

from __future__ import annotations

from django.utils import timezone

from audit.services import audit_record

from ..counting.digest import ballots_digest
from ..models import Pot, VoteRound
from .results import pot_election


def pot_ballots_digest(pot: Pot) -> tuple[str, int]:
    """(SHA-256 of the pot's sorted canonical ballots, number of ballots), from the database."""
    return ballots_digest(pot_election(pot))


def round_digest_ballots(*, round: VoteRound, actor=None, stage: str) -> bool:
    """Compute every pot's digest; store and audit it when it is new or has changed.

    Call inside the caller's transaction, with the round row locked (close, count), so no
    ballot can arrive between the digest and the state change. True if anything was written.
    """
    pots = list(round.pots.all())
    digests = {pot.pk: pot_ballots_digest(pot) for pot in pots}
    changed = [pot for pot in pots if (pot.ballots_sha256, pot.ballots_digested) != digests[pot.pk]]
    if not changed and round.ballots_digested_at:
        return False
    for pot in changed:
        pot.ballots_sha256, pot.ballots_digested = digests[pot.pk]
        pot.save(update_fields=["ballots_sha256", "ballots_digested"])
    round.ballots_digested_at = timezone.now()
    round.save(update_fields=["ballots_digested_at"])
    audit_record(
        action="voting.ballots_digested",
        actor=actor,
        obj=round,
        actor_role="trustee" if actor else "system",
        changes={
            "stage": stage,
            "algorithm": "sha256 over sorted canonical ballots (docs/voting.md)",
            "pots": {
                str(pk): {"sha256": sha, "ballots": n} for pk, (sha, n) in sorted(digests.items())
            },
        },
    )
    return True
