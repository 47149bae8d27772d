"""The agreement document (人民调解协议书) as Word: the template filled in with docxtpl.

The template (`chalicelib/templates/agreement.docx`, built by
`scripts/build_agreement_template.py`) is a .docx with Jinja2 tags, so a
centre changes the wording in Word, not in code. It is rendered in Jinja2's
sandbox with autoescaping, so what callers wrote (a party named `{{x}}` or
`<b>&`) comes out as written and never as a tag or as XML; a name the
template uses that the document does not give is an error, not a blank.
docxtpl (with python-docx, lxml and Jinja2) is imported on the first render,
not with the API.
"""

from __future__ import annotations

import io
import re
from functools import cached_property
from pathlib import Path
from typing import Any

from ..domain.agreement_document import AgreementDocument

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "agreement.docx"

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry (the API refuses control characters; U+FFFE and U+FFFF pass it)."""


def xml_safe(value: Any) -> Any:
    """The template's values with each character XML cannot carry replaced by U+FFFD."""
    if isinstance(value, str):
        return _NOT_XML.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [xml_safe(item) for item in value]
    return value


class DocxAgreementRenderer:
    """`ports.AgreementRenderer` with docxtpl, on the template at `template`."""

    def __init__(self, template: Path = TEMPLATE):
        self._template = template

    @cached_property
    def _template_bytes(self) -> bytes:
        """Read once a process: each render opens its own copy."""
        return self._template.read_bytes()

    def render(self, document: AgreementDocument) -> bytes:
        from docxtpl import DocxTemplate  # with python-docx and lxml: ~0.2 s, paid by this route only
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        template = DocxTemplate(io.BytesIO(self._template_bytes))
        template.render(xml_safe(document.fields()),
                        jinja_env=SandboxedEnvironment(autoescape=True, undefined=StrictUndefined))
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()
