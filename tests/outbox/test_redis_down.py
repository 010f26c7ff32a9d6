"""Issue 9 point 10: with Redis down, nobody gets a 500 or waits on it, and nothing is lost.

Redis here is a port nothing listens on (as after a crash); the real-Redis version, killed
mid-run with a real worker, is test_redis_outage.py.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.urls import reverse

from communities import services as community_services
from communities.models import Membership, Role
from outbox import services as outbox_services
from outbox.models import OutboxMessage
from outbox.services import outbox_drain
from outbox.tasks import outbox_deliver_task
from proposals.models import ProposalImage
from tests.communities.factories import pending, role_holder
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident
from tests.proposals.factories import DraftFactory, jpeg_bytes, upload
from tests.voting.factories import proposal_ids, round_with_pot

from .outage import celery_on, fail_soft_cache, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """Broker and cache both point at a Redis that is not there; spies count every attempt."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = fail_soft_cache(url)
    outbox_services.broker_mark_up()
    send = mock.patch.object(
        outbox_deliver_task, "apply_async", wraps=outbox_deliver_task.apply_async
    )
    connect = mock.patch.object(
        RedisCacheClient, "get_client", autospec=True, side_effect=RedisCacheClient.get_client
    )
    with celery_on(url), send as broker_calls, connect as cache_calls:
        yield {"broker": broker_calls, "cache": cache_calls}
    outbox_services.broker_mark_up()


def test_with_redis_down_every_action_succeeds_and_after_it_returns_each_email_goes_once(
    client, make_user, redis_down, django_capture_on_commit_callbacks
):
    n = NeighbourhoodFactory(slug="here")
    round, pot = round_with_pot(n)
    voter = resident(n)
    proposer = resident(n)
    draft = DraftFactory(neighbourhood=n, proposer=proposer)
    shortlisted = ProposalFactory(neighbourhood=n, proposer=proposer, status="shortlisted")
    trustee = role_holder(n, Role.TRUSTEE)
    code = (
        community_services.access_code_batch_create(
            actor=trustee, neighbourhood=n, label="x", count=1
        )
        .codes.get()
        .code
    )
    joiner = pending(n).user
    member = make_user("member@example.org")
    client.raise_request_exception = True  # any 500 fails the test with its traceback

    with django_capture_on_commit_callbacks(execute=True):
        # sign-up (allauth's rate limits use the cache; its email is sent in the request)
        response = client.post(
            "/accounts/signup/",
            {
                "display_name": "Sam Okoro",
                "email": "new@example.org",
                "password1": "a-Long-pass-2026!",
                "password2": "a-Long-pass-2026!",
            },
        )
        assert response.status_code == 302
        assert mail.outbox[-1].to == ["new@example.org"]
        # login
        client.logout()
        response = client.post(
            "/accounts/login/", {"login": member.email, "password": "pw-Secret-123"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        # access-code redemption (wrong code counted in the cache, then the right one)
        client.force_login(joiner)
        verify = "/neighbourhoods/here/join/verify/"
        response = client.post(verify, {"method": "code", "code": "AAAAA-AAAAA"})
        assert response.status_code == 200
        response = client.post(verify, {"method": "code", "code": code})
        assert response.status_code == 302
        assert Membership.objects.get(user=joiner).status == Membership.Status.VERIFIED
        # voting
        client.force_login(voter)
        a = proposal_ids(pot)[0]
        response = client.post(reverse("voting:ballot", args=[pot.pk]), {"choice": [a]})
        assert response.status_code == 200
        assert b"receipt" in response.content.lower()
        # a photo
        client.force_login(proposer)
        response = client.post(
            f"/proposals/here/{draft.pk}/photos/",
            {"image": upload(jpeg_bytes(800, 600)), "alt_text": "The hall"},
        )
        assert response.status_code == 302
        # a comment
        client.force_login(voter)
        response = client.post(f"/proposals/here/{shortlisted.pk}/comments/", {"body": "Yes!"})
        assert response.status_code == 302

    # the mechanism: the first hand-over tried the broker once, with no retries; after that
    # no request touched the broker, and the cache gave up on Redis after its first failure
    assert redis_down["broker"].call_count == 1
    assert redis_down["broker"].call_args.kwargs["retry"] is False
    assert redis_down["cache"].call_count == 1
    assert not cache.redis_available
    # nothing was lost: every notice waits in the outbox, and no notice went out yet
    queued = dict(OutboxMessage.objects.values_list("task", "done_at"))
    assert set(queued) == {
        "voting.tasks.ballot_receipt_email_task",
        "proposals.tasks.proposal_image_process_task",
        "proposals.tasks.comment_email_task",
    }
    assert set(queued.values()) == {None}
    image = ProposalImage.objects.get()
    assert image.status == ProposalImage.Status.PENDING
    sent_before = len(mail.outbox)

    # when Redis returns (tasks inline here) the drain runs each once, and a second drain
    # (a re-send after the broker came back) sends nothing twice
    with celery_on("memory://", eager=True):
        assert outbox_drain()["done"] == 3
        assert outbox_drain()["pending"] == 0
        for message in OutboxMessage.objects.all():
            assert outbox_services.outbox_deliver(message_id=message.pk) is False
    image.refresh_from_db()
    assert image.status == ProposalImage.Status.READY
    delivered = sorted((m.to[0], m.subject) for m in mail.outbox[sent_before:])
    assert delivered == sorted(
        [
            (voter.email, f"[Common Purse] Your vote in “{round.title}” was recorded"),
            (proposer.email, "A new comment on your proposal"),
        ]
    )


def test_the_fail_soft_cache_keeps_counting_in_memory_while_redis_is_down(redis_down):
    assert cache.get("k", "default") == "default"
    assert cache.add("k", 0) is True
    assert cache.incr("k") == 1
    assert cache.get("k") == 1
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    cache.delete("a")
    assert not cache.has_key("a")
    assert redis_down["cache"].call_count == 1  # Redis is not tried again for a few seconds
