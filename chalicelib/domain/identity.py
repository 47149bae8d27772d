"""Identity data of parties: mainland phone numbers and resident ID numbers.

Phones are checked with Google's libphonenumber metadata (the `phonenumbers`
package) rather than a home-made pattern; resident ID numbers (居民身份证号码)
with the GB 11643-1999 check digit and the birth date they embed.

Both are written in ASCII digits (and `X`, the ID number's check character). A full-width
form (全角, `１３８…`, what a Chinese input method types) is read as its ASCII twin first
(`ascii_form`, the NFKC of the full-width block), so the same number typed either way is one
value, and one party key for the repeated-party rule. Any other script's digits (Arabic-Indic
`١٣٨`, Devanagari, circled `①`…) and any other non-ASCII character are refused: `isdigit()` and
`int()` take them, and they would make a second spelling of the same number.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers

ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK_CHARS = "10X98765432"
MAINLAND_REGION = "CN"
_PHONE_TYPES_ACCEPTED = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class InvalidIdentity(ValueError):
    """A phone or ID number that fails validation. The message never repeats it."""


_FULL_WIDTH = {0xFF01 + offset: 0x21 + offset for offset in range(0x5E)} | {0x3000: 0x20}
"""The full-width forms `！`…`～` (U+FF01–U+FF5E) and the ideographic space (U+3000) to their
ASCII twins: exactly what NFKC does to them, and nothing else (NFKC would also turn `①` or `²`
into a digit)."""

NOT_ASCII_DIGITS = "use the digits 0-9: other scripts' digits are not accepted"


def ascii_form(raw: str) -> str:
    """`raw` with its full-width characters as ASCII (`１３８ １２３４` → `138 1234`)."""
    return raw.translate(_FULL_WIDTH)


def normalize_phone(raw: str) -> str:
    """Return a valid mainland phone in its national form, digits only.

    Accepts `13812345678`, `+86 138 1234 5678`, `0512-63001234`; returns
    the digits as dialled at home, trunk prefix 0 included for a landline
    (`13812345678`, `051263001234`). Full-width characters count as their ASCII twins; any
    other non-ASCII character (another script's digits, a zero-width space) is refused, though
    libphonenumber would read Arabic-Indic digits as digits. Raises InvalidIdentity.
    """
    text = ascii_form(raw)
    if not text.isascii():
        raise InvalidIdentity(f"not a phone number: {NOT_ASCII_DIGITS}")
    try:
        parsed = phonenumbers.parse(text, MAINLAND_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity("not a phone number") from exc
    if (
        phonenumbers.region_code_for_number(parsed) != MAINLAND_REGION
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.number_type(parsed) not in _PHONE_TYPES_ACCEPTED
    ):
        raise InvalidIdentity("not a valid mainland China phone number")
    parsed.extension = None  # an extension is not dialled: it would run into the number's digits
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def is_mobile(phone: str) -> bool:
    """True for a normalised mainland mobile number (one that can take SMS)."""
    parsed = phonenumbers.parse(phone, MAINLAND_REGION)
    return phonenumbers.number_type(parsed) in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }


def e164(phone: str) -> str:
    """The E.164 form of a normalised mainland number, as SMS gateways want it."""
    return phonenumbers.format_number(
        phonenumbers.parse(phone, MAINLAND_REGION), phonenumbers.PhoneNumberFormat.E164
    )


_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def id_number_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 (ASCII) digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_NUMBER_WEIGHTS))
    return ID_NUMBER_CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Validate an 18-character resident ID number; return it in ASCII with an upper-case X.
    A full-width number (`３２０５…１２３Ｘ`) is read as its ASCII twin; other scripts' digits
    are refused."""
    value = ascii_form(raw.strip()).upper()
    if not value.isascii():
        raise InvalidIdentity(f"a resident ID number has 17 digits and a check digit or X: {NOT_ASCII_DIGITS}")
    if not _ID_NUMBER.fullmatch(value):
        raise InvalidIdentity("a resident ID number has 17 digits and a check digit or X")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdentity("the birth date in the ID number is not a date") from exc
    if not dt.date(1900, 1, 1) <= birth <= dt.date.today():
        raise InvalidIdentity("the birth date in the ID number is out of range")
    if id_number_check_char(value[:17]) != value[17]:
        raise InvalidIdentity("the ID number's check digit is wrong (GB 11643)")
    return value


MINOR_AGE = 14
"""PIPL §28: the personal data of a child under 14 (不满十四周岁未成年人) is sensitive."""


def birth_date_of(id_number: str | None) -> dt.date | None:
    """The birth date an 18-digit resident ID number embeds (digits 7–14, YYYYMMDD), or None for
    anything else (a 15-digit old-style number, a missing one, a date that is not one)."""
    if not id_number or len(id_number) != 18 or not (id_number[:17].isascii() and id_number[:17].isdigit()):
        return None
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age (周岁) on `day`: a year older on each birthday; one born on 29 February
    is a year older on 1 March in a common year (28 February is still before the birthday)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def is_minor_under_14(id_number: str | None, day: dt.date) -> bool:
    """Whether the ID number's holder was under 14 on `day`; False when the number shows no date."""
    birth = birth_date_of(id_number)
    return birth is not None and age_on(birth, day) < MINOR_AGE
