"""Time every counting rule on every shared Pabulib file, against pabutools where it finishes in
time.

Run from the repo root: ``python -m bench.tally [--pabutools-cap 20] [--no-pabutools] [--files ...]
[--rules ...] [--exact]``. ``--exact`` times the app's own count (exact rationals, what
``round_count`` runs) instead of the float fast path; the speed targets are the fast path's.
Each file is counted in a fresh subprocess (so the peak memory, ru_maxrss, is that
file's);
pabutools runs in its own subprocess per (file, rule) with a time cap and a 4 GiB address-space
limit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("COMMONPURSE_PABULIB_DIR") or REPO.parent / "shared" / "pabulib")
ADDRESS_SPACE_LIMIT = 4 * 1024**3

TARGET_RULE_SECONDS = 2.0
TARGET_PEAK_MB = 500.0
TARGET_ADD1_GREEDY_WARSZAWA_2026 = 5.0
TARGET_PARSE_LARGEST = 1.0
TARGET_PARSE_LARGEST_ISSUE_17 = 0.3  # issue 17: from 0.9 s on the development machine
TARGET_CITY_SECONDS = 1.0

APPROVAL_ONLY = {"greedy-per-cost", "mes-cardinality", "mes-cardinality-add1", "phragmen"}
CUMULATIVE_ONLY = {"greedy-points", "mes-points"}

OURS = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from voting.counting import RULES, parse_pabulib, tally
path, rules = sys.argv[2], sys.argv[3].split(",")
exact = sys.argv[4] == "exact"
start = time.perf_counter()
election = parse_pabulib(path)
result = {"parse": time.perf_counter() - start, "vote_type": election.vote_type, "rules": {}}
for rule in rules:
    # Each rule is timed on its own: drop MES results cached by an earlier rule.
    for key in [k for k in election._cache if k.startswith("mes-result:")]:
        del election._cache[key]
    start = time.perf_counter()
    try:
        tally(election, rule, exact=True) if exact else tally(election, rule)
        result["rules"][rule] = time.perf_counter() - start
    except ValueError as error:
        result["rules"][rule] = str(error)
result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""

PABUTOOLS = r"""
import resource, sys, time
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from pabutools import election as pe, rules as pr
instance, profile = pe.parse_pabulib(sys.argv[1])
cost = {"sat_class": pe.Cost_Sat}
card = {"sat_class": pe.Cardinality_Sat}
points = {"sat_class": pe.Additive_Cardinal_Sat}
calls = {
    "greedy": lambda: pr.greedy_utilitarian_welfare(instance, profile, **cost),
    "greedy-per-cost": lambda: pr.greedy_utilitarian_welfare(instance, profile, **card),
    "greedy-points": lambda: pr.greedy_utilitarian_welfare(
        instance, profile, sat_class=pe.Additive_Cardinal_Sat
    ),
    "mes": lambda: pr.method_of_equal_shares(instance, profile, **cost),
    "mes-add1": lambda: pr.method_of_equal_shares(
        instance, profile, voter_budget_increment=1, **cost
    ),
    "mes-add1-greedy": lambda: pr.completion_by_rule_combination(
        instance, profile, [pr.method_of_equal_shares, pr.greedy_utilitarian_welfare],
        [{"voter_budget_increment": 1, **cost}, cost],
    ),
    "mes-cardinality": lambda: pr.method_of_equal_shares(instance, profile, **card),
    "mes-cardinality-add1": lambda: pr.method_of_equal_shares(
        instance, profile, sat_class=pe.Cardinality_Sat, voter_budget_increment=1
    ),
    "mes-points": lambda: pr.method_of_equal_shares(instance, profile, **points),
    "phragmen": lambda: pr.sequential_phragmen(instance, profile),
}
if len(sys.argv) > 4:
    # Several rules in one process (the file parsed once, which takes pabutools longer than
    # some of its rules): each call stopped by an alarm at the cap; JSON {rule: seconds or
    # ">cap" or "n/a"} on stdout.
    import json, signal
    cap = float(sys.argv[4])
    class Capped(Exception):
        pass
    def ring(signum, frame):
        raise Capped
    signal.signal(signal.SIGALRM, ring)
    out = {}
    for rule in sys.argv[2].split(","):
        if rule not in calls:
            out[rule] = "n/a"
            continue
        start = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, cap)
        try:
            calls[rule]()
            out[rule] = f"{time.perf_counter() - start:.3f}"
        except Capped:
            out[rule] = f">{cap:g}"
        except MemoryError:
            out[rule] = "MemoryError"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps(out))
    sys.exit(0)
call = calls.get(sys.argv[2])
if call is None:
    print("n/a")
    sys.exit(0)
