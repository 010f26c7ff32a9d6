"""Polling-card voting through the pages (issue 16): time per request and page weight.

A child process runs the production configuration (DEBUG off, locmem cache: no REDIS_URL)
against a temporary SQLite database, issues cards for a round with two pots, and walks N card
voters through the five pages (code, eligibility, ballots, review, cast) with Django's test
client, after one untimed voter to warm up. It prints the median and slowest time of each step
and the size of each page (the resident-page budget is 100 KB before user images).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import migrated_sqlite, with_bench_keys

ROOT = Path(__file__).resolve().parent.parent
STEPS = ["code", "eligibility", "ballots", "review", "cast"]


def child(voters: int) -> int:
    import warnings

    import django

    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    from tests.factories import NeighbourhoodFactory, trustee
    from tests.voting.factories import postcode_in_area, proposal_ids, round_with_pot
    from voting.models import Ballot, Pot, PotItem
    from voting.services.cards import card_batch_issue

    place = NeighbourhoodFactory(slug="bench")
    round, pot = round_with_pot(place)
    second = Pot.objects.create(round=round, name="Second", amount_pence=500_000)
    item = pot.items.first()
    PotItem.objects.create(pot=second, proposal=item.proposal, number=1, cost_pence=item.cost_pence)
    postcode_in_area("HP11AA")
    codes = card_batch_issue(actor=trustee(place), round=round, count=voters + 1).codes
    url = reverse("voting:card")
    times: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    for i, (_, code) in enumerate(codes):
        client = Client()

        def step(name: str, data: dict, client=client, i=i):
            start = time.perf_counter()
            response = client.post(url, data)
            if i:
                times.setdefault(name, []).append(time.perf_counter() - start)
            sizes[name] = len(response.content)
            if response.status_code != 200:
                raise SystemExit(f"{name}: answered {response.status_code}")
            return response

        page = step("code", {"code": code})
        visit = re.search(r'name="visit" value="([^"]+)"', page.content.decode()).group(1)
        step(
            "eligibility",
            {
                "visit": visit,
                "name": f"Ann Person{i}",
                "house": f"{i + 10} Long Row",
                "postcode": "HP1 1AA",
                "age_band": "35_49",
                "connection": "lives",
            },
        )
        data = {"visit": visit}
        for p in (pot, second):
            data[f"pot{p.pk}-choice"] = [str(proposal_ids(p)[0])]
        step("ballots", data)
        step("review", {"visit": visit, "cast": "1"})
    if Ballot.objects.count() != 2 * len(codes):
        raise SystemExit("not every card vote was stored")
    print(f"{voters} card voters, 2 pots, SQLite, DEBUG off")
    labels = {
        "code": "code -> eligibility page",
        "eligibility": "eligibility -> ballot page",
        "ballots": "ballots -> review page",
        "review": "cast -> receipts page",
    }
    for name, label in labels.items():
        values = times[name]
        print(
            f"  {label:28} median {statistics.median(values) * 1000:6.1f} ms, "
            f"slowest {max(values) * 1000:6.1f} ms, page {sizes[name] / 1024:5.1f} KB"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.voters)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "EMAIL_URL": "memorymail://",
            "DJANGO_MEDIA_ROOT": f"{tmp}/media",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_MANIFEST_STATIC": "0",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
        env.pop("REDIS_URL", None)
        with_bench_keys(env)
        # A copy of the run's migrated database: the child's own migrate finds nothing to do.
        migrated_sqlite(f"{tmp}/bench.sqlite3", env)
        command = [sys.executable, "-m", "bench.cards", "--child", "--voters", str(args.voters)]
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
