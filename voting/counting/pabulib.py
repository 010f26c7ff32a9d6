"""Read and write Pabulib (.pb) files: META, PROJECTS and VOTES sections of ';'-separated rows."""

from __future__ import annotations

import csv
import gc
import io
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from fractions import Fraction
from operator import itemgetter, methodcaller
from pathlib import Path

from .model import BallotGrouper, Election, Number, Project, exact_number, format_number

SECTIONS = ("meta", "projects", "votes")


class PabulibError(ValueError):
    """A malformed Pabulib file: ``line`` is 1-based, ``reason`` is plain English."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PabulibError(line, "the file is not valid UTF-8 text") from None


def _read_source(source: str | bytes | os.PathLike) -> str:
    if isinstance(source, bytes):
        return _decode(source)
    if isinstance(source, os.PathLike) or ("\n" not in source and "\r" not in source):
        return _decode(Path(source).read_bytes())
    return source.removeprefix("\ufeff")


def _number(text: str, line: int, what: str) -> Number:
    try:
        return exact_number(text)
    except (ValueError, TypeError):
        raise PabulibError(line, f"{what} {text!r} is not a number") from None


def parse_pabulib(source: str | bytes | os.PathLike) -> Election:
    """Parse a Pabulib file given as a path, its text or its bytes, the way pabutools 1.2.3 reads
    it.

    choose-1 ballots count as approval ballots; a project named twice in an approval vote counts
    once; a
    cumulative vote naming a project twice keeps the last points. ``Election.warnings`` lists each
    project
    whose PROJECTS ``votes`` or ``score`` column differs from the recount of the VOTES section.
    """
    text = _read_source(source)
    lines = text.splitlines()
    reader = csv.reader(lines, delimiter=";")
    section = ""
    header: list[str] = []
    seen: dict[str, int] = {}
    meta: dict[str, str] = {}
    projects: list[Project] = []
    project_rows: dict[str, tuple[int, dict[str, str]]] = {}
    voter_ids: set[str] = set()
    grouper: BallotGrouper | None = None
    vote_type = ""
    line = 0
    for row in reader:
        line_start = line + 1
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        first = row[0].strip().lower()
        if first in SECTIONS and not any(cell.strip() for cell in row[1:]):
            if first in seen:
                raise PabulibError(line_start, f"the {first.upper()} section appears twice")
            if first == "projects" and "meta" not in seen:
                raise PabulibError(line_start, "the META section must come before PROJECTS")
            if first == "votes" and "projects" not in seen:
                raise PabulibError(line_start, "the PROJECTS section must come before VOTES")
            seen[first] = line_start
            section = first
            try:
                header = [cell.strip() for cell in next(reader)]
            except StopIteration:
                raise PabulibError(
                    line + 1, f"the {first.upper()} section has no header row"
                ) from None
            line = reader.line_num
            if first == "projects":
                for column in ("project_id", "cost"):
                    if column not in header:
                        raise PabulibError(line, f"the PROJECTS header has no {column} column")
            if first == "votes":
                vote_type, grouper = _start_votes(meta, projects, header, seen["meta"], line)
                if _votes_fast_paused_gc(lines[line:], header, vote_type, project_rows, grouper):
                    line = len(lines)
                    break
            continue
        if section == "meta":
            if len(row) < 2:
                raise PabulibError(line_start, f"META row {row[0].strip()!r} has no value")
            meta[row[0].strip()] = row[1].strip()
        elif section == "projects":
            project = _project(row, header, line_start)
            if project.id in project_rows:
                raise PabulibError(line_start, f"project {project.id} is listed twice")
            project_rows[project.id] = (
                line_start,
                dict(zip(header, (c.strip() for c in row), strict=False)),
            )
            projects.append(project)
        elif section == "votes":
            _vote(row, header, line_start, vote_type, project_rows, voter_ids, grouper)
        else:
            raise PabulibError(
                line_start, "a row comes before any META, PROJECTS or VOTES title line"
            )
    for name in SECTIONS:
        if name not in seen:
            raise PabulibError(line + 1, f"the {name.upper()} section is missing")
    if "budget" not in meta:
        raise PabulibError(seen["meta"], "META has no budget")
    budget = _number(meta["budget"], seen["meta"], "budget")
    if budget < 0:
        raise PabulibError(seen["meta"], "the budget is negative")
    election = Election(
        budget=budget, projects=projects, vote_type=vote_type, ballots=grouper.groups(), meta=meta
    )
    election.warnings.extend(_recount_warnings(election, project_rows))
    return election


def _start_votes(meta, projects, header, meta_line, line) -> tuple[str, BallotGrouper]:
    vote_type = meta.get("vote_type", "").strip().lower()
    if not vote_type:
        raise PabulibError(meta_line, "META has no vote_type")
    if vote_type not in ("approval", "choose-1", "cumulative", "ordinal"):
        raise PabulibError(meta_line, f"vote_type {vote_type!r} is not supported")
    for column in ("voter_id", "vote") + (("points",) if vote_type == "cumulative" else ()):
        if column not in header:
            raise PabulibError(line, f"the VOTES header has no {column} column")
    return vote_type, BallotGrouper(vote_type, [p.id for p in projects])


# A title line (META, PROJECTS, VOTES alone, perhaps with empty cells after it).
_TITLE_LINE = re.compile(r"^[ \t]*(?:meta|projects|votes)[ \t]*(?:;[ \t]*)*$", re.I | re.M)


def _votes_fast_paused_gc(*args) -> bool:
    """`_votes_fast` with the cyclic garbage collector paused: it builds a list per row (89,000
    in Wroclaw 2020) and no cycles, and the collector's passes over them cost a fifth of the
    parse. The collector is resumed as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _votes_fast(*args)
    finally:
        if enabled:
            gc.enable()


