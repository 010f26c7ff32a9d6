"""The ledger's hash chain: canonical encoding, hashing and verification, with no Django import.

Why hand-written: django-hordak was considered. It keeps balances honest with PostgreSQL
triggers and functions, and the embedded default of this project is SQLite, which has
neither; it also has no hash chain. What we need is small: a canonical encoding of an
entry, SHA-256 over it and the previous entry's hash, and a walk that names the first entry
that does not match. Keeping it pure means it is tested and benchmarked without a database.

An entry is a plain mapping:
    {"id", "fund_id", "seq", "idempotency_key", "kind", "memo", "posted_at" (ISO string),
     "reverses_id", "grant_id", "prev_hash", "hash", "legs": [(account, amount_pence), ...]}
Leg amounts are signed integer pence: debits positive, credits negative.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _str

GENESIS_HASH = "0" * 64


def canonical(entry: Mapping) -> bytes:
    """The bytes that are hashed: every field that gives an entry its meaning, as compact JSON
    with sorted keys and ASCII escapes, so the same entry encodes the same way on any machine
    and any database. Written out by hand (it is the hot loop of verify_ledger), and pinned
    by a test to equal json.dumps(..., sort_keys=True, separators=(",", ":"))."""
    reverses, grant = entry.get("reverses_id"), entry.get("grant_id")
    legs = ",".join([f"[{_name(account)},{int(amount)}]" for account, amount in entry["legs"]])
    return (
        f'{{"fund_id":{int(entry["fund_id"])}'
        f',"grant_id":{"null" if grant is None else int(grant)}'
        f',"idempotency_key":{_str(str(entry["idempotency_key"]))}'
        f',"kind":{_str(str(entry["kind"]))}'
        f',"legs":[{legs}]'
        f',"memo":{_str(str(entry["memo"]))}'
        f',"posted_at":{_str(str(entry["posted_at"]))}'
        f',"prev_hash":{_str(str(entry["prev_hash"]))}'
        f',"reverses_id":{"null" if reverses is None else int(reverses)}'
        f',"seq":{int(entry["seq"])}}}'
    ).encode("ascii")


_names: dict[str, str] = {}


def _name(account) -> str:
    """The JSON string of an account name (a handful of names, so cached)."""
    try:
        return _names[account]
    except KeyError:
        _names[str(account)] = encoded = _str(str(account))
        return encoded


def canonical_reference(entry: Mapping) -> bytes:
    """The definition canonical() must equal (slower; used by the tests)."""
    content = {
        "fund_id": int(entry["fund_id"]),
        "seq": int(entry["seq"]),
        "idempotency_key": str(entry["idempotency_key"]),
        "kind": str(entry["kind"]),
        "memo": str(entry["memo"]),
        "posted_at": str(entry["posted_at"]),
        "reverses_id": None if entry.get("reverses_id") is None else int(entry["reverses_id"]),
        "grant_id": None if entry.get("grant_id") is None else int(entry["grant_id"]),
        "legs": [[str(account), int(amount)] for account, amount in entry["legs"]],
        "prev_hash": str(entry["prev_hash"]),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def entry_hash(entry: Mapping) -> str:
    """SHA-256 (hex) of the canonical content, which includes the previous entry's hash."""
    return hashlib.sha256(canonical(entry)).hexdigest()


def legs_problem(legs: list) -> str | None:
    """Why a set of legs is not a valid double entry, or None when it is."""
    if len(legs) < 2:
        return "has fewer than two legs"
    total = 0
    for _account, amount in legs:
        if type(amount) is not int:
            return "has an amount that is not whole pence"
        if amount == 0:
            return "has a leg of zero"
        total += amount
    if total != 0:
        return f"does not balance (legs sum to {total} pence)"
    return None


def _entry_problem(fund_id: int, head: ChainHead, seq: int, entry: Mapping) -> str | None:
    if int(entry["fund_id"]) != fund_id:
        return "belongs to another fund's chain"
    if seq != head.seq + 1:
        if seq <= head.seq:
            return f"is out of order (came after #{head.seq})"
        return f"follows #{head.seq}: entries #{head.seq + 1}..#{seq - 1} are missing"
    if entry["prev_hash"] != head.hash:
        return "does not link to the previous entry's hash"
    bad_legs = legs_problem(entry["legs"])
    if bad_legs:
        return bad_legs
    if entry_hash(entry) != entry["hash"]:
        return "does not match its hash (its content was changed)"
    if entry.get("problem"):
        return str(entry["problem"])
    return None


@dataclass(frozen=True)
class ChainProblem:
    """The first entry of a fund's chain that does not verify."""

    fund_id: int
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"fund {self.fund_id}, entry #{self.seq} (id {self.entry_id}): {self.reason}"


@dataclass
class ChainHead:
    """Where a verified chain ends: its last seq and hash (0 and the genesis hash if empty)."""

    fund_id: int
    seq: int = 0
    hash: str = GENESIS_HASH
    count: int = 0


def verify_chain(
    fund_id: int,
    entries: Iterable[Mapping],
    witnesses: Iterable[tuple[int, str]] | None = None,
) -> tuple[ChainHead, ChainProblem | None]:
    """Walk one fund's entries in seq order; stop at the first that does not verify.

    Catches an edited amount or memo (hash mismatch), a forged hash (the next entry's
    prev_hash no longer matches, or the hash does not match the content), a deleted row
    (a gap in seq) and reordered rows (seq out of order or a broken link). Streams: holds
    one entry at a time, so a million entries verify in constant memory.

    `witnesses`, when given, are the (seq, hash) heads recorded elsewhere at each posting
    (the audit trail), in order: a chain rewritten consistently from some entry on, or cut
    short at the end, no longer matches them. An entry may carry a "problem" string found
    by its reader (for example a leg booked to another fund); that is reported as is.
    """
    head = ChainHead(fund_id=fund_id)
    witnessed = iter(witnesses) if witnesses is not None else None
    for entry in entries:
        seq = int(entry["seq"])
        reason = _entry_problem(fund_id, head, seq, entry)
        if reason is None and witnessed is not None:
            witness = next(witnessed, None)
            if witness is None:
                reason = "was never recorded in the audit trail as posted"
            elif (int(witness[0]), str(witness[1])) != (seq, entry["hash"]):
                reason = (
                    f"differs from the head the audit trail recorded when it was posted "
                    f"(#{witness[0]}, hash {str(witness[1])[:12]}...)"
                )
        if reason is not None:
            return head, ChainProblem(fund_id, seq, entry.get("id"), reason)
        head.seq, head.hash, head.count = seq, entry["hash"], head.count + 1
    if witnessed is not None:
        witness = next(witnessed, None)
        if witness is not None:
            return head, ChainProblem(
                fund_id,
                int(witness[0]),
                None,
                "was recorded in the audit trail as posted but is missing from the ledger",
            )
    return head, None
