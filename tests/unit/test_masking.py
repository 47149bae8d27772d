"""Masking of personal data (脱敏, §5 partner view, §5 notifications, logs)."""

from __future__ import annotations

import pytest

from chalicelib.domain.masking import mask_id_number, mask_name, mask_party, mask_phone, redact_text

ID = "320584199001011239"
ID_WITH_X = "11010519491231002X"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王", "王*"), (" 李四 ", "李*"), ("", "")],
)
def test_mask_name_keeps_the_first_character_only(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("051263001234", "051*****1234"), ("01012345678", "010****5678"),
     ("1012345678", "101***5678"),
     ("1234567", "*******"), ("", "")],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_id_number_hides_the_birth_date():
    assert mask_id_number(ID) == "320584********1239"
    assert mask_id_number(ID_WITH_X) == "110105********002X"
    assert "19900101" not in mask_id_number(ID)
    assert mask_id_number("123") == "***"


def test_mask_party_masks_every_identifier_and_keeps_other_keys():
    party = {"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": ID}
    assert mask_party(party) == {"role": "applicant", "name": "张*", "phone": "138****5678",
                                 "id_number": "320584********1239"}
    assert party["name"] == "张三"  # the input is not changed
    assert mask_party({"role": "respondent", "name": "李四"}) == {"role": "respondent", "name": "李*"}


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("call 13812345678 now", "13812345678"),
        ("id=320584199001011239;", "320584199001011239"),
        ("id 11010519491231002x here", "11010519491231002x"),
        ("sms to +8613812345678", "13812345678"),  # E.164, as the SMS gateway is given it
        ("sms to 8613812345678", "13812345678"),
        ("sms to 008613812345678", "13812345678"),
        ("phone:13812345678,id:" + ID, ID),
    ],
)
def test_redact_text_masks_phones_and_id_numbers(text, leaked):
    redacted = redact_text(text)
    assert leaked not in redacted
    assert "****" in redacted


def test_redact_text_keeps_shape_and_leaves_other_numbers():
    assert redact_text("tel 13812345678 id " + ID) == "tel 138****5678 id 320584********1239"
    assert redact_text("+8613812345678") == "+86138****5678"
    # a 13-digit epoch in milliseconds and a 12-digit region code are not phones
    assert redact_text("at 1763780000000 in 320509102001") == "at 1763780000000 in 320509102001"
    assert redact_text("case HW20261122ABCDEFGH v3") == "case HW20261122ABCDEFGH v3"
