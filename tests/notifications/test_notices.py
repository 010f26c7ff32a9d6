"""Notices to eligible members about votes: sent once, digest or straight away, one-click
unsubscribe from a signed link, plain-text and HTML parts, links from SITE_URL (issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from notifications.models import DigestItem, Kind, RoundNotice, Unsubscription
from notifications.services import (
    closing_reminders_queue,
    digests_send,
    notification_preferences_update,
    round_notice_send,
    unsubscribe_token,
)
from notifications.tasks import closing_reminders_task, round_notice_task
from outbox.models import OutboxMessage
from tests.factories import MembershipFactory, resident
from tests.voting.factories import round_with_pot
from voting.models import VoteRound
from voting.services import rounds_advance

pytestmark = pytest.mark.django_db
S = VoteRound.Status


def _published_round(**kwargs):
    now = timezone.now()
    return round_with_pot(
        status=S.PUBLISHED,
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=3),
        **kwargs,
    )


def test_opening_a_round_emails_its_eligible_members_once(django_capture_on_commit_callbacks):
    round, _ = _published_round(eligible_connections=["lives"])
    voter = resident(round.neighbourhood)
    resident(round.neighbourhood, connection="works")  # not eligible in this round
    MembershipFactory(status="pending")  # another neighbourhood, not verified
    with django_capture_on_commit_callbacks(execute=True):
        assert rounds_advance()["opened"] == [round.pk]
    assert [m.to for m in mail.outbox] == [[voter.email]]
    message = mail.outbox[0]
    assert "Voting opens today" in message.subject
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    # a re-run of the notice (a duplicate delivery) sends nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert round_notice_task(round.pk, "opens") == 0
    assert len(mail.outbox) == 1
    assert RoundNotice.objects.filter(round=round, kind="opens").count() == 1


@override_settings(SITE_URL="https://purse.example.org:8443")
def test_links_come_from_site_url_and_every_email_has_an_unsubscribe_link(
    django_capture_on_commit_callbacks,
):
    round, _ = _published_round()
    resident(round.neighbourhood)
    with django_capture_on_commit_callbacks(execute=True):
        rounds_advance()
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    round_url = "https://purse.example.org:8443" + reverse("voting:round_detail", args=[round.pk])
    assert round_url in message.body and round_url in html
    assert "https://purse.example.org:8443/notices/unsubscribe/" in message.body
    assert "https://purse.example.org:8443/notices/unsubscribe/" in html
    assert ":8000" not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_one_click_unsubscribe_needs_no_login_and_stops_that_kind_only(
    client, django_capture_on_commit_callbacks
):
    round, _ = _published_round()
    voter = resident(round.neighbourhood)
    token = unsubscribe_token(user_id=voter.pk, kind="opens")
    response = client.get(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 200
    assert Unsubscription.objects.filter(user=voter, kind="opens").exists()
    with django_capture_on_commit_callbacks(execute=True):
        rounds_advance()
    assert mail.outbox == []  # no "opens" email
    # the page's undo button subscribes again
    client.post(reverse("notifications:unsubscribe", args=[token]), {"action": "resubscribe"})
    assert not Unsubscription.objects.filter(user=voter).exists()


def test_a_tampered_unsubscribe_token_is_refused(client):
    voter = resident(round_with_pot()[0].neighbourhood)
    token = unsubscribe_token(user_id=voter.pk, kind="opens")
    response = client.get(reverse("notifications:unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert not Unsubscription.objects.exists()


def test_digest_members_get_one_email_a_day_not_one_per_notice(
    django_capture_on_commit_callbacks,
):
    round, _ = _published_round()
    voter = resident(round.neighbourhood)
    notification_preferences_update(actor=voter, delivery="digest", kinds=list(Kind.values))
    with django_capture_on_commit_callbacks(execute=True):
        rounds_advance()
    assert mail.outbox == []
    assert DigestItem.objects.filter(user=voter, sent_at__isnull=True).count() == 1
    assert digests_send() == 1
    assert len(mail.outbox) == 1 and round.title in mail.outbox[0].body
    assert "/notices/unsubscribe/" in mail.outbox[0].body
    assert digests_send() == 0  # a re-run sends nothing twice
    assert len(mail.outbox) == 1


def test_closing_reminder_goes_once_per_round(django_capture_on_commit_callbacks):
    now = timezone.now()
    soon, _ = round_with_pot(closes_at=now + timedelta(hours=20))
    later, _ = round_with_pot(closes_at=now + timedelta(days=3))
    resident(soon.neighbourhood)
    resident(later.neighbourhood)
    with django_capture_on_commit_callbacks(execute=True):
        assert closing_reminders_task() == [soon.pk]
    assert len(mail.outbox) == 1 and "Voting closes" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert closing_reminders_queue() == []  # the next hour's run
        assert round_notice_send(round_id=soon.pk, kind="closing") == 0  # a duplicate delivery
    assert len(mail.outbox) == 1


def test_results_published_notice_and_no_notice_for_an_annulled_round():
    round, _ = round_with_pot(status=S.RESULTS_PUBLISHED)
    resident(round.neighbourhood)
    assert round_notice_send(round_id=round.pk, kind="results") == 1
    annulled, _ = round_with_pot(status=S.ANNULLED)
    resident(annulled.neighbourhood)
    assert round_notice_send(round_id=annulled.pk, kind="closing") == 0


def test_notices_are_queued_through_the_outbox_with_ids_only():
    round, _ = _published_round()
    rounds_advance()
    message = OutboxMessage.objects.get(task="notifications.tasks.round_notice_task")
    assert message.args == [round.pk, "opens"]


def test_preferences_page_saves_the_choice(client):
    round, _ = round_with_pot()
    voter = resident(round.neighbourhood)
    client.force_login(voter)
    url = reverse("notifications:preferences")
    assert client.get(url).status_code == 200
    client.post(url, {"delivery": "digest", "kinds": ["results"]})
    assert voter.notification_preference.delivery == "digest"
    assert set(Unsubscription.objects.filter(user=voter).values_list("kind", flat=True)) == {
        "opens",
        "closing",
        "closed",
    }


def test_a_trustee_opening_and_closing_now_notifies_members_once_each(
    django_capture_on_commit_callbacks,
):
    from tests.factories import trustee
    from voting.services import round_close_now, round_open_now

    now = timezone.now()
    round, _ = round_with_pot(
        status=S.PUBLISHED, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8)
    )
    chair = trustee(round.neighbourhood)
    with django_capture_on_commit_callbacks(execute=True):
        round = round_open_now(actor=chair, round=round)
    with django_capture_on_commit_callbacks(execute=True):
        round_close_now(actor=chair, round=round)
    with django_capture_on_commit_callbacks(execute=True):
        rounds_advance()  # the scheduler finds nothing more to do
    subjects = sorted(m.subject.split(":")[0] for m in mail.outbox)
    # the chair is a resident too (trustee(resident_too=True))
    assert subjects == ["[Common Purse] Voting has closed", "[Common Purse] Voting opens today"]
