"""Reading an xlsx workbook sent by a caller, as untrusted input.

Before openpyxl parses anything, the zip archive is checked on what its directory
declares: a zip at all, no more than `MAX_MEMBERS` members, no more than
`MAX_UNPACKED_BYTES` unpacked in all (a zip bomb is refused before it is inflated;
Python's zipfile never inflates a member past its declared size, and a member that does
not match its declared size and CRC fails to read), and no macros (`vbaProject.bin` or a
macro-enabled content type), and no XML part that declares a document type (a DTD: how
billion laughs and external entities come in; no xlsx needs one). That last check is
the reader's own, whatever parser openpyxl uses: openpyxl parses the worksheets through
defusedxml, but the workbook's other parts through lxml when lxml is installed (python-docx
needs it), which leaves entities unexpanded rather than refusing them. openpyxl then reads
the first worksheet in read-only mode with formulas kept as formulas (`data_only=False`,
so a formula cell is seen as one and refused, not taken for its cached value).
"""

from __future__ import annotations

import codecs
import io
import zipfile
from functools import cache
from typing import Any

from defusedxml import DefusedXmlException

from ..domain.errors import (FormulaCells, MacroSpreadsheet, SpreadsheetRefused, SpreadsheetTooLarge,
                             UnreadableSpreadsheet)
from ..observability import logger

