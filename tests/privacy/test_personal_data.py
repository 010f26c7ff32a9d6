"""Personal data (issue 17): a person downloads what the platform holds about them, and erases
their account. Erasure replaces the person with a tombstone: ballots stay counted and anonymous,
the ledger and the audit chain stay valid, and none of their personal data remains."""

from __future__ import annotations

import io
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from audit.models import AuditEvent
from communities.models import Membership, Role, RoleAssignment
from communities.services import role_end
from funds import services as funds_services
from funds.models import DecisionVote, JournalEntry
from proposals.models import Comment, Support
from tests.accounts.test_second_factor_session import totp_code
from tests.factories import PASSWORD, MembershipFactory, ProposalFactory, UserFactory, resident
from tests.funds.factories import grant, make_world
from tests.proposals.factories import CommentFactory
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation
from voting.services import ballot_cast

pytestmark = pytest.mark.django_db


def _command_ok(name: str) -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code in (0, None), out.getvalue() + err.getvalue()
    return True, out.getvalue()


@pytest.fixture
def active_life():
    """Someone who voted, proposed, commented, supported, was a grantee contact and a trustee
    (who took part in the grant decision, then was stood down)."""
    w = make_world()
    person = w.trustees[-1]
    person.display_name = "Priya Person"
    person.first_name, person.last_name = "Priya", "Person"
    person.save()
    Membership.objects.filter(user=person).update(
        private_name="Priya Person",
        private_house="12",
        private_postcode="HP1 1AA",
        identity_key="k" * 64,
        postcode="HP11AA",
        verification_evidence={"note": "Met Priya at the library"},
    )
    g = grant(w)  # the decision's votes include this trustee
    g.contacts.add(person)  # a second contact, beside w.contact
    funds_services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    round, pot = round_with_pot(w.neighbourhood)
    ballot_cast(actor=person, pot=pot, choices=[proposal_ids(pot)[0]])
    ballot_cast(actor=resident(w.neighbourhood), pot=pot, choices=[proposal_ids(pot)[1]])
    proposal = ProposalFactory(
        neighbourhood=w.neighbourhood, proposer=person, title="Benches by the pond"
    )
    CommentFactory(proposal=proposal, author=person, body="My neighbour Jo at no. 14 agrees.")
    Support.objects.create(proposal=proposal, user=person)
    admin = UserFactory(is_platform_admin=True, mfa=True)
    role_end(
        actor=admin,
        assignment=RoleAssignment.objects.get(user=person, role=Role.TRUSTEE, ended_at=None),
    )
    return w, person, pot


def test_download_holds_the_persons_data_and_only_that_they_voted(client, active_life):
    # given
    w, person, pot = active_life
    client.force_login(person)
    api_token_create(user=person, name="my script", days=30)
    # when
    response = client.get("/accounts/my-data/")
    # then
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == person.email
    assert data["memberships"][0]["private_name"] == "Priya Person"
    assert data["memberships"][0]["private_postcode"] == "HP1 1AA"
    assert [p["title"] for p in data["proposals"]] == ["Benches by the pond"]
    assert data["comments"][0]["body"] == "My neighbour Jo at no. 14 agrees."
    assert len(data["supports"]) == 1
    assert data["roles"][0]["role"] == "trustee" and data["roles"][0]["ended_at"]
    assert [t["name"] for t in data["api_tokens"]] == ["my script"]
    assert "key_hash" not in data["api_tokens"][0]
    assert data["grant_contact_for"][0]["title"] == "Community garden"
    assert "preferences" in data and data["preferences"]["notify_comments"] is True
    # that they took part, in which pot, and nothing that leads to the ballot
    assert data["vote_participations"] == [
        {
            "round": pot.round.title,
            "pot": pot.name,
            "channel": "online",
            "voted_at": data["vote_participations"][0]["voted_at"],
        }
    ]
    text = response.content.decode()
    assert "choices" not in text


