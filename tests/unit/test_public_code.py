"""The case code (一案一码): alphabet, check character, validation."""

from __future__ import annotations

import pytest

from chalicelib.domain.public_code import ALPHABET, check_character, is_valid, new_public_code, normalise


def test_the_alphabet_has_31_characters_without_look_alikes() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("01ILO") & set(ALPHABET)


def test_new_codes_are_well_formed_and_valid() -> None:
    codes = {new_public_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 10 and code[8] == "-" and set(code.replace("-", "")) <= set(ALPHABET)
        assert is_valid(code)


@pytest.mark.parametrize(("body", "check"), [
    ("22222222", "2"),  # every value 0: the sum is 0, check value 0
    ("22222223", "Y"),  # the last character (value 1) is doubled: 2 → (31 - 2) % 31 = 29 → Y
    ("22222232", "Z"),  # the one before it is not: 1 → 30 → Z
    ("2222222Z", "3"),  # 2 × 30 = 60 → its base-31 digits 1 + 29 = 30 → 1 → 3
    ("3222222Z", "2"),  # the first of eight is not doubled: 1 + 30 = 31 → 0 → 2
])
def test_the_check_character_is_luhn_mod_31(body: str, check: str) -> None:
    assert check_character(body) == check
    assert is_valid(f"{body}-{check}")


def test_a_single_changed_character_is_caught_but_for_the_odd_bases_collisions() -> None:
    """Luhn mod N with an odd N (the contract's 31): at a doubled position, the values v and v + 15
    (1 ≤ v ≤ 15) give the same addend, so at most one of its 30 replacements goes unseen; at the
    other positions every replacement is seen."""
    code = "7KQ4M2XP"
    good = f"{code}-{check_character(code)}"
    assert is_valid(good)
    missed = {position: 0 for position in range(8)}
    for position in range(8):
        for replacement in ALPHABET:
            if replacement != code[position]:
                changed = code[:position] + replacement + code[position + 1:]
                missed[position] += is_valid(f"{changed}-{good[-1]}")
    assert [missed[p] for p in (0, 2, 4, 6)] == [0, 0, 0, 0]  # undoubled (counting from the right: 2nd, 4th…)
    assert all(missed[p] <= 1 for p in (1, 3, 5, 7))


def test_a_swap_of_neighbours_is_caught() -> None:
    assert check_character("7KQ4M2XP") != check_character("K7Q4M2XP")
    assert check_character("7KQ4M2XP") != check_character("7KQ4M2PX")


@pytest.mark.parametrize("text", ["", "7KQ4M2XP", "7KQ4M2XPR", "7kq4m2xp-r", "7KQ4M2X0-R", "7KQ4M2XP--", "7KQ4M2XP-R "])
def test_malformed_codes_are_not_valid(text: str) -> None:
    assert not is_valid(text)


def test_normalise_takes_what_a_party_types() -> None:
    code = new_public_code()
    assert normalise(f"  {code.lower()} ") == code
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in code.lower())  # as a Chinese input method types it
    assert normalise(full_width) == code and is_valid(normalise(full_width))
