"""Streaming writers: CSV line by line, XLSX with openpyxl's write-only workbook.

Neither keeps the rows: CSV yields each line as it is formatted, and the write-only workbook streams
rows into its sheet file as they are appended, so memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from apps.exports.tables import Column

#: Excel reads a UTF-8 file as such only when it starts with the byte order mark.
BOM = "\ufeff"

#: A text cell beginning with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]


def csv_text(value: Any, column: Column) -> str:
    """A cell as CSV text: the API's value, empty for null; text that a spreadsheet would run as a
    formula gets a leading apostrophe (numbers are never touched, so ``-1.25`` stays a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if column.kind == "text" and text.startswith(FORMULA_START):
        return "'" + text
    return text


class _Line:
    """A file-like target for :func:`csv.writer` that hands back what was written (one line)."""

    def write(self, text: str) -> str:
        return text


def csv_lines(
    columns: list[Column], rows: Iterable[list[Any]], *, progress: Progress | None = None, every: int = 1000
) -> Iterator[str]:
    """The CSV file as lines: the BOM and header first, then one line per row as it is read."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([str(c.label) for c in columns])
    done = 0
    for row in rows:
        yield writer.writerow([csv_text(v, c) for v, c in zip(row, columns, strict=True)])
        done += 1
        if progress is not None and done % every == 0:
            progress(done)
    if progress is not None:
        progress(done)


def write_csv(
    columns: list[Column], rows: Iterable[list[Any]], target: IO[bytes], *, progress: Progress | None = None,
    every: int = 1000,
) -> int:  # fmt: skip
    """Write the CSV to a binary file, buffered in blocks; returns the number of rows written."""
    count, buffer = -1, io.StringIO()
    for line in csv_lines(columns, rows, progress=progress, every=every):
        buffer.write(line)
        count += 1
        if buffer.tell() > 64 * 1024:
            target.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    target.write(buffer.getvalue().encode("utf-8"))
    return count


def xlsx_value(value: Any, column: Column) -> Any:
    """A cell as a spreadsheet value: numbers as numbers, instants as local date-times, days as dates."""
    if value is None:
        return None
    try:
        if column.kind == "decimal":
            return Decimal(str(value))
        if column.kind == "int":
            return int(value)
        if column.kind == "datetime":
            # The API's instant in the business time zone; Excel has no time zones, so the wall time.
            return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
        if column.kind == "date":
            return dt.date.fromisoformat(str(value))
    except (ValueError, InvalidOperation, TypeError):
        pass
    if isinstance(value, bool):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


NUMBER_FORMATS = {"datetime": "dd/mm/yyyy hh:mm", "date": "dd/mm/yyyy"}


def write_xlsx(
    columns: list[Column], rows: Iterable[list[Any]], target: IO[bytes] | str, *, title: str = "Export",
    progress: Progress | None = None, every: int = 1000,
) -> int:  # fmt: skip
    """Write a one-sheet workbook in write-only mode (rows go straight to disk); returns the rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "Export")
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(column.label)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    done = 0
    for row in rows:
        line = []
        for value, column in zip(row, columns, strict=True):
            converted = xlsx_value(value, column)
            if isinstance(converted, str) and converted.startswith("="):
                cell = WriteOnlyCell(sheet, value=converted)
                cell.data_type = "s"  # text stays text: "=..." is never a formula
                converted = cell
            elif column.kind in NUMBER_FORMATS and converted is not None:
                cell = WriteOnlyCell(sheet, value=converted)
                cell.number_format = NUMBER_FORMATS[column.kind]
                converted = cell
            line.append(converted)
        sheet.append(line)
        done += 1
        if progress is not None and done % every == 0:
            progress(done)
    workbook.save(target)
    if progress is not None:
        progress(done)
    return done