MAX_UNPACKED_BYTES = 50 * 2**20
"""The most a workbook may unpack to, all members together (a 2,000-row ledger unpacks to about 1 MiB)."""
MAX_MEMBERS = 1000
"""Members of the zip archive (an xlsx has about ten)."""
FORMULA_CELLS_NAMED = 20
"""Formula cells named in a refusal; the count says how many there are in all."""

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""How an old .xls file, or a password-protected workbook, begins (an OLE compound file)."""
XML_PART_SUFFIXES = (".xml", ".rels", ".vml")
DECLARES_ENTITIES = "the workbook's XML declares entities (a DTD), which are not accepted"
_SCAN_CHUNK = 64 * 1024


def _xml_encoding(head: bytes) -> str:
    """UTF-32 or UTF-16 (with a byte-order mark, or `<?` in either byte order) or else UTF-8: the
    encodings an XML parser detects on its own (XML 1.0 appendix F)."""
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "utf-32"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    return {b"<\x00\x00\x00": "utf-32-le", b"\x00\x00\x00<": "utf-32-be", b"<\x00?\x00": "utf-16-le",
            b"\x00<\x00?": "utf-16-be"}.get(head[:4], "utf-8")


def declares_document_type(stream) -> bool:
    """Whether an XML part has `<!DOCTYPE` anywhere, read in chunks (never all at once)."""
    chunk = stream.read(_SCAN_CHUNK)
    decoder = codecs.getincrementaldecoder(_xml_encoding(chunk))(errors="replace")
    tail = ""
    while chunk:
        text = tail + decoder.decode(chunk)
        if "<!doctype" in text.lower():
            return True
        tail = text[-len("<!doctype"):]
        chunk = stream.read(_SCAN_CHUNK)
    return False



@cache
def _openpyxl():
    """openpyxl, imported on first use (it adds about 0.1 s to a cold start of every function),
    and only if it parses XML through defusedxml."""
    import openpyxl  # noqa: PLC0415
    import openpyxl.xml  # noqa: PLC0415

    if not openpyxl.xml.DEFUSEDXML:
        raise RuntimeError("openpyxl would parse workbooks without defusedxml: install defusedxml")
    return openpyxl


def cell_name(row: int, column: int) -> str:
    """(3, 5) → E3."""
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    return f"{get_column_letter(column)}{row}"


def _unreadable(exc: BaseException, message: str) -> UnreadableSpreadsheet:
    """The refusal of a file the parser failed on: one saying so when defusedxml refused its XML
    (openpyxl wraps that in a ValueError of its own), `message` otherwise."""
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and not isinstance(cause, DefusedXmlException) and id(cause) not in seen:
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    cause = cause if isinstance(cause, DefusedXmlException) else None
    logger.info("workbook unreadable", extra={"error": type(cause or exc).__name__})
    if cause is not None:
        return UnreadableSpreadsheet(DECLARES_ENTITIES)
    return UnreadableSpreadsheet(message)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class XlsxReader:
    """`ports.SpreadsheetReader` for xlsx, with openpyxl."""

    def first_sheet(self, content: bytes, max_rows: int) -> list[tuple[Any, ...]]:
        openpyxl = _openpyxl()
        archive = self._archive(content)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
        except Exception as exc:  # noqa: BLE001 - whatever a damaged file makes the parser raise
            raise _unreadable(exc, "the file is not a readable xlsx workbook") from None
        finally:
            archive.close()
        try:
            return self._rows(workbook, max_rows)
        except SpreadsheetRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged worksheet part
            raise _unreadable(exc, "the workbook's first sheet could not be read: the file is damaged") from None
        finally:
            workbook.close()

    @staticmethod
    def _archive(content: bytes) -> zipfile.ZipFile:
        """The zip archive, checked on what its directory declares."""
        if content.startswith(_OLE_SIGNATURE):
            raise UnreadableSpreadsheet("the file is an old .xls workbook or a password-protected one: save it as "
                                        "\"Excel Workbook (*.xlsx)\" without a password")
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
            members = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError,
                RuntimeError):  # NotImplementedError: a zip version or compression zipfile cannot read
            raise UnreadableSpreadsheet("the file is not an xlsx workbook (not a zip archive, or a truncated one)")
        if len(members) > MAX_MEMBERS:
            raise SpreadsheetTooLarge(f"the workbook has over {MAX_MEMBERS} parts")
        unpacked = sum(member.file_size for member in members)
        if unpacked > MAX_UNPACKED_BYTES:
            raise SpreadsheetTooLarge(f"the workbook unpacks to over {MAX_UNPACKED_BYTES // 2**20} MiB")
        names = [member.filename.lower() for member in members]
        if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in names):
            raise MacroSpreadsheet()
        if "[content_types].xml" in names:
            try:
                declared = archive.read(members[names.index("[content_types].xml")])
            except Exception:  # noqa: BLE001 - a damaged member
                raise UnreadableSpreadsheet("the file is not a readable xlsx workbook") from None
            if b"macroenabled" in declared.lower():
                raise MacroSpreadsheet()
        for member in members:
            if member.filename.lower().endswith(XML_PART_SUFFIXES):
                try:
                    with archive.open(member) as stream:
                        refused = declares_document_type(stream)
                except Exception:  # noqa: BLE001 - a damaged member
                    raise UnreadableSpreadsheet("the file is not a readable xlsx workbook") from None
                if refused:
                    raise UnreadableSpreadsheet(DECLARES_ENTITIES)
        return archive

    @staticmethod
    def _rows(workbook, max_rows: int) -> list[tuple[Any, ...]]:
        if not workbook.worksheets:
            raise UnreadableSpreadsheet("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored dimension may be wrong: read the rows that are there
        header = next(sheet.iter_rows(max_row=1), ())
        width = len(header)
        while width and _blank(header[width - 1].value):
            width -= 1
        if not width:
            raise UnreadableSpreadsheet("the first sheet's first row is empty: it must be the header row")
        rows: list[tuple[Any, ...]] = []
        formulas: list[tuple[int, str, Any]] = []
        blank = 0
        for number, cells in enumerate(sheet.iter_rows(max_col=width), start=1):
            values = []
            for column, cell in enumerate(cells, start=1):
                if cell.data_type == "f":
                    heading = header[column - 1]
                    formulas.append((number, cell_name(number, column),
                                     heading.value if number > 1 and heading.data_type != "f" else None))
                values.append(cell.value)
            values += [None] * (width - len(values))
            if len(rows) > max_rows:  # the header and max_rows rows below it, then one more
                blank += all(map(_blank, values[:width]))
                raise SpreadsheetTooLarge(
                    f"the sheet has more than {max_rows:,} rows below the header ({blank:,} of the first "
                    f"{max_rows + 1:,} are blank): import at most {max_rows:,} rows at a time, and delete the "
                    f"blank rows (select the empty rows below the data and delete them, not only their contents)")
            blank += number > 1 and all(map(_blank, values))
            rows.append(tuple(values))
        if formulas:
            named = ", ".join(reference for _, reference, _ in formulas[:FORMULA_CELLS_NAMED])
            more = f" and {len(formulas) - FORMULA_CELLS_NAMED} more" if len(formulas) > FORMULA_CELLS_NAMED else ""
            raise FormulaCells(f"formulas are not accepted, only values: {named}{more} "
                               f"{'holds a formula' if len(formulas) == 1 else 'hold formulas'}; copy the sheet "
                               f"and paste it as values", formulas[:FORMULA_CELLS_NAMED])
        return rows