def test_download_needs_sign_in(client):
    response = client.get("/accounts/my-data/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_erasure_leaves_a_tombstone_and_keeps_ballots_ledger_and_audit_chain(client, active_life):
    # given
    w, person, pot = active_life
    ballots_before = sorted(Ballot.objects.filter(pot=pot).values_list("id", flat=True))
    entries_before = JournalEntry.objects.count()
    events_before = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    other_device = Client()
    other_device.force_login(person)
    assert other_device.get("/accounts/my-data/").status_code == 200
    client.force_login(person)
    # when
    response = client.post(
        "/accounts/erase/", {"password": PASSWORD, "code": totp_code(), "confirm": "on"}
    )
    # then
    assert response.status_code == 302, response.content.decode()[-3000:]
    person.refresh_from_db()
    assert person.erased_at is not None
    assert person.display_name == f"Former member #{person.pk}"
    assert str(person) == f"Former member #{person.pk}"
    assert person.email == f"erased-{person.pk}@erased.invalid"
    assert (person.first_name, person.last_name) == ("", "")
    assert not person.has_usable_password() and not person.is_active
    assert not EmailAddress.objects.filter(user=person).exists()
    assert not Authenticator.objects.filter(user=person).exists()
    assert not ApiToken.objects.filter(user=person).exists()
    membership = Membership.objects.get(user=person)
    assert membership.status == Membership.Status.LEFT
    for field in ("private_name", "private_house", "private_postcode", "identity_key", "postcode"):
        assert getattr(membership, field) == ""
    assert membership.verification_evidence == {}
    comment = Comment.objects.get(author=person)
    assert "Jo" not in comment.body
    assert not w.fund.grants.filter(contacts=person).exists()
    # ballots: the same, still counted; the participation row stays (turnout, one per member)
    assert sorted(Ballot.objects.filter(pot=pot).values_list("id", flat=True)) == ballots_before
    assert Participation.objects.filter(pot=pot, membership__user=person).count() == 1
    # decisions keep the trustee as office-holder, shown pseudonymised
    vote = DecisionVote.objects.filter(trustee=person).first()
    assert vote is not None and str(vote.trustee) == f"Former member #{person.pk}"
    # the ledger is untouched and verifies; the audit chain gained one event and verifies
    assert JournalEntry.objects.count() == entries_before
    assert _command_ok("verify_ledger")[0]
    assert _command_ok("verify_audit_chain")[0]
    events_after = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    assert events_after[: len(events_before)] == events_before
    erased = AuditEvent.objects.get(action="accounts.erased")
    assert erased.changes == {"tombstone": f"Former member #{person.pk}"}
    # nothing of theirs is left in their user row
    row = User.objects.filter(pk=person.pk).values().get()
    flat = json.dumps(row, default=str)
    for secret in ("Priya", "Person", "@example.org", "HP1"):
        assert secret not in flat
    # and they are signed out everywhere: this session and the one on another device
    assert client.get("/accounts/my-data/").status_code == 302
    assert other_device.get("/accounts/my-data/").status_code == 302


def test_erased_person_cannot_sign_in(client, active_life):
    _, person, _ = active_life
    email = person.email
    client.force_login(person)
    client.post("/accounts/erase/", {"password": PASSWORD, "code": totp_code(), "confirm": "on"})
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error; nobody signed in
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("password", "code", "field"),
    [("wrong-password", "ok", "password"), (PASSWORD, "", "code"), (PASSWORD, "000000", "code")],
)
def test_erasure_needs_the_password_and_the_second_factor(client, password, code, field):
    person = UserFactory(mfa=True, display_name="Sam")
    client.force_login(person)
    response = client.post(
        "/accounts/erase/",
        {"password": password, "code": totp_code() if code == "ok" else code, "confirm": "on"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    person.refresh_from_db()
    assert person.erased_at is None and person.display_name == "Sam"


def test_erasure_without_two_factor_needs_only_the_password_and_the_tick(client):
    person = UserFactory(display_name="Sam")
    MembershipFactory(user=person, private_name="Sam Smith")
    client.force_login(person)
    response = client.get("/accounts/erase/")
    assert "code" not in response.context["form"].fields
    refused = client.post("/accounts/erase/", {"password": PASSWORD})
    assert refused.status_code == 400 and refused.context["form"].errors["confirm"]
    done = client.post("/accounts/erase/", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 302
    assert Membership.objects.get(user=person).private_name == ""


def test_erasure_is_refused_while_the_person_holds_a_role_and_says_what_to_do(client):
    w = make_world()
    client.force_login(w.finance)
    page = client.get("/accounts/erase/")
    assert page.status_code == 200
    assert "stand you down" in page.content.decode()
    response = client.post(
        "/accounts/erase/", {"password": PASSWORD, "code": totp_code(), "confirm": "on"}
    )
    assert response.status_code == 400
    assert "finance officer in" in response.content.decode()
    w.finance.refresh_from_db()
    assert w.finance.erased_at is None and w.finance.is_active


def test_sole_contact_of_an_open_grant_must_hand_it_over_first(client):
    w = make_world()
    g = grant(w)
    client.force_login(w.contact)
    response = client.get("/accounts/erase/")
    assert "only contact for the grant" in response.content.decode()
    assert g.contacts.filter(pk=w.contact.pk).exists()


def test_account_page_links_to_download_and_erasure(client):
    client.force_login(UserFactory())
    html = client.get("/accounts/preferences/").content.decode()
    assert 'href="/accounts/my-data/"' in html and 'href="/accounts/erase/"' in html


def test_erasure_writes_one_audit_event_and_no_personal_data_in_it():
    from privacy.services import account_erase

    person = UserFactory(display_name="Ann Example")
    before = AuditEvent.objects.count()
    account_erase(user=person, password=PASSWORD)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "accounts.erased"
    assert "Ann" not in json.dumps(event.changes)
    assert event.created_at <= timezone.now()


def test_download_query_count_does_not_grow_with_the_data(client, django_assert_max_num_queries):
    person = UserFactory()
    for _ in range(3):
        membership = MembershipFactory(user=person, private_name="P")
        proposal = ProposalFactory(neighbourhood=membership.neighbourhood, proposer=person)
        CommentFactory(proposal=proposal, author=person)
        Support.objects.create(proposal=proposal, user=person)
    client.force_login(person)
    with django_assert_max_num_queries(22):
        response = client.get("/accounts/my-data/")
    data = json.loads(response.content)
    assert len(data["memberships"]) == len(data["proposals"]) == len(data["comments"]) == 3


def test_email_queued_before_erasure_is_not_sent_to_the_tombstone_address():
    # given a voter's receipt email and a moderation email, queued but not yet sent (the
    # outbox runs them after commit), for a person and for someone else
    from django.core import mail

    from notifications.models import SmsSubscription
    from notifications.texts import sms_subscribe
    from outbox.models import OutboxMessage
    from outbox.services import outbox_drain, outbox_enqueue
    from privacy.services import account_erase
    from proposals.tasks import moderation_email_task

    round, pot = round_with_pot()
    person = resident(round.neighbourhood)
    other = resident(round.neighbourhood)
    sms_subscribe(actor=person, phone="07911 123456", consent=True)
    for user in (person, other):
        ballot_cast(actor=user, pot=pot, choices=[proposal_ids(pot)[0]])
        comment = CommentFactory(author=user, body="Hidden later", hidden_reason="Off topic")
        outbox_enqueue(moderation_email_task, "comment", comment.pk, "hidden")
    assert OutboxMessage.objects.filter(done_at=None).count() == 4
    # when the person erases their account before the outbox runs
    account_erase(user=User.objects.get(pk=person.pk), password=PASSWORD)
    mail.outbox.clear()
    assert outbox_drain()["done"] == 4
    # then only the other person's emails went; nothing to the erased person's tombstone
    assert sorted(m.to[0] for m in mail.outbox) == [other.email, other.email]
    assert not any(".invalid" in m.to[0] for m in mail.outbox)
    assert len({m.subject for m in mail.outbox}) == 2  # the receipt and the moderation notice
    # and the phone number for texts is gone with the rest
    assert not SmsSubscription.objects.filter(user=person).exists()
