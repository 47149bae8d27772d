"""Masking of personal data (脱敏) for partners, SMS records and logs."""

from __future__ import annotations

import re

MASK = "*"

# Patterns for defence in depth in log lines: mainland mobiles (also in E.164, `+8613812345678`,
# the form SMS gateways are given) and ID numbers.
_PHONE_PATTERN = re.compile(r"(?<!\d)((?:(?:\+|00)?86)?1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_NUMBER_PATTERN = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: keep the first character only."""
    name = name.strip()
    if not name:
        return name
    return name[0] + MASK * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; other lengths keep 3 leading and 4 trailing digits."""
    if len(phone) <= 7:
        return MASK * len(phone)
    return phone[:3] + MASK * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str) -> str:
    """320584199001011239 → 320584********1239 (region kept, birth date hidden)."""
    if len(id_number) < 10:
        return MASK * len(id_number)
    return id_number[:6] + MASK * (len(id_number) - 10) + id_number[-4:]


def mask_party(party: dict) -> dict:
    """A party dict with name, phone and ID number masked; other keys unchanged."""
    masked = dict(party)
    if masked.get("name"):
        masked["name"] = mask_name(masked["name"])
    if masked.get("phone"):
        masked["phone"] = mask_phone(masked["phone"])
    if masked.get("id_number"):
        masked["id_number"] = mask_id_number(masked["id_number"])
    return masked


def redact_text(text: str) -> str:
    """Mask every phone and ID number that appears in free text (log lines)."""
    text = _ID_NUMBER_PATTERN.sub(lambda m: m.group(1) + MASK * 8 + m.group(3)[-4:], text)
    return _PHONE_PATTERN.sub(lambda m: m.group(1) + MASK * 4 + m.group(3), text)
