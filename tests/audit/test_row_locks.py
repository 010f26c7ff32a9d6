"""A row lock takes only the row the rule needs: on PostgreSQL, select_for_update() with
select_related would also lock every joined row (the neighbourhood, the proposer), so every
write about anything in a neighbourhood would queue behind one row."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from accounts.models import User
from communities.models import Membership, Neighbourhood
from communities.services.memberships import _locked as lock_membership
from proposals.models import Comment, Proposal
from proposals.services._common import lock as lock_proposal
from proposals.services.engagement import _lock_comment
from tests.audit.test_concurrency import Holder, _without_waiting
from tests.factories import MembershipFactory, ProposalFactory
from tests.proposals.factories import CommentFactory
from tests.voting.factories import VoteRoundFactory
from voting.models import VoteRound
from voting.services._common import lock_round

ROOT = Path(__file__).resolve().parents[2]


def _nowait(model, pk):
    return _without_waiting(lambda: model.objects.select_for_update(nowait=True).get(pk=pk))


def _proposal():
    p = ProposalFactory()
    return p, lock_proposal, Proposal, [(Neighbourhood, p.neighbourhood_id), (User, p.proposer_id)]


def _round():
    r = VoteRoundFactory()
    return r, lock_round, VoteRound, [(Neighbourhood, r.neighbourhood_id)]


def _membership():
    m = MembershipFactory()
    return m, lock_membership, Membership, [(Neighbourhood, m.neighbourhood_id), (User, m.user_id)]


def _comment():
    c = CommentFactory()
    return (
        c,
        _lock_comment,
        Comment,
        [(Proposal, c.proposal_id), (Neighbourhood, c.proposal.neighbourhood_id)],
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.parametrize(
    "case", [_proposal, _round, _membership, _comment], ids=lambda f: f.__name__
)
def test_locking_a_row_leaves_the_rows_it_joins_free(case):
    obj, lock, model, joined = case()
    with Holder(lambda: lock(obj)):
        # the joined rows can be locked by another connection at once...
        for other, pk in joined:
            assert _nowait(other, pk).pk == pk
        # ...while the locked row itself cannot (the control)
        with pytest.raises(OperationalError, match="could not obtain lock"):
            _nowait(model, obj.pk)


def _chain(node: ast.AST) -> list[ast.Call]:
    """The calls of one method chain, outermost first: a.b().c().d() -> [d(), c(), b()]."""
    calls = []
    while True:
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return calls


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def test_no_lock_with_select_related_locks_the_joined_rows():
    """Every select_for_update() in a chain with select_related names of=("self",)."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            calls = _chain(node)
            names = [_name(c) for c in calls]
            if "select_for_update" in names and "select_related" in names:
                lock = calls[names.index("select_for_update")]
                if not any(k.arg == "of" for k in lock.keywords):
                    offenders.append(f"{path.relative_to(ROOT)}:{lock.lineno}")
    assert sorted(set(offenders)) == []
