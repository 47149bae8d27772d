"""adapters/agreement_docx.py and its template: a real Word document rendered from the committed
template and read back with python-docx: Chinese round-trips, values come out literally (never as
Jinja tags or XML), the template sets East Asian fonts and is what its script builds."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import jinja2
import pytest
from docx.oxml.ns import qn

from chalicelib.adapters.agreement_docx import TEMPLATE, DocxAgreementRenderer, xml_safe
from chalicelib.domain.agreement_document import AgreementDocument, DocumentParty
from scripts.build_agreement_template import build

PARTIES = (DocumentParty("申请人", "张三", "320584199001011237", "13812345678"),
           DocumentParty("被申请人", "欧阳娜娜", "", "13700000001"))
DOCUMENT = AgreementDocument(
    case_id="HW20261123ABCDEFGH", public_code="7KQ4M2XP-R", org_name="城南社区人民调解委员会",
    mediator_name="王调解", parties=PARTIES, facts="楼上卫生间漏水，致楼下天花板受损。\n双方就赔偿金额争执不下。",
    terms=("李四赔偿张三人民币2000元", "李四于2026年12月20日前修复卫生间防水"), summary="赔偿并修复",
    performance_method="银行转账", performance_place="城南社区调解室", performance_due=dt.date(2026, 12, 31),
    effective_on=dt.date(2026, 11, 23))


def paragraphs(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]


def text_of(content: bytes) -> str:
    return "\n".join(paragraphs(content))


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return DocxAgreementRenderer().render(DOCUMENT)


def test_the_document_is_a_word_file_titled_with_the_case_code_and_id(rendered):
    document = docx.Document(io.BytesIO(rendered))
    title = document.paragraphs[0]
    assert (title.text, title.style.name) == ("人民调解协议书", "Agreement Title")
    text = text_of(rendered)
    assert "案件编号：7KQ4M2XP-R" in text and "系统编号：HW20261123ABCDEFGH" in text
    assert "调解组织：城南社区人民调解委员会" in text and "人民调解员：王调解" in text


def test_each_party_appears_in_full_with_a_signature_line(rendered):
    lines = paragraphs(rendered)
    assert "申请人：张三，公民身份号码：320584199001011237，联系电话：13812345678" in lines
    assert "被申请人：欧阳娜娜，联系电话：13700000001" in lines  # no ID number given: none shown
    assert [line for line in lines if "（签名、盖章或按指印）" in line] == [
        "申请人（签名、盖章或按指印）：张三　________________", "被申请人（签名、盖章或按指印）：欧阳娜娜　________________"]
    assert "人民调解员（签名）：王调解　________________" in lines
    assert lines[-2:] == ["城南社区人民调解委员会（印章）", "日期：2026年11月23日"]


def test_facts_terms_and_performance_are_written_in_order(rendered):
    lines = paragraphs(rendered)
    assert "楼上卫生间漏水，致楼下天花板受损。\n双方就赔偿金额争执不下。" in lines  # a line break stays one
    first, second = lines.index("1. 李四赔偿张三人民币2000元"), lines.index("2. 李四于2026年12月20日前修复卫生间防水")
    assert first + 1 == second
    assert lines[second + 1:second + 5] == [
        "四、履行方式、地点和期限", "履行方式：银行转账", "履行地点：城南社区调解室", "履行期限：2026年12月31日前履行完毕。"]
    assert "本协议一式3份，当事人各执一份，调解委员会留存一份。" in lines
    assert "（生效日期：2026年11月23日）" in text_of(rendered)


def test_every_tag_of_the_template_is_filled(rendered):
    text = text_of(rendered)
    assert "{{" not in text and "{%" not in text and "}}" not in text


def test_what_callers_wrote_comes_out_literally_never_as_a_tag_or_as_xml():
    odd = ("{{x}}", "<b>&", "{% if true %}yes{% endif %}", "&amp; </w:t>", "a\u0008\uffffb")
    document = AgreementDocument(**{**DOCUMENT.__dict__, "parties": tuple(
        DocumentParty("申请人", name, "", "") for name in odd), "terms": odd, "facts": "<w:p>事实</w:p>"})
    lines = paragraphs(DocxAgreementRenderer().render(document))
    for name in odd[:4]:
        assert f"申请人：{name}" in lines
    assert "申请人：a\ufffd\ufffdb" in lines  # what XML cannot carry, replaced
    assert [line for line in lines if line[:3] in ("1. ", "2. ", "3. ", "4. ")] == [
        f"{number}. {term}" for number, term in enumerate(odd[:4], start=1)]
    assert "<w:p>事实</w:p>" in lines and "本协议一式6份，当事人各执一份，调解委员会留存一份。" in lines


def test_xml_safe_keeps_every_character_xml_can_carry():
    value = {"a": ["中文\t\n\r😀", ("\ud7ff", "\ue000")], "n": 3}
    assert xml_safe(value) == {"a": ["中文\t\n\r😀", ["\ud7ff", "\ue000"]], "n": 3}
    assert xml_safe("\x00\x1f\ufffe") == "\ufffd" * 3


def _template_with(tmp_path: Path, text: str) -> Path:
    document = docx.Document()
    document.add_paragraph(text)
    path = tmp_path / "t.docx"
    document.save(str(path))
    return path


def test_a_name_the_document_does_not_give_is_an_error_not_a_blank(tmp_path):
    with pytest.raises(jinja2.UndefinedError):
        DocxAgreementRenderer(_template_with(tmp_path, "{{ party_adress }}")).render(DOCUMENT)


def test_the_template_runs_in_the_sandbox(tmp_path):
    with pytest.raises(jinja2.exceptions.SecurityError):
        DocxAgreementRenderer(_template_with(tmp_path, "{{ title.__class__.__mro__ }}")).render(DOCUMENT)


def test_the_template_sets_chinese_fonts_and_a4():
    template = docx.Document(str(TEMPLATE))
    normal = template.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    defaults = template.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋"
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsiaTheme")) is None  # a theme font would win over it
    assert template.styles["Agreement Title"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    section = template.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert len(template.styles) < 20  # python-docx's ~170 styles pruned: each render opens and saves less
    assert not any(rel.reltype.endswith(("/stylesWithEffects", "/numbering")) for rel in template.part.rels.values())


def test_the_script_builds_a_template_that_renders_every_value(tmp_path, rendered):
    """The script is where the template starts (`make agreement-template`); a centre may edit the
    committed file in Word afterwards, so the two need not stay identical."""
    built = DocxAgreementRenderer(build(tmp_path / "agreement.docx")).render(DOCUMENT)
    assert "{{" not in text_of(built) and "本协议一式3份，当事人各执一份，调解委员会留存一份。" in paragraphs(built)
