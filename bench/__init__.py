"""Benchmarks run by `make bench` (python -m bench); each module is one benchmark."""


def with_bench_keys(env: dict) -> dict:
    """Benchmarks run their children with DEBUG off (DEBUG keeps every query in memory), and the
    settings then refuse the development keys: give the child throwaway keys of its own unless
    real ones are set."""
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "not-for-production-" * 3)
    env.setdefault("COMMONPURSE_RECEIPT_KEY", "bench-only-receipt-key-" + "not-for-production-" * 3)
    return env
