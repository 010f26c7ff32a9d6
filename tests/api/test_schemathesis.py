"""schemathesis against a live server with the demo data: all checks, no server error, no
schema violation, and at least one 2xx for every authenticated operation (RULINGS).

Each operation runs with the token of the demo user whose role it needs (a resident's for
residents' actions, two-factor tokens of the trustee, finance officer and funder auditor for
theirs), set per operation in a config written at run time. Where the demo data has nothing
in the right state (a draft to submit, claims to approve, return and reject, a decision
waiting for its grant), the test makes it first through the services. Ids the generator
cannot guess (the trustees who vote, the receipt file's content) are pinned per operation;
everything else is generated. The HAR report of the run shows which status codes each
operation got.

Heavy (a few minutes): runs when COMMONPURSE_HEAVY_TESTS=1 (CI's PostgreSQL pass, .ci/run),
and then FAILS if schemathesis is missing rather than passing silently.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

HEAVY = os.environ.get("COMMONPURSE_HEAVY_TESTS") == "1"
EXAMPLES = int(os.environ.get("COMMONPURSE_SCHEMATHESIS_EXAMPLES", "100"))
SLUG = "hollin-bank"
# A PDF with no active content: the smallest receipt the receipt checks accept.
PDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

pytestmark = [
    pytest.mark.skipif(not HEAVY, reason="heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI does)"),
    pytest.mark.django_db(transaction=True),
]


def _schemathesis() -> str:
    found = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    if not Path(found).exists():
        pytest.fail("COMMONPURSE_HEAVY_TESTS=1 but schemathesis is not installed (dev extras)")
    return found


def _user(email: str):
    from accounts.models import User

    return User.objects.get(email=email)


def _seed_states() -> dict[str, dict]:
    """Per operation id: the role whose token it runs with, and pinned parameters."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from communities.models import Neighbourhood, Postcode
    from funds import demo as funds_demo
    from funds import services as funds
    from funds.models import Claim, ClaimItem, Fund, Grant, Organisation
    from funds.services.decisions import conflicts_for, current_trustee_ids
    from proposals import services as proposals
    from proposals.models import Proposal, Theme
    from voting.models import PotItem, VoteRound
    from voting.services import ballot_cast

    nb = Neighbourhood.objects.get(slug=SLUG)
    resident = _user("resident@example.org")
    trustee = _user("trustee@example.org")
    finance = _user("finance@example.org")
    fund = Fund.objects.get(neighbourhood=nb)
    garden, warm, play = (
        Grant.objects.get(fund=fund, proposal__title=title) for title, *_ in funds_demo.WINNERS
    )

    def item(what: str, pence: int) -> funds.ItemInput:
        data = funds_demo.receipt_image(what, pence)
        return funds.ItemInput(
            description=what, amount_pence=pence, receipt=SimpleUploadedFile("r.png", data)
        )

    # Three submitted claims: one each to approve, return and reject.
    submitted = [
        funds.claim_file(actor=resident, grant=warm, items=[item(f"Kettle {n}", 1_500)])
        for n in range(3)
    ]
    to_pay = Claim.objects.filter(grant=warm, status=Claim.Status.APPROVED).first()
    # A second fund, suspended, for the funder's auditor to resume and suspend (the demo's
    # fund stays active so that tranches and claims can be paid).
    other = funds.fund_create(
        actor=finance,
        neighbourhood=nb,
        name="API test fund",
        funder=fund.funder,
        holder=fund.holder,
        total_pence=1_000_000,
        starts_on=fund.starts_on,
        ends_on=fund.ends_on,
        tranches=[(fund.starts_on, 1_000_000)],
    )
    funds.fund_issue_agreement(actor=finance, fund=other)
    funds.fund_activate(actor=finance, fund=other)
    funder = _user("funder@example.org")
    funds.fund_suspend(actor=funder, fund=other, reason="Checking the books")
    # A passed decision that has no grant yet, for a trustee to turn into one.
    chair = next(u for u in funds_demo._trustees(nb) if u != trustee)
    winner = funds_demo._winner(
        nb, resident, "Bus shelter seats", 40_000, "Seats in two shelters.", Theme.OTHER
    )
    pending = funds_demo._decide(
        nb, fund, funds_demo._trustees(nb), chair, amount_pence=40_000, proposal=winner
    )
    # The proposal waiting for a decision, and the trustees who may vote on it.
    youth = Proposal.objects.get(neighbourhood=nb, title="Youth club Friday nights")
    conflicted = conflicts_for(
        trustee_ids=current_trustee_ids(nb), proposal=youth, payee_user_ids=[youth.proposer_id]
    )
    voters = sorted(current_trustee_ids(nb) - set(conflicted))
    organisation = Organisation.objects.get(name=funds_demo.GRANTEES[2][0])
    # Residents' things: two drafts (to submit and to withdraw), a proposal to support and
    # comment on, an open round and a receipt code for a ballot someone else cast.
    drafts = [
        proposals.proposal_create(
            neighbourhood=nb,
            proposer=resident,
            title=f"Planters on the parade {n}",
            summary="Six planters",
            description="Six planters with flowers.",
            theme=Theme.ENVIRONMENT,
            cost_lines=[("Planters", 30_000)],
        )
        for n in range(2)
    ]
    # (every demo proposal is the resident's own, which they cannot support)
    other_proposal = proposals.proposal_create(
        neighbourhood=nb,
        proposer=chair,
        title="Bike racks by the shops",
        summary="Ten bike racks",
        description="Ten bike racks by the parade.",
        theme=Theme.OTHER,
        cost_lines=[("Racks", 20_000)],
    )
    proposals.proposal_submit(proposal=other_proposal, actor=chair)
    round = VoteRound.objects.get(neighbourhood=nb, status=VoteRound.Status.OPEN)
    pot = round.pots.order_by("pk").first()
    choice = PotItem.objects.filter(pot=pot).order_by("pk").first().proposal_id
    voter = next(
        u
        for u in funds_demo._trustees(nb)
        if u not in (trustee, chair) and _can_cast(u, pot, choice, ballot_cast)
    )
    code = voter._cast_receipt
    riverside = Neighbourhood.objects.get(slug="riverside-park")
    units = list(riverside.units.values_list("code", flat=True))
    postcode = Postcode.objects.filter(ward_code__in=units).values_list("postcode", flat=True)[0]
    receipt_item = ClaimItem.objects.filter(claim__grant=warm).exclude(receipt="").first()
    today = timezone.localdate().isoformat()
    return {
        "neighbourhoods_join": {
            "role": "resident",
            "parameters": {"path.slug": "riverside-park", "body.postcode": postcode},
        },
        "proposals_create": {
            "role": "resident",
            "parameters": {"body.cost_lines": [{"description": "Benches", "amount_pence": 90_000}]},
        },
        "proposals_submit": {"role": "resident", "parameters": {"path.id": drafts[0].pk}},
        "proposals_withdraw": {"role": "resident", "parameters": {"path.id": drafts[1].pk}},
        "proposals_support": {"role": "resident", "parameters": {"path.id": other_proposal.pk}},
        "proposals_support_withdraw": {
            "role": "resident",
            "parameters": {"path.id": other_proposal.pk},
        },
        "proposals_comment": {"role": "resident", "parameters": {"path.id": other_proposal.pk}},
        "rounds_ballot_cast": {
            "role": "resident",
            "parameters": {
                "path.id": round.pk,
                "body.pot": pot.pk,
                "body.choices": [choice],
                "body.receipt_code": "",
            },
        },
        "receipts_lookup": {"role": "resident", "parameters": {"body.code": code}},
        "funds_claim_submit": {
            "role": "resident",
            "parameters": {
                "path.id": garden.pk,
                "body.receipt_1": PDF,
                "body.amount_pence_1": 1_000,
            },
        },
        "funds_decision_record": {
            "role": "trustee",
            "parameters": {
                "path.id": fund.pk,
                "body.proposal": youth.pk,
                "body.held_on": today,
                "body.votes": [{"trustee": pk, "vote": "for"} for pk in voters],
                "body.present_not_voting": [],
                "body.apologies": [],
                "body.amount_pence": 100_000,
                "body.recipient_organisation": organisation.pk,
                "body.payment_mode": "reimbursement",
                "body.tranches_pence": [],
            },
        },
        "funds_grant_create": {
            "role": "trustee",
            "parameters": {
                "path.id": pending.pk,
                "body.recipient_organisation": organisation.pk,
                "body.contact_email": "resident@example.org",
                "body.payment_mode": "reimbursement",
            },
        },
        "funds_claim_approve": {"role": "trustee", "parameters": {"path.id": submitted[0].pk}},
        "funds_claim_return": {"role": "trustee", "parameters": {"path.id": submitted[1].pk}},
        "funds_claim_reject": {"role": "trustee", "parameters": {"path.id": submitted[2].pk}},
        "funds_claim_pay": {"role": "finance", "parameters": {"path.id": to_pay.pk}},
        "funds_tranche_release": {
            "role": "finance",
            "parameters": {"path.id": play.tranches.get(number=1).pk},
        },
        "funds_tranche_hold": {
            "role": "funder",
            "parameters": {"path.id": garden.tranches.get(number=2).pk},
        },
        "funds_tranche_unhold": {
            "role": "funder",
            "parameters": {"path.id": garden.tranches.get(number=2).pk},
        },
        "funds_suspend": {"role": "funder", "parameters": {"path.id": other.pk}},
        "funds_resume": {"role": "funder", "parameters": {"path.id": other.pk}},
        "funds_receipt_get": {"role": "funder", "parameters": {"path.id": receipt_item.pk}},
    }


