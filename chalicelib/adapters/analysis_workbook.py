"""The monthly analysis (研判报告) as an xlsx workbook, with native Excel charts (openpyxl).

People read this report by looking at it, so each chart has a Chinese title, axis titles
and labels set in a CJK font (微软雅黑, with the East Asian font slot filled: Excel otherwise
falls back to a Latin font and may draw boxes), categories on the long axis of a horizontal
bar chart so that Chinese labels are not cut, and rates as percentages. Every cell is a value:
text stays text even if it starts with `=`.
"""

from __future__ import annotations

import io
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Font, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.styles import Alignment
from openpyxl.styles import Font as CellFont
from openpyxl.worksheet.worksheet import Worksheet

from ..domain.analysis import COMPARED_KEYS, COMPARED_TOTALS, LABELS

CJK_FONT = "Microsoft YaHei"
"""微软雅黑: on every Windows with Office; WPS and LibreOffice substitute a CJK font for it."""
PERCENT = "0.0%"
COMPARED = ("本月", "上月", "去年同月")
CHART_WIDTH_CM, CHART_HEIGHT_CM = 24, 12


def _font(size_pt: float, bold: bool = False) -> CharacterProperties:
    face = Font(typeface=CJK_FONT)
    return CharacterProperties(latin=face, ea=face, cs=face, sz=int(size_pt * 100), b=bold)


def _rich(size_pt: float = 10) -> RichText:
    props = _font(size_pt)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _title(text: str, size_pt: float = 14) -> Title:
    props = _font(size_pt, bold=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _style(chart, title: str, x_title: str, y_title: str) -> None:
    chart.title = _title(title)
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    for axis, text in ((chart.x_axis, x_title), (chart.y_axis, y_title)):
        axis.title = _title(text, 10)
        axis.txPr = _rich(10)
        axis.delete = False  # openpyxl 3.1 leaves axes unset, and Excel then hides them
    if chart.legend is not None:
        chart.legend.txPr = _rich(10)
        chart.legend.position = "b"


def _text_categories(chart, sheet: Worksheet, first_row: int, last_row: int) -> None:
    """Category labels from column A as text (`strRef`): openpyxl's `set_categories` declares
    them numbers, which some spreadsheet programs then draw as 1, 2, 3."""
    reference = Reference(sheet, min_col=1, min_row=first_row, max_row=last_row)
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(reference)))


def _put(sheet: Worksheet, row: int, column: int, value: Any, number_format: str | None = None):
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a value, never a formula
    if number_format:
        cell.number_format = number_format
    return cell


def _table(sheet: Worksheet, top: int, header: Iterable[str], rows: Iterable[Iterable[Any]],
           formats: dict[int, str] | None = None) -> int:
    """Write a header and rows from row `top`; return the last row written."""
    for column, text in enumerate(header, start=1):
        _put(sheet, top, column, text).font = CellFont(name=CJK_FONT, bold=True)
    last = top
    for last, values in enumerate(rows, start=top + 1):
        for column, value in enumerate(values, start=1):
            _put(sheet, last, column, value, (formats or {}).get(column))
    return last


