"""CSV files for spreadsheets, for every app that exports one: UTF-8 with a BOM (so
spreadsheets read it right), and no cell a spreadsheet would run as a formula."""

import csv
from collections.abc import Callable, Iterable, Iterator

BOM = "\ufeff".encode()
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    """Return a cell value that a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class _Line:
    """A file-like object that hands back what csv.writer writes to it."""

    def write(self, value: str) -> str:
        return value


def csv_bytes(rows: Iterable[Iterable]) -> Iterator[bytes]:
    """Encode rows as UTF-8 CSV with a BOM (so spreadsheets read it right)."""
    encode = csv_line_encoder()
    yield BOM
    for row in rows:
        yield encode(row)


def csv_line_encoder() -> Callable[[Iterable], bytes]:
    """Return a function that encodes one row as a safe CSV line in UTF-8."""
    writer = csv.writer(_Line())
    return lambda row: writer.writerow([neutralize(cell) for cell in row]).encode()
