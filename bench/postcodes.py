"""Postcode import benchmark: 2,000,000 rows must import with peak memory under 200 MB.

Generates a postcode CSV in a temporary folder, migrates a fresh database (a temporary
SQLite file, or BENCH_DATABASE_URL), runs `manage.py import_postcodes` in a child process
and reads the child's own peak resident memory (ru_maxrss via os.wait4).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import migrated_sqlite, with_bench_keys

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 200
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def write_csv(path: Path, rows: int) -> None:
    """Distinct, valid-format postcodes (fictional ZZ/ZY/... areas) over a few hundred wards."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["postcode", "ward_code", "lsoa_code", "msoa_code", "lad_code"])
        n = 0
        for area in ("ZZ", "ZY", "ZX", "ZW", "ZV", "ZU", "ZT", "ZS"):
            for district in range(1, 100):
                for sector in range(10):
                    for a in LETTERS:
                        for b in LETTERS:
                            if n >= rows:
                                return
                            ward = 1000 + n // 8000
                            writer.writerow(
                                [
                                    f"{area}{district} {sector}{a}{b}",
                                    f"E0500{ward:04d}",
                                    f"E0100{n // 1500:04d}",
                                    f"E0200{n // 7000:04d}",
                                    f"E0800{n // 200000:04d}",
                                ]
                            )
                            n += 1


def run_child(args: list[str], env: dict) -> tuple[int, float, int]:
    """Run a child process; return (exit status, seconds, peak RSS in KiB of that child)."""
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env)
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.monotonic() - started, rusage.ru_maxrss


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.postcodes")
    parser.add_argument("--rows", type=int, default=2_000_000)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        tmpdir = Path(tmp)
        csv_path = tmpdir / "postcodes.csv"
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
        with_bench_keys(env)
        manage = [sys.executable, str(ROOT / "manage.py")]
        if "BENCH_DATABASE_URL" in os.environ:
            status, _, _ = run_child([*manage, "migrate", "--noinput", "-v0"], env)
            if status:
                print("FAIL: could not migrate the benchmark database")
                return 1
        else:  # a copy of the run's migrated database (bench.migrated_sqlite)
            migrated_sqlite(tmpdir / "bench.sqlite3", env)
        status, seconds, peak_kib = run_child(
            [*manage, "import_postcodes", str(csv_path), "--quiet"], env
        )
        peak_mb = peak_kib / 1024
        print(f"Database: {env['DATABASE_URL'].split(':', 1)[0]}")
        rate = options.rows / seconds
        print(f"Imported {options.rows:,} rows in {seconds:.1f} s: {rate:,.0f} rows/s")
        print(f"Peak memory of the import process: {peak_mb:.0f} MB (target < {TARGET_MB} MB)")
        ok = status == 0 and peak_mb < TARGET_MB
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
