"""The pure hash chain: canonical encoding, hashing and the walk that names the first bad entry."""

from __future__ import annotations

from funds.ledger_chain import GENESIS_HASH, canonical, entry_hash, legs_problem, verify_chain


def chain(n: int, fund_id: int = 7) -> list[dict]:
    entries, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        e = {
            "id": 100 + seq,
            "fund_id": fund_id,
            "seq": seq,
            "idempotency_key": f"k{seq}",
            "kind": "tranche_received",
            "memo": "café",
            "posted_at": f"2026-01-0{min(seq, 9)}T00:00:00+00:00",
            "reverses_id": None,
            "grant_id": None,
            "prev_hash": prev,
            "legs": [("cash", 100 * seq), ("receivable", -100 * seq)],
        }
        e["hash"] = entry_hash(e)
        prev = e["hash"]
        entries.append(e)
    return entries


def test_canonical_encoding_is_stable_and_ascii():
    e = chain(1)[0]
    assert canonical(e) == canonical(dict(reversed(list(e.items()))))
    assert canonical(e).isascii()
    assert len(entry_hash(e)) == 64


def test_an_intact_chain_verifies_and_reports_its_head():
    entries = chain(5)
    head, problem = verify_chain(7, entries, [(e["seq"], e["hash"]) for e in entries])
    assert problem is None
    assert (head.seq, head.hash, head.count) == (5, entries[-1]["hash"], 5)


def test_an_edited_amount_names_the_entry():
    entries = chain(5)
    entries[2]["legs"] = [("cash", 999), ("receivable", -999)]
    _, problem = verify_chain(7, entries)
    assert (problem.seq, problem.entry_id) == (3, 103)
    assert "content was changed" in problem.reason


def test_a_missing_entry_is_named_by_the_gap():
    entries = chain(5)
    del entries[1]
    _, problem = verify_chain(7, entries)
    assert problem.seq == 3 and "#2..#2 are missing" in problem.reason


def test_reordered_entries_are_caught():
    entries = chain(5)
    entries[1], entries[2] = entries[2], entries[1]
    _, problem = verify_chain(7, entries)
    assert problem.seq == 3


def test_a_forged_but_consistent_chain_is_caught_by_the_witnessed_heads():
    entries = chain(4)
    witnesses = [(e["seq"], e["hash"]) for e in entries]
    entries[1]["memo"] = "forged"
    prev = entries[0]["hash"]
    for e in entries[1:]:
        e["prev_hash"] = prev
        e["hash"] = entry_hash(e)
        prev = e["hash"]
    assert verify_chain(7, entries)[1] is None  # the chain alone cannot tell
    _, problem = verify_chain(7, entries, witnesses)
    assert problem.seq == 2 and "audit trail" in problem.reason


def test_a_deleted_last_entry_is_caught_by_the_witnessed_heads():
    entries = chain(3)
    witnesses = [(e["seq"], e["hash"]) for e in entries]
    _, problem = verify_chain(7, entries[:2], witnesses)
    assert problem.seq == 3 and "missing from the ledger" in problem.reason


def test_legs_must_balance_and_be_at_least_two_non_zero_whole_pence():
    assert legs_problem([("cash", 5), ("receivable", -5)]) is None
    assert "fewer than two" in legs_problem([("cash", 0)])
    assert "does not balance" in legs_problem([("cash", 5), ("receivable", -4)])
    assert "zero" in legs_problem([("cash", 0), ("receivable", 0)])
    assert "whole pence" in legs_problem([("cash", 0.5), ("receivable", -0.5)])


def test_the_fast_encoding_equals_the_reference_definition():
    from funds.ledger_chain import canonical_reference

    e = chain(2)[1]
    for memo in ("", 'quote " back\\slash', "naïve £5 – ✓ \n\t", "\x00\x1f"):
        for extra in ({}, {"reverses_id": 3, "grant_id": 9}):
            variant = {**e, "memo": memo, **extra}
            assert canonical(variant) == canonical_reference(variant)
