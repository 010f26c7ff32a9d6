"""Rows to CSV text, one chunk per row, for files and streamed downloads alike."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator


class _Line:
    def __init__(self) -> None:
        self.value = ""

    def write(self, text: str) -> None:
        self.value = text


def csv_chunks(rows: Iterable[list]) -> Iterator[str]:
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield line.value


def write_rows(rows: Iterable[list], path: str) -> int:
    """Write rows to a CSV file; returns how many rows (the header included)."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for chunk in csv_chunks(rows):
            handle.write(chunk)
            count += 1
    return count


def rows_to_text(rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    for chunk in csv_chunks(rows):
        buffer.write(chunk)
    return buffer.getvalue()
