"""The patrol ledger (排查台账) as a spreadsheet (§13): its columns, and how one of its rows
becomes the body of a case filed through `POST /v1/cases` with channel `grid_patrol`.

Pure: it turns cell values (as a spreadsheet reader gives them: text, numbers, dates,
None) into the JSON body intake validates, and names the column each validation error
belongs to. Checking the body is the intake command's job, so that an imported row is
held to exactly what a filed case is.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .enums import Category, Channel, LabelledEnum, PartyRole, RiskIndicator

MAX_ROWS = 2000
"""Data rows a ledger may have below its header (blank rows included), dry run or not."""
LIST_SEPARATOR = "、"
"""Between the names of `当事人` and between the labels of `风险情形`."""
HEADER_ROW = 1
"""Row numbers count the header as row 1, as the spreadsheet does."""


@dataclass(frozen=True)
class Column:
    """One column of the ledger: its header (the Chinese name), the case field it feeds."""

    name: str
    field: str
    required: bool = False


EXTERNAL_REF = Column("外部编号", "external_ref", required=True)
TITLE = Column("标题", "title", required=True)
DESCRIPTION = Column("纠纷简况", "description", required=True)
REGION_CODE = Column("区划代码", "region_code", required=True)
PARTIES = Column("当事人", "parties", required=True)
CATEGORY = Column("纠纷类别", "category")
PHONE = Column("联系电话", "parties[0].phone")
PARTY_COUNT = Column("涉及人数", "party_count")
AMOUNT = Column("涉及金额(元)", "amount_cny")
RISK_INDICATORS = Column("风险情形", "risk_indicators")

COLUMNS = (EXTERNAL_REF, TITLE, DESCRIPTION, REGION_CODE, CATEGORY, PARTIES, PHONE, PARTY_COUNT, AMOUNT,
           RISK_INDICATORS)
"""Every column the import reads, in the contract's order (errors are listed in this order)."""
REQUIRED_COLUMNS = tuple(column for column in COLUMNS if column.required)
_COLUMN_OF_FIELD = {column.field: column for column in COLUMNS if "." not in column.field}
_ORDER = {column.name: position for position, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a cell, a row or the header: `row` as the spreadsheet numbers it (None
    for the header as a whole), `column` the Chinese name of the column."""

    row: int | None
    column: str
    message: str
    case_id: str | None = None
    """The case an `外部编号` already names, when that is the problem."""


def sort_key(problem: Problem) -> tuple[int, int]:
    """Problems by row, then in the contract's column order."""
    return problem.row or 0, _ORDER.get(problem.column, len(_ORDER))


# ------------------------------------------------------------------ header


def header_text(value: Any) -> str | None:
    """A header cell as a column name: NFKC-normalised (full-width `（元）` reads as `(元)`) and
    stripped; None for an empty cell."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


@dataclass(frozen=True)
class Header:
    """Where each known column sits in a row (0-based), and the names of the columns the
    import does not know (left unread)."""

    positions: Mapping[str, int]
    ignored: tuple[str, ...]


def read_header(cells: Iterable[Any]) -> tuple[Header, list[Problem]]:
    """The header row's columns, and its problems: a required column missing, a column named
    twice. Columns of other names are ignored (their names are reported back), and so are
    cells without a name."""
    known = {column.name for column in COLUMNS}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for position, cell in enumerate(cells):
        name = header_text(cell)
        if name is None:
            continue
        if name in positions or name in ignored:
            if name in known:
                problems.append(Problem(HEADER_ROW, name, "the column is named twice in the header row"))
            continue
        if name in known:
            positions[name] = position
        else:
            ignored.append(name)
    problems += [Problem(None, column.name, "the header row lacks this required column")
                 for column in REQUIRED_COLUMNS if column.name not in positions]
    return Header(positions, tuple(ignored)), problems


def row_values(header: Header, cells: tuple[Any, ...]) -> dict[str, Any]:
    """A row's values by column name (None for a cell the row does not reach)."""
    return {name: cells[position] if position < len(cells) else None for name, position in header.positions.items()}


def is_blank(values: Mapping[str, Any]) -> bool:
    """A row none of whose known columns holds anything but white space (skipped, not counted)."""
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values.values())


# ------------------------------------------------------------------ cells


class CellRefused(ValueError):
    """A cell whose value cannot stand for its column (the message says why, without the value)."""


def _text(value: Any, strip: bool) -> str | None:
    """Text as typed; a number written as one (a code typed into a numeric cell) as its digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellRefused("must be text, not TRUE/FALSE")
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        raise CellRefused("must be text, not a date or time: format the cells as text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellRefused("is not a finite number")
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if strip:
        text = text.strip()
    return text if text.strip() else None


def free_text(value: Any) -> str | None:
    """标题, 纠纷简况: the text exactly as typed (intake refuses blank text, markup and control characters)."""
    return _text(value, strip=False)


def code(value: Any) -> str | None:
    """外部编号, 区划代码, 联系电话: stripped text; a numeric cell (Excel keeps a 12-digit code or
    a phone typed without a leading quote as a number) as its digits."""
    return _text(value, strip=True)


_WHOLE = re.compile(r"^[+]?[0-9]{1,9}$")
"""At most nine digits: more is no count of people (and `int` of thousands of digits fails)."""
_THOUSANDS = re.compile(r"[,，\s]")


def whole_number(value: Any) -> int | None:
    """涉及人数: a whole number, from a numeric cell or digits typed as text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellRefused("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", value))
        if _WHOLE.match(text):
            return int(text)
    raise CellRefused("must be a whole number")


