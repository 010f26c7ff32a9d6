"""`make bench`: run every benchmark module in turn and print its figures."""

import importlib
import sys

MODULES = [
    "bench.tally",
    "bench.postcodes",
    "bench.redis_down",
    "bench.ledger",
    "bench.indicators",
    "bench.pages",
]


def main() -> int:
    status = 0
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            print(f"({name} not present)")
            continue
        print(f"\n===== {name} =====", flush=True)
        status |= module.main([]) or 0
    return status


if __name__ == "__main__":
    sys.exit(main())
