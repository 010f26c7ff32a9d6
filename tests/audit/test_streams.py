"""Audit events are chained per stream: one per neighbourhood (everything about it, its
members, roles, proposals and rounds) and "platform" for the rest."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import LEGACY_STREAM, AuditEvent, AuditStreamHead
from audit.services import (
    PLATFORM_STREAM,
    audit_chain_verify,
    audit_record,
    audit_stream_for,
    neighbourhood_stream,
)
from communities.services.memberships import memberships_expire
from proposals.models import ProposalImage
from tests.factories import MembershipFactory, NeighbourhoodFactory, ProposalFactory, UserFactory
from tests.proposals.factories import CommentFactory
from tests.voting.factories import VoteRoundFactory
from voting.models import PaperBatch, Pot

pytestmark = pytest.mark.django_db


def test_everything_about_a_neighbourhood_is_in_its_stream():
    n = NeighbourhoodFactory()
    proposal = ProposalFactory(neighbourhood=n)
    comment = CommentFactory(proposal=proposal)
    round = VoteRoundFactory(neighbourhood=n)
    pot = Pot.objects.create(round=round, name="Main", amount_pence=100)
    image = ProposalImage(proposal=proposal, alt_text="A bench")
    batch = PaperBatch(round=round, pot=pot)
    for obj in (n, proposal, comment, round, pot, image, batch, MembershipFactory(neighbourhood=n)):
        assert audit_stream_for(obj) == neighbourhood_stream(n.pk) == f"neighbourhood:{n.pk}"


def test_a_parent_is_read_only_when_the_caller_has_not_loaded_it(django_assert_num_queries):
    n = NeighbourhoodFactory()
    comment = CommentFactory(proposal=ProposalFactory(neighbourhood=n))
    with django_assert_num_queries(0):
        assert audit_stream_for(comment) == neighbourhood_stream(n.pk)
    fresh = type(comment).objects.get(pk=comment.pk)
    with django_assert_num_queries(1):
        assert audit_stream_for(fresh) == neighbourhood_stream(n.pk)


def test_other_events_go_to_the_platform_stream_or_the_stream_named():
    assert audit_stream_for(None) == PLATFORM_STREAM
    assert audit_stream_for(UserFactory()) == PLATFORM_STREAM
    assert audit_record(action="test.import", object_type="thing").stream == PLATFORM_STREAM
    assert audit_record(action="test.named", stream="fund:7").stream == "fund:7"


def test_a_model_can_name_its_own_stream():
    """The hook a fund's ledger will use to record its chain head at each posting."""
    user = UserFactory()
    user.audit_stream = "fund:3"
    event = audit_record(action="funds.posted", obj=user, changes={"ledger_head": "ab" * 32})
    assert event.stream == "fund:3" and event.seq == 1


def test_seq_is_gapless_per_stream_and_links_only_within_its_stream():
    a, b = NeighbourhoodFactory(), NeighbourhoodFactory()
    events = [
        audit_record(action="test.a1", obj=a),
        audit_record(action="test.b1", obj=b),
        audit_record(action="test.a2", obj=ProposalFactory(neighbourhood=a)),
        audit_record(action="test.p1"),
        audit_record(action="test.b2", obj=b),
    ]
    assert [(e.stream, e.seq) for e in events] == [
        (f"neighbourhood:{a.pk}", 1),
        (f"neighbourhood:{b.pk}", 1),
        (f"neighbourhood:{a.pk}", 2),
        (PLATFORM_STREAM, 1),
        (f"neighbourhood:{b.pk}", 2),
    ]
    assert events[2].prev_hash == events[0].hash
    assert events[4].prev_hash == events[1].hash
    heads = dict(AuditStreamHead.objects.values_list("stream", "hash"))
    assert heads == {
        f"neighbourhood:{a.pk}": events[2].hash,
        f"neighbourhood:{b.pk}": events[4].hash,
        PLATFORM_STREAM: events[3].hash,
    }
    assert audit_chain_verify() is None


def test_the_stream_is_part_of_what_the_hash_covers():
    event = audit_record(action="test.event", stream="neighbourhood:1")
    moved = AuditEvent(**{f.attname: getattr(event, f.attname) for f in AuditEvent._meta.fields})
    moved.stream = "neighbourhood:2"
    assert moved.compute_hash() != event.hash


def test_nothing_is_appended_to_the_closed_legacy_stream():
    with pytest.raises(ValueError, match="closed"):
        audit_record(action="test.event", stream=LEGACY_STREAM)
    assert not AuditEvent.objects.exists()


def test_membership_expiry_is_recorded_in_the_neighbourhood_stream():
    lapsed = MembershipFactory(expires_at=timezone.now() - timedelta(days=1))
    assert memberships_expire() == 1
    event = AuditEvent.objects.get(action="communities.membership_expired")
    assert event.stream == neighbourhood_stream(lapsed.neighbourhood_id)
    assert event.object_id == str(lapsed.pk)
