"""A resident's journey through the API with the client generated from its schema.

    make api-client                       # generates build/api-client (package commonpurse_client)
    SITE=http://127.0.0.1:8000 TOKEN=cp_... PYTHONPATH=build/api-client \\
        .venv/bin/python scripts/api_client_journey.py

With the demo data (`make run`) and a token of resident@example.org (made on /accounts/tokens/):
ask to join Riverside Park, propose something in Hollin Bank and send it to the trustees, vote
in Hollin Bank's open round, and read the results of its past round. Prints one JSON line per
step; stops with a message at the first refusal. tests/api/test_generated_client.py runs it.
"""

from __future__ import annotations

import json
import os
import sys

from commonpurse_client import AuthenticatedClient
from commonpurse_client.api.v1 import (
    neighbourhoods_join,
    neighbourhoods_list,
    proposals_create,
    proposals_submit,
    rounds_ballot_cast,
    rounds_get,
    rounds_list,
    rounds_results,
)
from commonpurse_client.models import (
    BallotInRequest,
    BallotInRequestChoicesType1,
    CostLineInRequest,
    Error,
    JoinInRequest,
    ProposalInRequest,
    ThemeEnum,
)

HOME = "hollin-bank"  # the demo resident's neighbourhood: its open round and its past results
NEW = "riverside-park"  # a neighbourhood the demo resident has not joined yet


def ok(step: str, result):
    """The parsed answer, or stop with the API's own error message."""
    if result is None or isinstance(result, Error):
        if isinstance(result, Error):
            fields = result.error.fields.to_dict() if result.error.fields else {}
            sys.exit(f"{step}: refused: {result.error.message} {json.dumps(fields)}")
        sys.exit(f"{step}: no answer")
    return result


def say(step: str, **facts) -> None:
    print(json.dumps({"step": step, **facts}), flush=True)


def main() -> None:
    client = AuthenticatedClient(base_url=os.environ["SITE"], token=os.environ["TOKEN"], timeout=30)
    with client:
        slugs = [n.slug for n in ok("list", neighbourhoods_list.sync(client=client)).results]
        say("neighbourhoods", slugs=slugs)

        joined = ok(
            "join",
            neighbourhoods_join.sync(
                NEW,
                client=client,
                body=JoinInRequest.from_dict(
                    {"connection": "lives", "age_band": "35_49", "postcode": "ZZ2 1AB"}
                ),
            ),
        )
        say("join", neighbourhood=joined.neighbourhood, status=joined.status)

        draft = ok(
            "propose",
            proposals_create.sync(
                HOME,
                client=client,
                body=ProposalInRequest(
                    title="Planters on Hollin Parade",
                    summary="Six planters and a watering rota along the shops",
                    description="Residents water them; the tenants' association stores the cans.",
                    theme=ThemeEnum.ENVIRONMENT,
                    cost_lines=[CostLineInRequest(description="Planters", amount_pence=120000)],
                ),
            ),
        )
        submitted = ok("submit", proposals_submit.sync(HOME, draft.id, client=client))
        say("propose", proposal=submitted.id, status=str(submitted.status))

        rounds = ok("rounds", rounds_list.sync(HOME, client=client)).results
        open_round = next(r for r in rounds if str(r.status) == "open")
        detail = ok("round", rounds_get.sync(open_round.id, client=client))
        pot = detail.pots[0]
        first = pot.items[0].proposal_id
        if str(detail.ballot_method) == "cumulative":
            choices = BallotInRequestChoicesType1.from_dict({str(first): detail.points_total})
        else:
            choices = [first]
        cast = ok(
            "vote",
            rounds_ballot_cast.sync(
                detail.id, client=client, body=BallotInRequest(pot=pot.id, choices=choices)
            ),
        )
        say("vote", round=cast.round_id, pot=cast.pot_id, receipt_code=cast.receipt_code)

        past = next(r for r in rounds if str(r.status) == "results_published")
        results = ok("results", rounds_results.sync(past.id, client=client))
        say(
            "results",
            round=results.round_id,
            selected=[row.proposal_id for p in results.pots for row in p.rows if row.selected],
        )


if __name__ == "__main__":
    main()
