"""domain/duplicates.py: the similarity of two reports, the reasons and scores of possible
duplicates (§12), and the key of the sparse place index."""

from __future__ import annotations

import pytest

from chalicelib.domain.duplicates import (
    MAX_POSSIBLE_DUPLICATES, SIMILAR_TEXT_THRESHOLD, Candidate, DuplicateReason as R, bigrams, place_key,
    possible_duplicates, related_case, report_text, score, similarity)
from chalicelib.domain.enums import CaseStatus as S

VILLAGE, OTHER_VILLAGE = "320509102001", "320509102002"
LEAK = report_text("楼上漏水引发邻里纠纷", "楼上卫生间漏水，多次协商未果，双方发生争执。")

# (a second report, reads as the same dispute)
REPORTS = [
    (report_text("楼上住户漏水 邻居吵架", "报警人称楼上卫生间漏水到其家中，双方发生争吵"), True),  # 110's words
    (report_text("卫生间漏水", "楼上卫生间漏水，多次协商未果"), True),
    (report_text("邻居装修噪音扰民", "邻居装修每天早上七点开始施工，多次沟通无果"), False),  # same category, other dispute
    (report_text("拖欠工资", "某建筑工地拖欠农民工工资三个月，工人聚集讨薪"), False),
    (report_text("纠纷", "双方发生争执，多次协商未果"), False),  # only the boilerplate in common
]


@pytest.mark.parametrize(("other", "same"), REPORTS)
def test_two_reports_of_one_dispute_read_alike_and_of_two_disputes_do_not(other, same):
    assert (similarity(LEAK, other) >= SIMILAR_TEXT_THRESHOLD) is same


FEE = report_text("物业费纠纷", "小区业主拒交物业费，与物业公司发生冲突")
BOUNDARY = report_text("宅基地边界纠纷", "两户村民因宅基地边界围墙发生争执")
# (first, second, one dispute): pairs of one village and category
PAIRS = [
    (FEE, report_text("业主拒缴物业费", "业主认为物业服务不到位拒绝缴纳物业费，双方争执"), True),
    (BOUNDARY, report_text("宅基地界址争议", "村民张某与邻居因宅基地界址问题多次争吵"), True),
    (BOUNDARY, report_text("土地流转租金纠纷", "村民与合作社因土地流转租金支付发生争执"), False),
]


@pytest.mark.parametrize(("first", "second", "same"), PAIRS)
def test_pairs_of_one_category(first, second, same):
    assert (similarity(first, second) >= SIMILAR_TEXT_THRESHOLD) is same


def test_similarity_ignores_punctuation_width_and_case_and_is_symmetric():
    assert similarity("楼上漏水，ＡＢ栋", "楼上漏水 ab栋") == 1.0
    assert similarity(LEAK, REPORTS[0][0]) == similarity(REPORTS[0][0], LEAK)
    assert similarity("", LEAK) == 0.0 and bigrams("，。") == frozenset()
    assert "纠纷" not in bigrams(LEAK) and "漏水" in bigrams(LEAK)


def cand(case_id: str, text: str = LEAK, status: S = S.DISPATCHED, region: str = VILLAGE, category: str = "neighbor",
         parties: frozenset = frozenset()) -> Candidate:
    return Candidate(case_id, status, region, category, text, parties)


UNRELATED = REPORTS[3][0]

# (candidate, reasons expected, or None when it is not a possible duplicate)
CANDIDATES = [
    (cand("A", UNRELATED, parties=frozenset({R.SAME_PHONE})), (R.SAME_PHONE,)),
    (cand("B", UNRELATED, parties=frozenset({R.SAME_ID_NUMBER, R.SAME_PHONE})), (R.SAME_PHONE, R.SAME_ID_NUMBER)),
    (cand("C"), (R.SAME_PLACE_AND_CATEGORY, R.SIMILAR_TEXT)),
    (cand("D", parties=frozenset({R.SAME_PHONE})), (R.SAME_PHONE, R.SAME_PLACE_AND_CATEGORY, R.SIMILAR_TEXT)),
    (cand("E", UNRELATED), None),  # the place alone is not enough
    (cand("F", region=OTHER_VILLAGE), None),  # alike, but elsewhere and nothing shared
    (cand("G", category="property_management"), None),
    (cand("H", region=OTHER_VILLAGE, parties=frozenset({R.SAME_PHONE})), (R.SAME_PHONE, R.SIMILAR_TEXT)),
    (cand("I", status=S.CLOSED, parties=frozenset({R.SAME_PHONE})), None),  # only open cases
    (cand("J", status=S.MERGED), None),
]


@pytest.mark.parametrize(("candidate", "reasons"), CANDIDATES, ids=lambda v: getattr(v, "case_id", None))
def test_the_reasons_of_each_candidate(candidate, reasons):
    found = possible_duplicates(VILLAGE, "neighbor", LEAK, [candidate])
    assert [d.reasons for d in found] == ([reasons] if reasons else [])


def test_duplicates_are_best_first_at_most_ten_and_each_once():
    found = possible_duplicates(VILLAGE, "neighbor", LEAK, [c for c, _ in CANDIDATES] * 2)
    assert [d.case_id for d in found] == ["C", "D", "H", "B", "A"]  # C: the very same report at the place
    assert all(0.0 < d.score <= 1.0 for d in found) and found == sorted(found, key=lambda d: -d.score)
    many = [cand(f"X{i:02d}") for i in range(15)]
    assert len(possible_duplicates(VILLAGE, "neighbor", LEAK, many)) == MAX_POSSIBLE_DUPLICATES


def test_the_score_adds_the_evidence_of_each_reason():
    assert score((R.SAME_ID_NUMBER,), 0.0) == 0.9
    assert score((R.SAME_PHONE, R.SAME_ID_NUMBER), 0.0) == 0.98
    assert score((R.SAME_PLACE_AND_CATEGORY, R.SIMILAR_TEXT), 0.5) == 0.65


def test_the_related_case_is_the_best_one_sharing_a_party():
    found = possible_duplicates(VILLAGE, "neighbor", LEAK, [cand("C"), cand("A", UNRELATED,
                                                                          parties=frozenset({R.SAME_PHONE}))])
    assert related_case(found) == "A"
    assert related_case(possible_duplicates(VILLAGE, "neighbor", LEAK, [cand("C")])) is None


@pytest.mark.parametrize(("status", "key"), [(S.RECEIVED, f"{VILLAGE}#neighbor"), (S.ACCEPTED, f"{VILLAGE}#neighbor"),
                                             (S.RESOLVED, None), (S.MERGED, None), (S.WITHDRAWN, None)])
def test_only_open_cases_are_on_the_place_index(status, key):
    assert place_key(VILLAGE, "neighbor", status) == key