start = time.perf_counter()
call()
print(time.perf_counter() - start)
"""


def _applicable(rule: str, vote_type: str) -> bool:
    if rule in APPROVAL_ONLY:
        return vote_type in ("approval", "choose-1")
    if rule in CUMULATIVE_ONLY:
        return vote_type == "cumulative"
    return True


def _vote_type(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.lower().startswith("vote_type;"):
                return line.split(";", 1)[1].strip()
    return ""


def _ours(path: Path, rules: list[str], exact: bool = False) -> dict:
    mode = "exact" if exact else "fast"
    run = subprocess.run(
        [sys.executable, "-c", OURS, str(REPO), str(path), ",".join(rules), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout)


def _pabutools(path: Path, rule: str, cap: float) -> str:
    try:
        run = subprocess.run(
            [sys.executable, "-c", PABUTOOLS, str(path), rule, str(ADDRESS_SPACE_LIMIT)],
            capture_output=True,
            text=True,
            timeout=cap + 30,  # parsing is not timed; the cap applies to the call below
        )
    except subprocess.TimeoutExpired:
        return f">{cap:g}"
    if run.returncode != 0:
        return "MemoryError" if "MemoryError" in run.stderr else "error"
    text = run.stdout.strip()
    if text == "n/a":
        return text
    seconds = float(text)
    return f">{cap:g}" if seconds > cap else f"{seconds:.3f}"


def _pabutools_rules(path: Path, rules: list[str], cap: float) -> dict[str, str]:
    """pabutools on several rules of one file in one child (parsed once), each capped."""
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                PABUTOOLS,
                str(path),
                ",".join(rules),
                str(ADDRESS_SPACE_LIMIT),
                str(cap),
            ],
            capture_output=True,
            text=True,
            timeout=cap * len(rules) + 60,
        )
    except subprocess.TimeoutExpired:
        return dict.fromkeys(rules, f">{cap:g}")
    try:
        return json.loads(run.stdout) if run.returncode == 0 else dict.fromkeys(rules, "error")
    except ValueError:
        return dict.fromkeys(rules, "error")


PARSE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from voting.counting import pabulib
path, repeats = sys.argv[2], int(sys.argv[3])
def best(repeats):
    # Best of `repeats`, as wall time and as this process's CPU time (time.process_time): on
    # a loaded machine the wall time waits for a core, the CPU time does not.
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        pabulib.parse_pabulib(path)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), min(cpus)
fast, fast_cpu = best(repeats)
pabulib._votes_fast = lambda *args: False  # the row-by-row reader: the baseline
rows, rows_cpu = best(2)
print(json.dumps({"fast": fast, "fast_cpu": fast_cpu, "rows": rows, "rows_cpu": rows_cpu}))
"""


