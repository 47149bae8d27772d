"""The case code (一案一码): what a party is given to follow their case.

Eight characters from a 31-character alphabet without look-alikes (no 0/O,
1/I/L), a `-`, and a check character from the same alphabet (Luhn mod N over
the eight), e.g. `7KQ4M2XP-R`: most mistyped characters are caught before any
lookup (with an odd base, a doubled position's values v and v + 15 collide, so
one replacement in 30 there goes unseen; the undoubled positions catch all). 31⁸ ≈ 8.5 × 10¹¹ codes; the code alone opens nothing (a
lookup also needs the last four digits of a party's phone).
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BODY_LENGTH = 8
CODE_PATTERN = re.compile(rf"^[{ALPHABET}]{{{BODY_LENGTH}}}-[{ALPHABET}]$")
MAX_LOOKUP_LENGTH = 16
"""Longer strings are no code at all: a lookup refuses them without counting a try."""


def check_character(body: str) -> str:
    """Luhn mod 31 over `body` (ValueError for a character outside the alphabet)."""
    base = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        position = ALPHABET.index(char)
        addend = factor * position
        total += addend // base + addend % base
        factor = 1 if factor == 2 else 2
    return ALPHABET[(base - total % base) % base]


def new_public_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{body}-{check_character(body)}"


def normalise(code: str) -> str:
    """As a party may type it: upper case, no spaces around, full-width forms (as a Chinese input
    method may give them: `７ＫＱ４Ｍ２ＸＰ－Ｒ`) as their ASCII ones (NFKC)."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def is_valid(code: str) -> bool:
    """Well formed and its check character right."""
    return bool(CODE_PATTERN.match(code)) and check_character(code[:BODY_LENGTH]) == code[-1]
