"""Patrol ledgers (排查台账) as xlsx files, good and bad, built in the test with openpyxl and zipfile."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Iterable

from tests.support import VILLAGE

HEADER = ["外部编号", "标题", "纠纷简况", "区划代码", "纠纷类别", "当事人", "联系电话", "涉及人数", "涉及金额(元)", "风险情形"]
"""The contract's columns, in its order."""


def ledger_row(ref: str, **cells: Any) -> dict[str, Any]:
    """A valid row by column name: a neighbours' dispute in the demo village, `cells` changed."""
    row = {"外部编号": ref, "标题": "楼上漏水引发邻里纠纷", "纠纷简况": "楼上住户卫生间漏水，多次协商未果。",
           "区划代码": VILLAGE, "纠纷类别": "邻里", "当事人": "张三、李四", "联系电话": "13812345678",
           "涉及人数": 2, "涉及金额(元)": 5000, "风险情形": None}
    row.update(cells)
    return row


def xlsx(rows: Iterable[Iterable[Any]], sheet_title: str = "排查台账") -> bytes:
    """A workbook whose first sheet holds `rows` as they are (the first one is the header)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger(*rows: dict[str, Any], header: list[str] = HEADER) -> bytes:
    """A ledger of these rows (by column name) under `header`."""
    return xlsx([header, *([row.get(name) for name in header] for row in rows)])


def many_rows(count: int, prefix: str = "GRID", **cells: Any) -> bytes:
    """A ledger of `count` valid rows, each its own dispute (own 外部编号 and applicant's phone)."""
    return ledger(*(ledger_row(f"{prefix}-{n:05d}", 联系电话=f"139{n:08d}", 标题=f"第{n}号网格排查纠纷",
                               纠纷简况=f"网格员排查发现第{n}户与邻居因宅基地边界发生争执。", **cells)
                    for n in range(count)))


def rezip(content: bytes, change: dict[str, bytes | None] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The workbook with members replaced (None removes one) or added."""
    change = change or {}
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    target.writestr(info.filename, change[info.filename])
            else:
                target.writestr(info, source.read(info))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def member(content: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read(name)


def macro_enabled(content: bytes, *, with_vba: bool = True, content_type: bool = True) -> bytes:
    """The workbook as Excel saves a .xlsm: a `vbaProject.bin` part and the macro-enabled main content type."""
    types = member(content, "[Content_Types].xml")
    if content_type:
        types = types.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                              b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return rezip(content, {"[Content_Types].xml": types},
                 {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 60} if with_vba else None)


def zip_bomb(unpacked_bytes: int = 60 * 2**20) -> bytes:
    """A valid workbook plus a member of zeros that deflates to a few dozen KiB and unpacks to `unpacked_bytes`."""
    base = ledger(ledger_row("BOMB-1"))
    return rezip(base, add={"xl/media/padding.bin": b"\0" * unpacked_bytes})


def lying_sizes(content: bytes, name: str = "xl/worksheets/sheet1.xml", declared: int = 16) -> bytes:
    """The workbook whose member `name` declares, in its local header and its central directory
    entry, an unpacked size of `declared` bytes, far below its real one."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    data[info.header_offset + 22:info.header_offset + 26] = declared.to_bytes(4, "little")  # local header
    for match in re.finditer(re.escape(b"PK\x01\x02"), content):  # central directory entries
        start = match.start()
        name_length = int.from_bytes(data[start + 28:start + 30], "little")
        if bytes(data[start + 46:start + 46 + name_length]) == name.encode():
            data[start + 24:start + 28] = declared.to_bytes(4, "little")
    return bytes(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
"""


def with_doctype(content: bytes, doctype: bytes, name: str = "xl/worksheets/sheet1.xml", entity: bytes = b"&lol4;") -> bytes:
    """The workbook with a DTD put before the root of member `name`, and the entity used in its first text."""
    xml = member(content, name)
    xml = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    xml = xml.replace(b"<t>", b"<t>" + entity, 1)
    return rezip(content, {name: doctype + xml})
