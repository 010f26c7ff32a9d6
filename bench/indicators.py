"""Indicator import benchmark (issue 14, acceptance 1): a 5,000,000-row long-format file imports
with peak memory under 200 MB, and importing it again changes nothing.

Generates the file in a temporary folder (5 declared indicators x 10 years x 100,000 LSOAs for
the default size; `--rows` for a quicker run), migrates a fresh database (a temporary SQLite
file, or BENCH_DATABASE_URL), runs `manage.py import_indicators` twice in child processes and
reads each child's own peak resident memory (ru_maxrss via os.wait4).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import migrated_sqlite
from bench.postcodes import run_child

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 200
INDICATORS = ["population", "employment_rate", "claimant_rate", "crime_rate", "broadband"]
YEARS = list(range(2015, 2025))
DECLARATIONS = """key,name,unit,higher_is_better,matching,source,licence
population,Residents,people,yes,no,Benchmark (synthetic),CC0
employment_rate,Employment rate,percent,yes,yes,Benchmark (synthetic),CC0
claimant_rate,Claimant count,percent,no,yes,Benchmark (synthetic),CC0
crime_rate,Recorded crime,per 1000 residents,no,no,Benchmark (synthetic),CC0
broadband,Gigabit broadband,percent of premises,yes,no,Benchmark (synthetic),CC0
"""


def write_csv(path: Path, rows: int) -> None:
    """`rows` distinct (code, indicator, year) rows with deterministic values."""
    per_code = len(INDICATORS) * len(YEARS)
    codes = -(-rows // per_code)
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("code,indicator,period,value,denominator,source,licence\n")
        for key in INDICATORS:
            for year in YEARS:
                for c in range(codes):
                    if n >= rows:
                        return
                    value = ((c * 7919 + year * 31 + len(key)) % 10000) / 100
                    f.write(f"E01{c:06d},{key},{year},{value},,SYNTHETIC benchmark data,CC0\n")
                    n += 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.indicators")
    parser.add_argument("--rows", type=int, default=5_000_000)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        tmpdir = Path(tmp)
        csv_path = tmpdir / "indicators.csv"
        declarations = tmpdir / "declared.csv"
        declarations.write_text(DECLARATIONS)
        t0 = time.monotonic()
        write_csv(csv_path, options.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"Generated {options.rows:,} rows ({size_mb:.0f} MB) in {time.monotonic() - t0:.0f} s"
        )
        env = dict(os.environ)
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", f"sqlite:///{tmpdir / 'bench.sqlite3'}"
        )
        env.pop("DJANGO_DEBUG", None)  # DEBUG would keep every query in memory
        # Without DEBUG the settings want real secret keys: throwaway ones for this run.
        env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
        env.setdefault("COMMONPURSE_RECEIPT_KEY", secrets.token_urlsafe(50))
        env["TMPDIR"] = str(tmpdir)  # SQLite's temporary tables spill here
        manage = [sys.executable, str(ROOT / "manage.py")]
        if "BENCH_DATABASE_URL" in os.environ:
            status, _, _ = run_child([*manage, "migrate", "--noinput", "-v0"], env)
            if status:
                print("FAIL: could not migrate the benchmark database")
                return 1
        else:  # a copy of the run's migrated database (bench.migrated_sqlite)
            migrated_sqlite(tmpdir / "bench.sqlite3", env)
        print(f"Database: {env['DATABASE_URL'].split(':', 1)[0]}")
        ok = True
        for attempt in ("First import", "Re-import"):
            out_path = tmpdir / "out.txt"
            with open(out_path, "w") as out:
                started = time.monotonic()
                proc = subprocess.Popen(
                    [
                        *manage,
                        "import_indicators",
                        str(csv_path),
                        "--declarations",
                        str(declarations),
                        "--quiet",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                )
                _, wait_status, rusage = os.wait4(proc.pid, 0)
                seconds = time.monotonic() - started
            status = os.waitstatus_to_exitcode(wait_status)
            report = out_path.read_text().strip().splitlines()[-1] if status == 0 else ""
            peak_mb = rusage.ru_maxrss / 1024
            print(
                f"{attempt}: {seconds:.1f} s, {options.rows / seconds:,.0f} rows/s, "
                f"peak memory {peak_mb:.0f} MB (target < {TARGET_MB} MB)"
            )
            print(f"  {report}")
            ok &= status == 0 and peak_mb < TARGET_MB
            if attempt == "First import":
                ok &= f"{options.rows:,} new" in report
            else:
                changed = re.search(r"(\S+) new, (\S+) changed, (\S+) removed", report)
                nothing = bool(changed) and changed.groups() == ("0", "0", "0")
                print(f"  Re-import changed nothing: {nothing}")
                ok &= nothing
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