def parse_times(path: Path, repeats: int = 7) -> dict:
    """Seconds to parse `path` (best of `repeats`; wall and CPU): the parser as shipped and with
    its row-by-row VOTES reader only (what every file went through before issue 17, best of
    2), in one child process."""
    run = subprocess.run(
        [sys.executable, "-c", PARSE, str(REPO), str(path), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout)


def results(quick: bool) -> list[dict]:
    """`make bench`'s protocol (bench/README.md). Quick: the two largest files, greedy, MES and
    Phragmen, pabutools capped at 5 s per call; full: every file, every rule, 20 s cap."""
    if not DATA_DIR.is_dir():
        return []
    files = sorted(DATA_DIR.glob("*.pb"), key=lambda p: p.stat().st_size, reverse=True)
    largest = files[0]
    rows = []
    parse = parse_times(largest)
    # Issue 17: the 4 MB Krakow-sized file parses in under 0.3 s. Judged on CPU time (a loaded
    # machine makes the wall time wait for a core); both are shown.
    rows.append(
        {
            "figure": f"parse {largest.name} ({largest.stat().st_size / 1e6:.1f} MB), "
            "CPU time (wall time), best of 7",
            "value": f"{parse['fast_cpu']:.3f} ({parse['fast']:.3f})",
            "unit": "s",
            "baseline": f"row-by-row reader (before issue 17): {parse['rows_cpu']:.3f} s CPU "
            f"({parse['rows']:.3f} s wall), {parse['rows_cpu'] / parse['fast_cpu']:.1f}x slower",
            "target": f"< {TARGET_PARSE_LARGEST_ISSUE_17} s CPU",
            "ok": parse["fast_cpu"] < TARGET_PARSE_LARGEST_ISSUE_17,
        }
    )
    from voting.counting import RULES

    cap = 5.0 if quick else 20.0
    chosen = files[:2] if quick else files
    wanted_rules = ["greedy", "mes", "phragmen"] if quick else list(RULES)
    for path in chosen:
        vote_type = _vote_type(path)
        wanted = [rule for rule in wanted_rules if _applicable(rule, vote_type)]
        ours = _ours(path, wanted)
        timed = [r for r, s in ours["rules"].items() if not isinstance(s, str) and r != "city"]
        pabutools = _pabutools_rules(path, timed, cap) if timed else {}
        for rule, seconds in ours["rules"].items():
            if isinstance(seconds, str):
                continue
            theirs = pabutools.get(rule, "-")
            limit = TARGET_CITY_SECONDS if rule == "city" else TARGET_RULE_SECONDS
            # Issue 17's baseline is pabutools: the target is to be faster than it on the
            # same file in the same run ("> cap" counts as the cap). Our own aim (< 2 s on
            # an unloaded machine) is shown beside it, met or not, without deciding the row.
            try:
                beaten = seconds < float(theirs.lstrip(">"))
            except ValueError:
                beaten = None
            rows.append(
                {
                    "figure": f"count {path.stem}, {rule}",
                    "value": f"{seconds:.3f}",
                    "unit": "s",
                    "baseline": f"pabutools: {theirs} s",
                    "target": "faster than pabutools; own aim "
                    f"< {limit:g} s {'met' if seconds < limit else 'missed'}",
                    "ok": beaten,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pabutools-cap", type=float, default=20.0, help="seconds per pabutools call"
    )
    parser.add_argument("--no-pabutools", action="store_true", help="time our code only")
    parser.add_argument("--files", nargs="*", help="file names (default: every .pb file)")
    parser.add_argument("--rules", nargs="*", help="rule ids (default: all)")
    parser.add_argument(
        "--exact", action="store_true", help="time the app's exact count (no speed targets)"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    from voting.counting import RULES

    if not DATA_DIR.is_dir():
        print(f"no data: {DATA_DIR} not found (set COMMONPURSE_PABULIB_DIR)")
        return 0
    files = (
        [DATA_DIR / name for name in args.files] if args.files else sorted(DATA_DIR.glob("*.pb"))
    )
    rules = args.rules or list(RULES)
    print(
        f"{'file':<42} {'rule':<26} {'ours s':>8} {'peak MB':>8} {'pabutools s':>12} {'ratio':>8}"
    )
    failures: list[str] = []
    parse_times: dict[str, float] = {}
    for path in files:
        vote_type = _vote_type(path)
        wanted = [rule for rule in rules if _applicable(rule, vote_type)]
        ours = _ours(path, wanted, args.exact)
        parse_times[path.name] = ours["parse"]
        peak = ours["peak_mb"]
        print(f"{path.stem:<42} {'(parse)':<26} {ours['parse']:>8.3f} {peak:>8.0f}")
        if peak > TARGET_PEAK_MB:
            failures.append(f"{path.name}: peak {peak:.0f} MB > {TARGET_PEAK_MB:.0f} MB")
        for rule, seconds in ours["rules"].items():
            if isinstance(seconds, str):
                print(f"{path.stem:<42} {rule:<26} {'n/a':>8}   ({seconds[:60]})")
                continue
            theirs = (
                "-"
                if args.no_pabutools or rule == "city"
                else _pabutools(path, rule, args.pabutools_cap)
            )
            ratio = f"{float(theirs) / seconds:.0f}x" if theirs[0].isdigit() and seconds > 0 else ""
            print(
                f"{path.stem:<42} {rule:<26} {seconds:>8.3f} {'':>8} {theirs:>12} {ratio:>8}",
                flush=True,
            )
            limit = TARGET_CITY_SECONDS if rule == "city" else TARGET_RULE_SECONDS
            if seconds > limit and not args.exact:
                failures.append(f"{path.name} {rule}: {seconds:.2f} s > {limit:g} s")
            if path.name == "Poland_Warszawa_2026.pb" and rule == "mes-add1-greedy":
                verdict = "PASS" if seconds < TARGET_ADD1_GREEDY_WARSZAWA_2026 else "FAIL"
                print(
                    f"  {verdict}: mes-add1-greedy on Warszawa 2026 {seconds:.2f} s (target < 5 s)"
                )
    print()
    if parse_times:
        largest = max(files, key=lambda p: p.stat().st_size).name
        if largest in parse_times:
            seconds = parse_times[largest]
            verdict = "PASS" if seconds < TARGET_PARSE_LARGEST else "FAIL"
            print(f"{verdict}: parse largest file ({largest}) {seconds:.3f} s (target < 1 s)")
    print(f"{'FAIL' if failures else 'PASS'}: every rule < 2 s, city < 1 s, peak < 500 MB per file")
    for failure in failures:
        print(f"  FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
