"""Benchmarks run by `make bench` (python -m bench); each module is one benchmark."""


def with_bench_keys(env: dict) -> dict:
    """Benchmarks run their children with DEBUG off (DEBUG keeps every query in memory), and the
    settings then refuse the development keys: give the child throwaway keys of its own unless
    real ones are set."""
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "not-for-production-" * 3)
    env.setdefault("COMMONPURSE_RECEIPT_KEY", "bench-only-receipt-key-" + "not-for-production-" * 3)
    return env


PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def pg_server() -> str:
    """The PostgreSQL server the benchmarks make their own databases on (no database name)."""
    import os

    return os.environ.get("COMMONPURSE_BENCH_PG", PG_SERVER).rstrip("/")


def db_name(module: str) -> str:
    """A benchmark's own database name: `<prefix>_<module>`, the prefix `cp_bench` unless
    COMMONPURSE_BENCH_DB_PREFIX says otherwise (two runs side by side need two prefixes)."""
    import os

    return f"{os.environ.get('COMMONPURSE_BENCH_DB_PREFIX', 'cp_bench')}_{module}"


class scratch_database:  # noqa: N801 (used as a context manager, like a function)
    """`with scratch_database(name) as url:` a fresh PostgreSQL database, dropped on the way out
    (also after an error); None when no PostgreSQL server answers (then the caller uses
    SQLite)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.server = pg_server()

    def _psql(self, sql: str) -> bool:
        import subprocess

        done = subprocess.run(
            ["psql", f"{self.server}/postgres", "-XAtqc", sql], capture_output=True, text=True
        )
        return done.returncode == 0

    def __enter__(self) -> str | None:
        self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        if not self._psql(f"CREATE DATABASE {self.name}"):
            self.name = ""
            return None
        return f"{self.server}/{self.name}"

    def __exit__(self, *exc) -> None:
        if self.name:
            self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
