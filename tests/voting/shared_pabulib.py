"""Where the shared Pabulib elections live, and what a test does when they are absent.

Every "equals pabutools" guarantee rests on these files. Locally, a checkout without
../shared/pabulib skips those tests; with the environment variable ``CI`` set (CI runs with
CI=true), a missing folder FAILS them, so the key guarantee can never go green untested.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA_DIR = Path(
    os.environ.get("COMMONPURSE_PABULIB_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "pabulib"
)
EXPECTED = DATA_DIR / "expected.json"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def have_data() -> bool:
    return EXPECTED.is_file()


def require_data() -> None:
    """Skip (locally) or fail (CI set) when the shared Pabulib files are absent."""
    if have_data():
        return
    message = (
        f"the shared Pabulib files are missing: {DATA_DIR} "
        "(set COMMONPURSE_PABULIB_DIR to their folder)"
    )
    if in_ci():
        pytest.fail(f"{message}; CI is set, so the pabutools-equality tests must run")
    pytest.skip(message)