_DECIMAL = re.compile(r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)$")


def amount(value: Any) -> float | None:
    """涉及金额(元): a number of yuan, from a numeric cell or a number typed as text
    (thousands separators allowed)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellRefused("must be a number (of yuan)")
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", value))
        if _DECIMAL.match(text) and len(text) <= 32:
            return float(text)
    raise CellRefused("must be a number (of yuan)")


def _spellings(enum: type[LabelledEnum]) -> dict[str, str]:
    """Each way a member may be written → its value: the value, the Chinese label of
    `/v1/meta`, and each part of a label that names several things (`土地流转` of
    `土地山林草场/青苗补偿/土地流转`)."""
    spellings: dict[str, str] = {}
    for member in enum:
        for spelling in (member.value, member.label, *member.label.split("/")):
            spellings.setdefault(unicodedata.normalize("NFKC", spelling).strip().lower(), member.value)
    return spellings


CATEGORY_SPELLINGS = _spellings(Category)
RISK_SPELLINGS = _spellings(RiskIndicator)


def _spelled(text: str, spellings: Mapping[str, str]) -> str | None:
    return spellings.get(unicodedata.normalize("NFKC", text).strip().lower())


def category(value: Any) -> str | None:
    """纠纷类别: a label of `/v1/meta` (or a part of one) or the enum value; blank leaves it to triage."""
    text = code(value)
    if text is None:
        return None
    found = _spelled(text, CATEGORY_SPELLINGS)
    if found is None:
        raise CellRefused("is not a category: write a label of /v1/meta's category (婚姻家庭, 邻里, …) "
                          "or its value (neighbor, …)")
    return found


def separated(text: str | None) -> list[str]:
    """The items of a `、`-separated cell, stripped, blanks left out (`张三、李四、` is two)."""
    return [item.strip() for item in (text or "").split(LIST_SEPARATOR) if item.strip()]


def risk_indicators(value: Any) -> list[str]:
    """风险情形: labels (or enum values) separated by `、`."""
    indicators = []
    for position, item in enumerate(separated(code(value)), start=1):
        found = _spelled(item, RISK_SPELLINGS)
        if found is None:
            raise CellRefused(f"item {position} is not a risk indicator: write labels of /v1/meta's "
                              f"risk_indicators (扬言自杀, 群体性, …) or their values, separated by {LIST_SEPARATOR}")
        indicators.append(found)
    return indicators


def parties(names: list[str], phone: str | None) -> list[dict[str, Any]]:
    """当事人: one party per name, the first the applicant (with 联系电话), the others respondents."""
    return [{"role": (PartyRole.APPLICANT if position == 0 else PartyRole.RESPONDENT).value, "name": name,
             **({"phone": phone} if position == 0 and phone is not None else {})}
            for position, name in enumerate(names)]


def case_body(row: int, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The `POST /v1/cases` body of a ledger row (channel `grid_patrol`), with the cells that
    could not be read. A blank cell leaves its field out, so that intake says what it says
    of a missing field; `联系电话` without a name in `当事人` is a problem of its own."""
    problems: list[Problem] = []
    read: dict[str, Any] = {}
    readers = ((EXTERNAL_REF, code), (TITLE, free_text), (DESCRIPTION, free_text), (REGION_CODE, code),
               (CATEGORY, category), (PARTIES, lambda value: separated(code(value))), (PHONE, code),
               (PARTY_COUNT, whole_number), (AMOUNT, amount), (RISK_INDICATORS, risk_indicators))
    for column, reader in readers:
        try:
            read[column.name] = reader(values.get(column.name))
        except CellRefused as refused:
            problems.append(Problem(row, column.name, str(refused)))
    body: dict[str, Any] = {"channel": Channel.GRID_PATROL.value}
    for column in (EXTERNAL_REF, TITLE, DESCRIPTION, REGION_CODE, CATEGORY, PARTY_COUNT, AMOUNT, RISK_INDICATORS):
        if read.get(column.name) not in (None, []):
            body[column.field] = read[column.name]
    names, phone = read.get(PARTIES.name), read.get(PHONE.name)
    if names:
        body["parties"] = parties(names, phone)
    elif phone is not None and names is not None:
        problems.append(Problem(row, PARTIES.name, f"{PHONE.name} is given but no name: the phone belongs to "
                                                   f"the first name of {PARTIES.name}"))
    return body, problems


# ------------------------------------------------------------------ errors


def column_of(location: tuple[str | int, ...]) -> tuple[str, str]:
    """The column a validation error of the case body belongs to, and what to say before the
    message: `('parties', 0, 'phone')` → 联系电话; `('parties', 1, 'name')` → 当事人, "name 2";
    `('risk_indicators', 0)` → 风险情形. A field no column feeds keeps its path."""
    if not location:
        return EXTERNAL_REF.name, ""
    head = location[0]
    if head == "parties":
        if len(location) >= 3 and location[2] == "phone":
            return PHONE.name, ""
        if len(location) >= 2 and isinstance(location[1], int):
            return PARTIES.name, f"name {location[1] + 1}: "
        return PARTIES.name, ""
    column = _COLUMN_OF_FIELD.get(str(head))
    if column is None:
        return ".".join(map(str, location)), ""
    if len(location) >= 2 and isinstance(location[1], int):
        return column.name, f"item {location[1] + 1}: "
    return column.name, ""


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def location_of(field_path: str) -> tuple[str | int, ...]:
    """The API's field path as a location: `parties[0].phone` → ('parties', 0, 'phone')."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(field_path))