def _can_cast(user, pot, choice, ballot_cast) -> bool:
    from config.errors import ApplicationError

    try:
        result = ballot_cast(actor=user, pot=pot, choices=[choice])
    except ApplicationError:
        return False
    user._cast_receipt = result.receipt_code
    return True


def _toml(value) -> str:
    """A TOML value: JSON's strings, numbers and arrays are TOML; objects are inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def _write_config(path: Path, states: dict[str, dict], tokens: dict[str, str]) -> None:
    lines = [
        "# Written by tests/api/test_schemathesis.py for one run.",
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2XX", "400", "401", "403", "404", "409", "429"]',
        "[parameters]",
        f'"path.slug" = "{SLUG}"',
    ]
    for operation_id, state in states.items():
        lines += [
            "[[operations]]",
            f'include-operation-id = "{operation_id}"',
            f'headers = {{ Authorization = "Bearer {tokens[state["role"]]}" }}',
            "[operations.parameters]",
            *(f'"{key}" = {_toml(value)}' for key, value in state["parameters"].items()),
        ]
    path.write_text("\n".join(lines) + "\n")


def _statuses_by_operation(har: Path, schema: dict) -> dict[str, set[int]]:
    """Which status codes each operation got, from the HAR report of the run."""
    templates = []
    for route, methods in schema["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(route)) + "$"
        for method, operation in methods.items():
            templates.append((method.upper(), re.compile(pattern), operation["operationId"]))
    found: dict[str, set[int]] = {}
    for entry in json.loads(har.read_text())["log"]["entries"]:
        method = entry["request"]["method"]
        path = "/" + entry["request"]["url"].split("/", 3)[3].split("?")[0]
        for wanted, pattern, operation_id in templates:
            if method == wanted and pattern.match(path):
                found.setdefault(operation_id, set()).add(entry["response"]["status"])
    return found


def _run(executable: str, url: str, config: Path, token: str, cwd: Path, *extra: str):
    return subprocess.run(
        [
            executable,
            "--config-file",
            str(config),
            "run",
            url,
            "--checks",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--header",
            f"Authorization: Bearer {token}",
            # The live server runs the production settings, which redirect plain HTTP to
            # HTTPS; this says the request came through a TLS-terminating proxy.
            "--header",
            "X-Forwarded-Proto: https",
            "--workers",
            "1",
            "--seed",
            "1",
            "--no-color",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=cwd,
    )


def _output(result) -> str:
    return result.stdout[-20000:] + result.stderr[-5000:]


def test_schemathesis_finds_no_server_error_and_every_authenticated_operation_succeeds(
    live_server, settings, tmp_path
):
    """Two runs. The first: every operation, every phase (negative data included), with a
    demo resident's token and nothing pinned. The second: the authenticated operations with
    the token of the role each needs and the seeded ids pinned, positive data only (a pinned
    id would otherwise count as a "schema-violating request accepted"), which must show a
    2xx for every one of them."""
    from django.test import Client

    from tests.api.helpers import make_token

    executable = _schemathesis()
    with override_settings(DEBUG=True):  # seed_demo refuses to run without DEBUG
        call_command("seed_demo", stdout=io.StringIO())
    settings.API_THROTTLE_RATES = {"anon": "1000000/min", "user": "1000000/min"}
    tokens = {
        "resident": make_token(_user("resident@example.org")),
        "trustee": make_token(_user("trustee@example.org"), mfa=True),
        "finance": make_token(_user("finance@example.org"), mfa=True),
        "funder": make_token(_user("funder@example.org"), mfa=True),
    }
    url = f"{live_server.url}/api/schema/"
    static_config = Path(__file__).with_name("schemathesis.toml")
    everything = _run(executable, url, static_config, tokens["resident"], tmp_path)
    assert everything.returncode == 0, _output(everything)

    schema = Client().get("/api/schema/?format=json", HTTP_X_FORWARDED_PROTO="https").json()
    authenticated = sorted(
        operation["operationId"]
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if {} not in operation.get("security", [{}])  # no anonymous access
    )
    states = _seed_states()
    assert set(authenticated) <= set(states), set(authenticated) - set(states)
    config = tmp_path / "schemathesis.toml"
    _write_config(config, states, tokens)
    har = tmp_path / "run.har"
    selected = [arg for op in authenticated for arg in ("--include-operation-id", op)]
    roles = _run(
        executable, url, config, tokens["resident"], tmp_path,
        "--mode", "positive", "--phases", "examples,fuzzing",
        "--report", "har", "--report-har-path", str(har), *selected,
    )  # fmt: skip
    assert roles.returncode == 0, _output(roles)

    statuses = _statuses_by_operation(har, schema)
    missing = {
        op: sorted(statuses.get(op, ())) for op in authenticated
        if not any(200 <= s < 300 for s in statuses.get(op, ()))
    }  # fmt: skip
    assert not missing, f"operations with no 2xx (statuses seen): {missing}"
