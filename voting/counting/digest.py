"""A fingerprint of a ballot set that anyone can recompute from the published Pabulib file.

Each ballot is written as its canonical line: the VOTES row of the .pb file without the voter id
(``vote`` for approval and ranking ballots, ``vote;points`` for cumulative ones). The lines are
sorted (by Unicode code point, which for these ASCII lines is byte order, as ``LC_ALL=C sort``),
each ends with a newline, and the digest is SHA-256 of the result in UTF-8. Sorting removes the
order of voting, so the digest says which ballots were counted and nothing about who cast them.
No Django here.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

from .model import Election, format_number


def ballot_lines(election: Election) -> list[str]:
    """The canonical line of every ballot (one per voter), sorted, as the .pb writes them."""
    cumulative = election.vote_type == "cumulative"
    lines = []
    for key, weight in election.ballots:
        if cumulative:
            names = ",".join(project_id for project_id, _ in key)
            points = ",".join(format_number(Fraction(p)) for _, p in key)
            line = f"{names};{points}"
        else:
            line = ",".join(key)
        lines.extend([line] * weight)
    lines.sort()
    return lines


def ballots_digest(election: Election) -> tuple[str, int]:
    """(SHA-256 hex digest of the sorted canonical ballots, number of ballots)."""
    lines = ballot_lines(election)
    text = "".join(line + "\n" for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), len(lines)


def pabulib_ballots_digest(text: str) -> tuple[str, int]:
    """The same digest recomputed from a .pb file's text (its VOTES section), for checking."""
    lines, in_votes, header = [], False, False
    for raw in text.splitlines():
        if raw.strip().upper() in ("META", "PROJECTS", "VOTES"):
            in_votes, header = raw.strip().upper() == "VOTES", True
            continue
        if not in_votes or not raw.strip():
            continue
        if header:
            header = False  # the column names
            continue
        lines.append(raw.split(";", 1)[1])
    lines.sort()
    text = "".join(line + "\n" for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), len(lines)
