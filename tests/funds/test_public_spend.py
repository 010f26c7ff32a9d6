"""Public spend pages: what residents may see of their neighbourhood's money, and nothing
private (acceptance 3: a crawl as an anonymous visitor finds no receipt, no individual
grantee's name, no email address, no street address)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from communities.models import Membership
from funds import services
from funds.models import ClaimItem, Fund, Grant
from proposals.models import Theme
from tests.factories import MembershipFactory, UserFactory

from .factories import decide, grant, item, selected_proposal

pytestmark = pytest.mark.django_db

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
STREET = re.compile(r"\b\d+[A-Za-z]?,? [A-Z][a-z]+ (Street|Road|Lane|Avenue|Close|Way)\b")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value and value.startswith("/"):
                self.links.append(value.split("#")[0])


def _world_with_an_individual(world):
    """A paid organisation grant with a receipt and a grant to an individual resident."""
    org = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=org, items=[item(20_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    services.claim_approve(actor=world.trustees[2], claim=claim)
    services.claim_pay(actor=world.finance, claim=claim)
    person = UserFactory(
        mfa=True, display_name="Zenobia Quartermaine", email="zenobia.q@example.net"
    )
    MembershipFactory(
        user=person,
        neighbourhood=world.neighbourhood,
        private_name="Zenobia Quartermaine",
        private_house="14 Larkspur Street",
        private_postcode="ZZ9 9ZZ",
    )
    proposal = selected_proposal(world, theme=Theme.YOUNG_PEOPLE, title="Chess club kit")
    decision = decide(world, amount_pence=30_000, proposal=proposal, payee_user_ids=[person.pk])
    individual = services.grant_approve(
        actor=world.trustees[1],
        decision=decision,
        title="Chess club kit",
        recipient_user=person,
        contacts=[person],
        payment_mode=Grant.PaymentMode.REIMBURSEMENT,
    )
    return org, claim, individual, person


def test_public_spend_page_shows_received_committed_paid_grants_and_themes(client, world):
    org, _claim, individual, _person = _world_with_an_individual(world)
    url = reverse("funds:public_spend", args=[world.neighbourhood.slug])
    body = client.get(url).content.decode()
    assert "£5,000.00" in body  # received
    assert "£1,300.00" in body  # committed: £1,000 + £300
    assert "£200.00" in body  # paid
    assert org.title in body and individual.title in body
    assert "an individual resident" in body
    assert reverse("proposals:detail", args=[world.neighbourhood.slug, org.proposal_id]) in body
    assert "Spend by theme" in body and '<svg class="chart"' in body


def _crawl(client, start: list[str], *, receipt_urls, names) -> list[str]:
    """GET every /funds/ page and export reachable from `start` as an anonymous visitor and
    assert none holds a receipt link, one of `names`, an email or a street address."""
    seen: set[str] = set()
    queue = list(start)
    crawled = []
    while queue:
        url = queue.pop()
        if url in seen or not url.startswith("/funds/"):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            continue
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        content = raw.decode()
        crawled.append(url)
        for receipt in [*receipt_urls, "/funds/receipts/"]:
            assert receipt not in content, url
        for name in names:
            assert name not in content, (url, name)
        assert not EMAIL.search(content), (url, EMAIL.search(content))
        assert not POSTCODE.search(content), (url, POSTCODE.search(content))
        assert not STREET.search(content), (url, STREET.search(content))
        parser = _Links()
        parser.feed(content)
        queue.extend(parser.links)
    assert set(start) <= set(crawled)
    return crawled


def _start(neighbourhood) -> list[str]:
    return [
        reverse("funds:public_spend", args=[neighbourhood.slug]),
        reverse("funds_exports:360giving-json"),
        reverse("funds_exports:360giving-csv"),
    ]


def test_anonymous_crawl_of_public_pages_and_exports_finds_nothing_private(client, world):
    _org, claim, _individual, _person = _world_with_an_individual(world)
    crawled = _crawl(
        client,
        _start(world.neighbourhood),
        receipt_urls=[reverse("funds:receipt", args=[i.pk]) for i in claim.items.all()],
        names=["Zenobia", "Quartermaine", "Larkspur"],
    )
    fund_json = reverse("funds_exports:fund-360giving-json", args=[world.fund.pk])
    assert fund_json in crawled


def test_anonymous_crawl_of_the_demo_finds_nothing_private(client, settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo", stdout=io.StringIO())
    items = ClaimItem.objects.exclude(receipt="")
    assert items.exists()
    names = list(Membership.objects.exclude(private_name="").values_list("private_name", flat=True))
    names += [str(g.recipient_user) for g in Grant.objects.exclude(recipient_user=None)]
    for fund in Fund.objects.select_related("neighbourhood"):
        crawled = _crawl(
            client,
            _start(fund.neighbourhood),
            receipt_urls=[reverse("funds:receipt", args=[i.pk]) for i in items],
            names=names,
        )
        assert reverse("funds_exports:fund-360giving-csv", args=[fund.pk]) in crawled


def test_public_spend_page_for_a_neighbourhood_without_a_fund(client):
    from tests.factories import NeighbourhoodFactory

    nb = NeighbourhoodFactory()
    body = client.get(reverse("funds:public_spend", args=[nb.slug])).content.decode()
    assert "has no fund yet" in body


def test_neighbourhood_page_links_the_public_spend_page(client, world):
    body = client.get(reverse("communities:detail", args=[world.neighbourhood.slug]))
    assert reverse("funds:public_spend", args=[world.neighbourhood.slug]) in body.content.decode()
