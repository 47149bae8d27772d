"""Ledger files (台账): xlsx and csv, written row by row as the rows come, never held whole.

- xlsx: openpyxl's write-only workbook, one sheet `台账`, the header row frozen and
  bold, column widths from the ledger's columns. Its rows go to a temporary file
  as they are appended and are zipped into the output at the end. Every cell
  is a value: a text that openpyxl would take for a formula (`=…`) or an error
  code (`#N/A`) is written as a string all the same, and characters a
  worksheet cannot hold are dropped.
- csv: UTF-8 with a BOM (so that Excel reads the Chinese right), CRLF line ends,
  RFC 4180 quoting (the csv module), a leading `'` on a cell that would start
  a formula (`domain.ledger.csv_cell`).
"""

from __future__ import annotations

import csv
import io
from typing import Any, BinaryIO, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..domain.ledger import LEDGER_SHEET, LedgerFormat, csv_cell

CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte order mark."""
LINE_END = "\r\n"


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding=CSV_ENCODING, newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator=LINE_END)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
        text.flush()
    finally:
        text.detach()  # the caller's file stays open


def _xlsx_value(sheet, value: Any) -> Any:
    """The value to append: a plain value, or a cell forced to text where openpyxl would guess a
    formula or an error."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("=") or value in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(header: Sequence[str], widths: Sequence[int], rows: Iterable[Sequence[Any]], out: BinaryIO) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(LEDGER_SHEET)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    heading = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
    workbook.save(out)


def write_ledger(ledger_format: LedgerFormat, header: Sequence[str], widths: Sequence[int],
                 rows: Iterable[Sequence[Any]], out: BinaryIO) -> None:
    """`ports.LedgerWriter`: the ledger in `ledger_format` into `out`."""
    if ledger_format is LedgerFormat.XLSX:
        write_xlsx(header, widths, rows, out)
    else:
        write_csv(header, rows, out)