def _votes_fast(rest: list[str], header, vote_type, project_rows, grouper) -> bool:
    """Read the VOTES section a column at a time; True if done, False to leave it to the
    row-by-row reader (`_vote`), which gives each error its line.

    Big files are almost all VOTES rows (89,000 in Wroclaw 2020), and most voters cast one of
    a few thousand distinct ballots: str.split cuts the cells (the same cells as the csv module
    when no cell is quoted, so a quote anywhere falls back), identical ballot
    texts are counted first (collections.Counter, in C) and each distinct text is read once. The
    ballots, their order and their weights are the row-by-row reader's. Anything unusual (a
    quote, a title line, a repeated voter, an unknown project, a points mismatch, a bad number)
    falls back, so errors and edge cases behave exactly as before.
    """
    rest = list(filter(None, rest))  # empty lines are skipped (blank ones fall back, below)
    text = "\n".join(rest)
    if '"' in text or _TITLE_LINE.search(text) is not None:
        return False
    wanted = ("voter_id", "vote", "points") if vote_type == "cumulative" else ("voter_id", "vote")
    # As the row reader's dict(zip(header, row)): the last column of a name counts.
    index = {name: len(header) - 1 - header[::-1].index(name) for name in wanted}
    last = max(index.values())
    # Cut each line into the cells up to the last one needed, in C (map, no Python loop); a row
    # shorter than that (or a blank line) is left to the row reader.
    rows = list(map(methodcaller("split", ";", last + 1), rest))
    if not rows or min(map(len, rows)) <= last:
        return False

    def column(name: str):
        return map(itemgetter(index[name]), rows)  # cells unstripped: stripped once below

    voter_ids = set(map(str.strip, column("voter_id")))
    if len(voter_ids) != len(rows):
        return False
    cumulative = vote_type == "cumulative"
    texts = Counter(
        zip(column("vote"), column("points"), strict=True) if cumulative else column("vote")
    )
    for raw, weight in texts.items():
        vote = (raw[0] if cumulative else raw).strip()
        names = [] if vote.lower() == "none" else [n.strip() for n in vote.split(",") if n.strip()]
        if any(name not in project_rows for name in names):
            return False
        if not cumulative:
            grouper.add(names, weight)
            continue
        points_text = raw[1].strip()
        points = (
            []
            if points_text.lower() in ("", "none")
            else [p.strip() for p in points_text.split(",")]
        )
        if len(points) != len(names):
            return False
        try:
            numbers = [exact_number(p) for p in points]
        except (ValueError, TypeError):
            return False
        grouper.add(list(zip(names, numbers, strict=True)), weight)
    return True


def _project(row: list[str], header: list[str], line: int) -> Project:
    if len(row) > len(header):
        raise PabulibError(line, f"the row has {len(row)} fields but the header has {len(header)}")
    values = {key: cell.strip() for key, cell in zip(header, row, strict=False)}
    project_id = values.get("project_id", "")
    if not project_id:
        raise PabulibError(line, "a project has no project_id")
    cost_text = values.get("cost", "")
    if not cost_text or cost_text.lower() == "none":
        raise PabulibError(line, f"project {project_id} has no cost")
    cost = _number(cost_text, line, f"the cost of project {project_id},")
    if cost < 0:
        raise PabulibError(line, f"project {project_id} has a negative cost ({cost_text})")
    extra = {
        k: v
        for k, v in values.items()
        if k not in ("project_id", "cost", "name") and v.lower() != "none"
    }
    return Project(project_id, cost, values.get("name", ""), extra)


