"""Shared by the import commands: open the file, show a progress bar on stderr."""

from __future__ import annotations

import os
import sys
import time

from django.core.management.base import CommandError

from config.errors import ApplicationError


class ProgressBar:
    """`[#####.....]  52.1%  1,040,000 rows  98,000 rows/s` redrawn on stderr every call."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()

    def __call__(self, rows: int, done: int, total: int | None) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        if total:
            share = min(done / total, 1.0)
            filled = int(share * self.width)
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {share * 100:5.1f}%"
        else:
            bar = "[working]"
        self.stream.write(f"\r{bar}  {rows:,} rows  {rows / elapsed:,.0f} rows/s")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def run_import(command, service, path: str, *, quiet: bool, batch_size: int | None = None):
    if not os.path.isfile(path):
        raise CommandError(f"There is no file at {path}.")
    total = os.path.getsize(path)
    bar = None if quiet else ProgressBar(command.stderr._out)
    kwargs = {"batch_size": batch_size} if batch_size else {}
    with open(path, "rb") as stream:
        try:
            result = service(stream=stream, total_bytes=total, progress=bar, **kwargs)
        except ApplicationError as exc:
            if bar:
                bar.finish()
            raise CommandError(f"{exc.message} Nothing was imported.") from None
    if bar:
        bar.finish()
    command.stdout.write(
        command.style.SUCCESS(
            f"Imported {result.rows:,} rows: {result.created:,} new, "
            f"{result.updated:,} already there (updated)."
        )
    )
    return result