def _widths(sheet: Worksheet, widths: Iterable[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(ord("A") + index - 1)].width = width


def _compared_rows(figure: dict, labels: dict[str, str] | None = None) -> list[list[Any]]:
    return [[(labels or {}).get(key, key), *(values[k] for k in COMPARED_KEYS)] for key, values in figure.items()]


def analysis_workbook(report: dict) -> bytes:
    """The workbook of one analysis (the JSON of `services.analysis`)."""
    book = Workbook()
    names = report.get("org_names") or {}
    _overview(book.active, report)
    _categories(book.create_sheet("纠纷类别"), report)
    _daily(book.create_sheet("每日受理"), report)
    _orgs(book.create_sheet("按组织"), report, names)
    breakdowns = book.create_sheet("分布")
    top = 1
    for title, figure, labels in (("来源渠道", report["by_channel"], LABELS["by_channel"]),
                                  ("风险等级", report["by_risk_level"], LABELS["by_risk_level"]),
                                  ("镇街", report["by_town"], None)):
        top = _table(breakdowns, top, (title, *COMPARED), _compared_rows(figure, labels)) + 2
    _table(breakdowns, top, ("分流去向", "件数"),
           [[LABELS["referrals"][route], n] for route, n in report["referrals"].items()])
    _widths(breakdowns, (22, 10, 10, 10))
    watch = book.create_sheet("上升与热点")
    category = LABELS["by_category"]
    last = _table(watch, 1, ("上升：纠纷类别", "镇街", "本月", "上月"),
                  [[category[c["category"]], c["town"], c["count"], c["previous_month"]] for c in report["rising"]])
    _table(watch, last + 2, ("热点：村社", "纠纷类别", "件数"),
           [[h["village"], category[h["category"]], h["count"]] for h in report["hotspots"]])
    _widths(watch, (22, 16, 10, 10))
    red = book.create_sheet("红色在办")
    _table(red, 1, ("案件编号",), [[case_id] for case_id in report["open_red"]])
    _widths(red, (26,))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _overview(sheet: Worksheet, report: dict) -> None:
    sheet.title = "概览"
    _put(sheet, 1, 1, f"矛盾纠纷研判报告 {report['region']} {report['month']}").font = CellFont(
        name=CJK_FONT, bold=True, size=14)
    totals = {figure: report[figure] for figure in COMPARED_TOTALS}  # 受理总数, 领导包案, 联合调解
    last = _table(sheet, 3, ("指标", *COMPARED), _compared_rows(totals, LABELS["totals"]))
    _table(sheet, last + 2, ("指标", "本月"), [
        ["重复当事人案件", report["repeat_parties"]],
        ["督办函", report["supervision_letters"]],
        ["超期在办", sum(report["overdue_by_org"].values())],
        ["红色风险在办", len(report["open_red"])],
        ["上升的类别与镇街", len(report["rising"])],
        ["热点村社", len(report["hotspots"])],
    ])
    _widths(sheet, (24, 12, 12, 12))


def _categories(sheet: Worksheet, report: dict) -> None:
    rows = [[LABELS["by_category"][key], values["same_month_last_year"], values["previous_month"], values["count"]]
            for key, values in report["by_category"].items()]
    last = _table(sheet, 1, ("纠纷类别", "去年同月", "上月", "本月"), rows)
    _widths(sheet, (26, 10, 10, 10))
    chart = BarChart()
    chart.type, chart.grouping = "bar", "clustered"  # horizontal: the Chinese labels read along the long axis
    chart.add_data(Reference(sheet, min_col=2, max_col=4, min_row=1, max_row=last), titles_from_data=True)
    _text_categories(chart, sheet, 2, last)
    _style(chart, f"纠纷类别（{report['month']}、上月、去年同月）", "纠纷类别", "件数")
    sheet.add_chart(chart, "F2")


def _daily(sheet: Worksheet, report: dict) -> None:
    rows = [[day[5:], count] for day, count in report["daily_intake"].items()]
    last = _table(sheet, 1, ("日期", "受理数"), rows)
    _widths(sheet, (12, 10))
    chart = LineChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=last), titles_from_data=True)
    _text_categories(chart, sheet, 2, last)
    _style(chart, f"每日受理量（{report['month']}）", "日期", "件数")
    chart.legend = None
    sheet.add_chart(chart, "D2")


def _orgs(sheet: Worksheet, report: dict, names: dict[str, str]) -> None:
    on_time, satisfaction, overdue = report["on_time_by_org"], report["satisfaction_by_org"], report["overdue_by_org"]
    orgs = sorted(set(on_time) | set(satisfaction) | set(overdue))
    rows = [[names.get(org) or org, org, on_time.get(org), satisfaction.get(org), overdue.get(org, 0)] for org in orgs]
    last = _table(sheet, 1, ("调解组织", "组织编号", "按时办结率", "满意率", "超期在办"), rows,
                  formats={3: PERCENT, 4: PERCENT})
    _widths(sheet, (28, 16, 12, 10, 10))
    for row in sheet.iter_rows(min_row=2, max_row=last, min_col=1, max_col=1):
        row[0].alignment = Alignment(wrap_text=True)
    chart = BarChart()
    chart.type = "bar"
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=last), titles_from_data=True)
    _text_categories(chart, sheet, 2, last)
    _style(chart, f"各调解组织按时办结率（{report['month']}）", "调解组织", "按时办结率")
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.legend = None
    sheet.add_chart(chart, "H2")
