"""`make bench`: run every benchmark module and write bench/RESULTS.md.

``python -m bench [--full] [--only tally cast_http ...] [--output bench/RESULTS.md]``

The protocol (bench/README.md): a module in bench/ exposes ``results(quick: bool) -> list[dict]``,
each dict a figure row with the keys of `FIGURE_KEYS`: ``figure`` (what), ``value`` and ``unit``,
``baseline`` (what it is compared with, measured in the same run, so the comparison holds on a
noisy machine), ``target`` (text, may be empty) and ``ok`` (True, False, or None when there is
no target). ``quick=True`` is what `make bench` runs: sizes chosen so every module together fits
in 15 minutes. A module without ``results`` is run through its ``main(argv)`` with the quick
arguments below, and its printed output goes into the file as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import os
import pkgutil
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
FIGURE_KEYS = ("figure", "value", "unit", "baseline", "target", "ok")

# The order they run in; any other module in bench/ with `results` runs after these.
MODULES = [
    "bench.tally",
    "bench.cast_http",
    "bench.pages",
    "bench.postcodes",
    "bench.ledger",
    "bench.indicators",
    "bench.redis_down",
    "bench.cards",
]
# Quick arguments for modules that only have `main(argv)`.
QUICK_ARGS = {
    "bench.postcodes": ["--rows", "2000000"],
    "bench.ledger": ["--entries", "1000000"],  # the issue's own scale
    "bench.indicators": ["--rows", "200000"],
    "bench.redis_down": ["--repeats", "3"],
}


def _discovered() -> list[str]:
    names = list(MODULES)
    for info in pkgutil.iter_modules([str(BENCH_DIR)]):
        name = f"bench.{info.name}"
        if name not in names and not info.name.startswith("_"):
            names.append(name)
    return names


def _machine() -> list[str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    postgres = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        postgres = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.node()}, {os.cpu_count()} cores ({model or 'unknown CPU'}), "
        f"{memory or 'unknown'} memory",
        f"- System: {platform.platform()}; Python {platform.python_version()}; {postgres}",
        f"- Load average at the start (1, 5, 15 min): {load}",
    ]


def _cell(value) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _table(rows: list[dict]) -> list[str]:
    lines = ["| figure | value | baseline (same run) | target | met |", "|---|---|---|---|---|"]
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.get("ok")]
        value = f"{row.get('value', '')} {row.get('unit', '')}".strip()
        lines.append(
            f"| {_cell(row.get('figure'))} | {_cell(value)} | {_cell(row.get('baseline'))} | "
            f"{_cell(row.get('target'))} | {met} |"
        )
    return lines


def _cpu() -> float:
    """CPU seconds used so far by this process and its waited-for children."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_module(name: str, quick: bool) -> tuple[list[str], bool]:
    """The Markdown section of one module, and whether it ran without an error."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return [], True  # not present (yet): nothing to report
    title = " ".join((module.__doc__ or name).strip().split("\n\n")[0].split())
    section = [f"## {name.removeprefix('bench.')}", "", title, ""]
    started, cpu_started = time.monotonic(), _cpu()
    try:
        if hasattr(module, "results"):
            rows = module.results(quick)
            section += _table(rows) if rows else ["(no data)"]
        else:
            # In a child process, so the output of its own children is kept too.
            argv = QUICK_ARGS.get(name, []) if quick else []
            done = subprocess.run(
                [sys.executable, "-m", name, *argv],
                cwd=BENCH_DIR.parent,
                capture_output=True,
                text=True,
            )
            section += ["```", (done.stdout + done.stderr[-1500:]).rstrip(), "```"]
            if done.returncode != 0:
                section += [f"(exit status {done.returncode}: a target missed or an error)"]
        ok = True
    except (Exception, SystemExit) as exc:  # one broken module must not lose the others
        section += ["```", f"FAILED: {exc!r}", traceback.format_exc()[-1500:], "```"]
        ok = False
    section += [
        "",
        f"({time.monotonic() - started:.0f} s; {_cpu() - cpu_started:.0f} s of CPU in its own "
        "processes, PostgreSQL's and Redis's not counted)",
        "",
    ]
    return section, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full sizes (not under 15 minutes)")
    parser.add_argument("--only", nargs="*", help="module names, e.g. tally cast_http")
    parser.add_argument("--output", default=str(BENCH_DIR / "RESULTS.md"))
    args = parser.parse_args(argv)
    names = _discovered()
    if args.only:
        names = [n for n in names if n.removeprefix("bench.") in args.only]
    started = time.monotonic()
    lines = ["# Benchmark results", "", *_machine(), ""]
    lines.append(
        "Written by `make bench` (`python -m bench"
        + (" --full" if args.full else "")
        + "`). Each figure sits beside a baseline measured in the same run, so the comparison "
        "holds on a loaded machine; absolute times depend on the load shown above."
    )
    lines.append("")
    status = 0
    # One migrated database per run, copied by each module (bench.migrated_sqlite and
    # bench.scratch_database); the folder and the template database go at the end.
    import tempfile

    from bench import CACHE_ENV, drop_template

    with tempfile.TemporaryDirectory(prefix="cp-bench-run-") as cache:
        os.environ[CACHE_ENV] = cache
        try:
            for name in names:
                print(f"===== {name}", flush=True)
                section, ok = run_module(name, quick=not args.full)
                status |= 0 if ok else 1
                lines += section
                print("\n".join(section), flush=True)
        finally:
            drop_template(cache)
            os.environ.pop(CACHE_ENV, None)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines += [
        f"Total: {time.monotonic() - started:.0f} s ({_cpu():.0f} s of CPU in the benchmark's "
        f"own processes); load average at the end: {load}",
        "",
    ]
    Path(args.output).write_text("\n".join(lines))
    print(f"wrote {args.output}")
    return status


if __name__ == "__main__":
    sys.exit(main())
