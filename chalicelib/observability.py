"""Structured JSON logging with a last line of defence against personal data.

Code never logs party names, phones or ID numbers; on top of that, every
formatted line passes through `redact_text`, which masks anything shaped
like a mainland mobile number or a resident ID number.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from .config import SERVICE
from .domain.masking import redact_text


class RedactingFormatter(LambdaPowertoolsFormatter):
    def format(self, record) -> str:  # noqa: A003 - logging API
        return redact_text(super().format(record))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
