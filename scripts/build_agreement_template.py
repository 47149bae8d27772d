"""Builds the Word template of the agreement document (人民调解协议书): `make agreement-template`.

The template is a .docx with Jinja2 tags (docxtpl) for the values of
`domain.agreement_document.AgreementDocument.fields`. A centre may change the
wording in Word and commit the file instead; this script is the template's
starting point, kept so that it can be built again (and so that the tests can
tell the committed file from what the script builds).

    python scripts/build_agreement_template.py [PATH]   (default: chalicelib/templates/agreement.docx)
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TEMPLATE = Path(__file__).resolve().parent.parent / "chalicelib" / "templates" / "agreement.docx"

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(14)  # 四号
TITLE_SIZE = Pt(22)  # 二号
BUILT_AT = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
"""The core properties' times: the same file content at every build."""

# (style, text): the paragraphs in order. `{%p ... %}` paragraphs are docxtpl's loops over paragraphs.
PARAGRAPHS: tuple[tuple[str, str], ...] = (
    ("Title", "人民调解协议书"),
    ("Number", "案件编号：{{ case_code }}　　系统编号：{{ case_id }}"),
    ("Heading", "一、当事人基本情况"),
    ("Body", "{%p for party in parties %}"),
    ("Body", "{{ party.role }}：{{ party.name }}"
             "{% if party.id_number %}，公民身份号码：{{ party.id_number }}{% endif %}"
             "{% if party.phone %}，联系电话：{{ party.phone }}{% endif %}"),
    ("Body", "{%p endfor %}"),
    ("Body", "调解组织：{{ org_name }}"),
    ("Body", "人民调解员：{{ mediator_name }}"),
    ("Heading", "二、纠纷主要事实、争议事项"),
    ("Indented", "{{ facts }}"),
    ("Heading", "三、经调解，各方当事人自愿达成如下协议"),
    ("Body", "{%p for term in terms %}"),
    ("Indented", "{{ term.number }}. {{ term.text }}"),
    ("Body", "{%p endfor %}"),
    ("Heading", "四、履行方式、地点和期限"),
    ("Indented", "履行方式：{{ performance_method }}"),
    ("Indented", "履行地点：{{ performance_place }}"),
    ("Indented", "履行期限：{{ performance_due }}前履行完毕。"),
    ("Heading", "五、协议效力"),
    ("Indented", "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效"
                 "（生效日期：{{ effective_on }}）。"),
    ("Indented", "经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行。当事人认为有必要的，"
                 "可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。"),
    ("Indented", "本协议一式{{ copies }}份，当事人各执一份，调解委员会留存一份。"),
    ("Body", ""),
    ("Body", "{%p for party in parties %}"),
    ("Signature", "{{ party.role }}（签名、盖章或按指印）：{{ party.name }}　________________"),
    ("Body", "{%p endfor %}"),
    ("Signature", "人民调解员（签名）：{{ mediator_name }}　________________"),
    ("Seal", "{{ org_name }}（印章）"),
    ("Seal", "日期：{{ effective_on }}"),
)


def _fonts(style, east_asian: str, size: Pt, bold: bool = False) -> None:
    """Latin text in LATIN_FONT, Chinese in `east_asian` (w:eastAsia, which Word uses for CJK)."""
    style.font.name = LATIN_FONT
    style.font.size = size
    style.font.bold = bold
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _document_defaults(document) -> None:
    """Text in no style of its own: the body fonts, not the theme's, and Chinese as its language
    (line breaking, punctuation)."""
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    for theme in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute, font in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:eastAsia", BODY_FONT)):
        fonts.set(qn(attribute), font)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")


def _styles(document) -> dict:
    _document_defaults(document)
    styles = document.styles
    normal = styles["Normal"]
    _fonts(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    made = {"Body": normal}
    for name, font, size, bold, alignment in (
        ("Title", TITLE_FONT, TITLE_SIZE, True, WD_ALIGN_PARAGRAPH.CENTER),
        ("Heading", HEADING_FONT, BODY_SIZE, False, None),
        ("Number", BODY_FONT, Pt(12), False, WD_ALIGN_PARAGRAPH.RIGHT),
        ("Indented", BODY_FONT, BODY_SIZE, False, None),  # not justified: a line before a break would stretch
        ("Signature", BODY_FONT, BODY_SIZE, False, None),
        ("Seal", BODY_FONT, BODY_SIZE, False, WD_ALIGN_PARAGRAPH.RIGHT),
    ):
        style = styles.add_style(f"Agreement {name}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        _fonts(style, font, size, bold)
        if alignment is not None:
            style.paragraph_format.alignment = alignment
        made[name] = style
    made["Title"].paragraph_format.space_after = Pt(18)
    made["Indented"].paragraph_format.first_line_indent = BODY_SIZE * 2  # two characters
    made["Signature"].paragraph_format.space_before = Pt(12)
    made["Heading"].paragraph_format.space_before = Pt(6)
    return made


KEPT_STYLES = frozenset({"Normal", "DefaultParagraphFont", "TableNormal", "NoList"})
"""python-docx's blank document defines some 170 styles (and again in stylesWithEffects.xml, which
only Word 2010 reads) and list numberings in their styles: all but the defaults and the
agreement's own styles go, and the numberings with them, so that each render opens and writes
a small file (12 KB instead of 38 KB, 0.8 MB unpacked)."""


def _prune(document) -> None:
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        style_id = style.get(qn("w:styleId"))
        if style_id not in KEPT_STYLES and not style_id.startswith("Agreement"):
            styles.remove(style)
    part = document.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/numbering")):
            part.drop_rel(rel_id)


def build(path: Path = TEMPLATE) -> Path:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(26)
    styles = _styles(document)
    for style, text in PARAGRAPHS:
        document.add_paragraph(text, styles[style])
    _prune(document)
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = "人民调解协议书", "和为贵", "和为贵"
    properties.created = properties.modified = BUILT_AT
    properties.revision, properties.comments = 1, ""
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE))
