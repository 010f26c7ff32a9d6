"""Seed for the PostgreSQL-restart test, run by `manage.py shell` against the second cluster:
an open round with one pot and N verified residents with API tokens. Prints JSON."""

from __future__ import annotations

import json
import os

from accounts.services import api_token_create
from tests.factories import NeighbourhoodFactory, resident
from tests.voting.factories import proposal_ids, round_with_pot

place = NeighbourhoodFactory()
round, pot = round_with_pot(place)
tokens = [
    api_token_create(user=resident(place), name="load", days=1).secret
    for _ in range(int(os.environ["SEED_VOTERS"]))
]
print(
    "SEED="
    + json.dumps(
        {"round": round.pk, "pot": pot.pk, "choice": proposal_ids(pot)[0], "tokens": tokens}
    )
)