def _vote(row, header, line, vote_type, project_rows, voter_ids, grouper) -> None:
    values = {key: cell.strip() for key, cell in zip(header, row, strict=False)}
    voter_id = values.get("voter_id", "")
    if voter_id in voter_ids:
        raise PabulibError(line, f"voter {voter_id} votes twice")
    voter_ids.add(voter_id)
    vote = values.get("vote", "")
    names = (
        [] if vote.lower() == "none" else [name.strip() for name in vote.split(",") if name.strip()]
    )
    for name in names:
        if name not in project_rows:
            raise PabulibError(line, f"voter {voter_id} votes for unknown project {name}")
    if vote_type == "cumulative":
        points_text = values.get("points", "")
        points = (
            []
            if points_text.lower() in ("", "none")
            else [p.strip() for p in points_text.split(",")]
        )
        if len(points) != len(names):
            raise PabulibError(
                line, f"voter {voter_id} names {len(names)} projects but gives {len(points)} points"
            )
        grouper.add([(n, _number(p, line, "points")) for n, p in zip(names, points, strict=True)])
    else:
        grouper.add(names)


def _recount_warnings(
    election: Election, project_rows: dict[str, tuple[int, dict[str, str]]]
) -> list[str]:
    votes = election.approval_scores()
    if election.vote_type == "cumulative":
        score: dict[str, Number] = election.point_scores()
    elif election.vote_type == "ordinal":
        score = election.positional_scores()
    else:
        score = votes
    warnings = []
    for project_id, (line, values) in project_rows.items():
        for column, recount in (("votes", votes), ("score", score)):
            stated = values.get(column, "")
            if not stated or stated.lower() == "none":
                continue
            try:
                same = exact_number(stated) == recount[project_id]
            except (ValueError, TypeError):
                same = False
            if not same:
                warnings.append(
                    f"project {project_id} (line {line}): PROJECTS says {column} {stated}, "
                    f"but the VOTES section gives {format_number(recount[project_id])}"
                )
    return warnings


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def write_pabulib(
    election: Election,
    *,
    meta: Mapping[str, object] | None = None,
    voter_ids: Iterable[str] | None = None,
) -> str:
    """Write the election as a Pabulib file that pabutools' parse_pabulib reads back to the same
    ballots.

    Voter ids come from ``voter_ids`` (one per voter, in ballot order) or are random UUIDs. Ballot
    metadata such
    as age or sex is never written.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    merged: dict[str, object] = {
        "description": "Common Purse vote",
        "country": "Unknown",
        "unit": "Unknown",
        "instance": "1",
        "rule": "unknown",
        **election.meta,
        **(meta or {}),
    }
    merged.update(
        num_projects=len(election.projects),
        num_votes=election.num_voters,
        budget=format_number(election.budget),
        vote_type=election.vote_type,
    )
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in merged.items():
        writer.writerow([_clean(key), _clean(value)])
    votes = election.approval_scores()
    extra_columns = sorted(
        {k for p in election.projects.values() for k in p.extra if k not in ("votes", "score")}
    )
    writer.writerow(["PROJECTS"])
    writer.writerow(["project_id", "cost", "votes", "name", *extra_columns])
    for project in election.projects.values():
        extras = [_clean(project.extra.get(k, "none")) for k in extra_columns]
        writer.writerow(
            [
                project.id,
                format_number(project.cost),
                votes[project.id],
                _clean(project.name),
                *extras,
            ]
        )
    writer.writerow(["VOTES"])
    cumulative = election.vote_type == "cumulative"
    writer.writerow(["voter_id", "vote", "points"] if cumulative else ["voter_id", "vote"])
    ids = iter(voter_ids) if voter_ids is not None else None
    for key, weight in election.ballots:
        for _ in range(weight):
            voter_id = next(ids) if ids is not None else uuid.uuid4().hex
            if cumulative:
                names = ",".join(project_id for project_id, _ in key)
                points = ",".join(format_number(Fraction(p)) for _, p in key)
                writer.writerow([voter_id, names, points])
            else:
                writer.writerow([voter_id, ",".join(key)])
    return out.getvalue()
