"""Retention (RULINGS): in-person keys, names and addresses are deleted a set time after a
round is certified, and phone numbers that long after texts were stopped; by a scheduled task,
idempotent, audited with counts only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import SmsSubscription
from notifications.texts import sms_subscribe
from retention.services import retention_sweep
from retention.tasks import retention_sweep_task
from tests.factories import NeighbourhoodFactory, resident, trustee
from tests.voting.factories import keyer, postcode_in_area, round_with_pot
from tests.voting.test_paper_desk_register import ADULT, member_with_address
from voting.models import Participation, VoteRound
from voting.services import paper_voter_mark

pytestmark = pytest.mark.django_db
S = VoteRound.Status


@pytest.fixture
def desk():
    """An open round with paper voting, a trustee, and a volunteer at the desk."""
    from voting.services import volunteer_appoint

    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, channel_paper=True)
    chair = trustee(place)
    helper = keyer(place)
    volunteer_appoint(actor=chair, round=round, user=helper)
    postcode_in_area("HP11AA")
    postcode_in_area("HP12BB")
    return round, pot, chair, helper


def _mark_two_paper_voters(round, helper):
    place = round.neighbourhood
    member = member_with_address(place, "Mo Member", "3 Hope Rd", "HP1 1AA", **ADULT)
    paper_voter_mark(actor=helper, round=round, membership=member)
    paper_voter_mark(
        actor=helper,
        round=round,
        name="Nell Walkin",
        house="9 Hope Rd",
        postcode="HP1 2BB",
        **ADULT,
    )


def _certify(round, days_ago: int):
    at = timezone.now() - timedelta(days=days_ago)
    VoteRound.objects.filter(pk=round.pk).update(status=S.CERTIFIED, certified_at=at)


def _personal(round):
    return list(
        Participation.objects.filter(round=round).values_list(
            "in_person_key",
            "in_person_name",
            "in_person_address",
            "in_person_surname_key",
            "in_person_house_key",
        )
    )


def test_in_person_data_goes_90_days_after_certification_and_the_rows_stay(desk):
    # given a round with a member and a walk-in marked at the paper desk, certified 91 days ago
    round, _, _, helper = desk
    _mark_two_paper_voters(round, helper)
    assert any(name for _, name, *_ in _personal(round))
    _certify(round, days_ago=91)
    rows_before = Participation.objects.filter(round=round).count()
    # when the nightly task runs
    totals = retention_sweep_task()
    # then no name, address or identity key is left, and turnout still counts every row
    assert totals["in-person voters"] == rows_before
    assert Participation.objects.filter(round=round).count() == rows_before
    for key, name, address, surname, house in _personal(round):
        assert (name, address, surname, house) == ("", "", "", "")
        assert key == "" or key.startswith("erased-")
    walkin = Participation.objects.get(round=round, membership__isnull=True)
    assert walkin.in_person_key == f"erased-{walkin.pk}"
    # and the audit trail has counts only
    event = AuditEvent.objects.get(action="retention.in_person_data_deleted")
    assert event.changes == {"rows": {"in-person voters": rows_before}, "days": 90}
    assert "Walkin" not in json.dumps(event.changes)
    # a re-run deletes nothing more and records nothing
    assert retention_sweep()["in-person voters"] == 0
    assert AuditEvent.objects.filter(action__startswith="retention.").count() == 1


def test_rounds_certified_recently_or_not_at_all_keep_their_data(desk, settings):
    round, _, _, helper = desk
    _mark_two_paper_voters(round, helper)
    before = _personal(round)
    assert retention_sweep()["in-person voters"] == 0  # open round
    _certify(round, days_ago=89)
    assert retention_sweep()["in-person voters"] == 0
    assert _personal(round) == before
    settings.RETENTION_DAYS = 30  # COMMONPURSE_RETENTION_DAYS
    assert retention_sweep()["in-person voters"] == len(before)


def test_phone_numbers_go_that_long_after_texts_were_stopped(desk):
    round = desk[0]
    long_ago, lately, still_on = (resident(round.neighbourhood) for _ in range(3))
    for user, phone in (
        (long_ago, "07911 123456"),
        (lately, "07912 345678"),
        (still_on, "07400 123456"),
    ):
        sms_subscribe(actor=user, phone=phone, consent=True)
    now = timezone.now()
    SmsSubscription.objects.filter(user=long_ago).update(opted_out_at=now - timedelta(days=91))
    SmsSubscription.objects.filter(user=lately).update(opted_out_at=now - timedelta(days=5))
    assert retention_sweep()["phone numbers"] == 1
    numbers = dict(SmsSubscription.objects.values_list("user_id", "phone_e164"))
    assert numbers == {long_ago.pk: "", lately.pk: "+447912345678", still_on.pk: "+447400123456"}
    event = AuditEvent.objects.get(action="retention.phone_numbers_deleted")
    assert event.changes == {"rows": 1, "days": 90}
    assert retention_sweep()["phone numbers"] == 0


def test_the_task_is_scheduled_with_the_other_beat_jobs_and_has_a_command(capsys):
    jobs = {job["task"] for job in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "retention.tasks.retention_sweep_task" in jobs
    call_command("retention_sweep")
    assert "in-person voters: 0" in capsys.readouterr().out


def test_card_voters_in_a_two_pot_round_are_counted_once_each_after_retention(desk):
    # given five card voters (no account) in a round with two pots: two rows each
    from voting.models import Pot, PotItem
    from voting.services.cards import (
        VoterIdentity,
        card_batch_issue,
        card_check,
        inperson_ballot_cast,
    )
    from voting.turnout import round_turnout

    round, pot, chair, _ = desk
    second = Pot.objects.create(round=round, name="Youth pot", amount_pence=500_000)
    item = pot.items.first()
    PotItem.objects.create(pot=second, proposal=item.proposal, number=1, cost_pence=1000)
    issued = card_batch_issue(actor=chair, round=round, count=5)
    for n, (_, code) in enumerate(issued.codes, start=1):
        inperson_ballot_cast(
            round=round,
            identity=VoterIdentity(
                keys=[],
                member_ids=[],
                name=f"Voter Number{'ABCDE'[n - 1]}",
                house=f"{n}{n} Other Street",
                postcode="HP1 1AA",
                **ADULT,
            ),
            choices={p.pk: [p.items.first().proposal_id] for p in round.pots.all()},
            channel="card",
            card_id=card_check(code=code).pk,
        )
    assert Participation.objects.filter(round=round, channel="card").count() == 10

    def card_and_total():
        turnout = round_turnout(VoteRound.objects.get(pk=round.pk))
        card_row = next(r for r in turnout.rows if r.label == "Polling card")
        return card_row.count, turnout.total.count

    assert card_and_total() == ("5", "5")
    # when their names, addresses and keys are erased
    _certify(round, days_ago=91)
    assert retention_sweep()["in-person voters"] == 10
    # then each person's two rows share one token that names nobody, and turnout is unchanged
    keys = set(Participation.objects.filter(round=round).values_list("in_person_key", flat=True))
    assert len(keys) == 5 and all(k.startswith("erased-") for k in keys)
    assert card_and_total() == ("5", "5")
    assert retention_sweep()["in-person voters"] == 0
