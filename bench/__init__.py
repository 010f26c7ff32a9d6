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


CACHE_ENV = "COMMONPURSE_BENCH_CACHE"  # a folder `python -m bench` makes for one run


def _migrate(env: dict, url: str) -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, str(root / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=root,
        env={**with_bench_keys(dict(env)), "DATABASE_URL": url},
        check=True,
    )


def migrated_sqlite(path, env: dict | None = None) -> None:
    """Put a migrated SQLite database at `path`. Under `python -m bench` the first module
    migrates one and the others copy it (a migration costs about 15 s of CPU: eight of them
    were two minutes of the 15-minute budget); run alone, a module migrates its own."""
    import os
    import shutil
    from pathlib import Path

    cache = os.environ.get(CACHE_ENV)
    cached = Path(cache) / "migrated.sqlite3" if cache else None
    if cached is not None and cached.exists():
        shutil.copyfile(cached, path)
        return
    _migrate(dict(env or os.environ), f"sqlite:///{path}")
    if cached is not None:
        shutil.copyfile(path, cached)


class scratch_database:  # noqa: N801 (used as a context manager, like a function)
    """`with scratch_database(name, env) as url:` a fresh, migrated PostgreSQL database,
    dropped on the way out (also after an error); None when no PostgreSQL server answers
    (then the caller uses SQLite). Under `python -m bench` the first one migrates a template
    database (`<prefix>_template`, dropped at the end of the run) and the others are copies
    of it (CREATE DATABASE ... TEMPLATE)."""

    def __init__(self, name: str, env: dict | None = None) -> None:
        self.name = name
        self.server = pg_server()
        self.env = env

    def _psql(self, sql: str) -> bool:
        import subprocess

        done = subprocess.run(
            ["psql", f"{self.server}/postgres", "-XAtqc", sql], capture_output=True, text=True
        )
        return done.returncode == 0

    def __enter__(self) -> str | None:
        import os
        from pathlib import Path

        self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        cache = os.environ.get(CACHE_ENV)
        env = dict(self.env or os.environ)
        if not cache:
            if not self._psql(f"CREATE DATABASE {self.name}"):
                self.name = ""
                return None
            try:
                _migrate(env, f"{self.server}/{self.name}")
            except BaseException:
                self.__exit__()  # __exit__ does not run when __enter__ fails
                raise
            return f"{self.server}/{self.name}"
        marker = Path(cache) / "pg_template"
        template = db_name("template")
        if not marker.exists():
            self._psql(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
            if not self._psql(f"CREATE DATABASE {template}"):
                self.name = ""
                return None
            marker.write_text(template)  # written first: the run's end drops it either way
            _migrate(env, f"{self.server}/{template}")
        if not self._psql(f"CREATE DATABASE {self.name} TEMPLATE {template}"):
            self.name = ""
            return None
        return f"{self.server}/{self.name}"

    def __exit__(self, *exc) -> None:
        if self.name:
            self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def drop_template(cache) -> None:
    """The end of a `python -m bench` run: drop the template database, if one was made."""
    import subprocess
    from pathlib import Path

    marker = Path(cache) / "pg_template"
    if marker.exists():
        subprocess.run(
            ["psql", f"{pg_server()}/postgres", "-XAtqc"]
            + [f"DROP DATABASE IF EXISTS {marker.read_text().strip()} WITH (FORCE)"],
            capture_output=True,
        )
