"""Possible duplicates (重复件) and related cases (关联件) at intake, §12, as data and a small evaluator.

A new case is compared with the open cases the store finds by key, never by
a scan: the cases its parties' phone and ID number keys point to, and the
open cases of the same village and category received in the last 30 days
(a sparse index whose key the case carries only while it is open).

Text similarity is the Dice coefficient of character bigrams of title and
description together, taken within runs of letters and digits, after the
words every dispute report uses (纠纷, 双方, 发生争执, 多次协商未果, ...) are cut out. Chinese is written without spaces; bigrams need no
word segmentation (a tokenizer such as jieba would add a 20 MB dictionary to
the package and its load to every cold start) and a wrong segmentation
cannot hide a match: two reports of one leak share 漏水, 楼上, 卫生 whatever
the words around them. On pairs of reports of one dispute worded apart (the
tests keep them) it gives 0.30-0.86; on different disputes of the same
village and category, 0.0.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .enums import OPEN_STATUSES, CaseStatus, WireEnum

PLACE_WINDOW_DAYS = 30
"""Open cases of the same village and category received this many days back are compared."""
MAX_POSSIBLE_DUPLICATES = 10
SIMILAR_TEXT_THRESHOLD = 0.2
"""Bigram Dice at or above which two reports read as one dispute."""
MAX_PLACE_CANDIDATES = 200
"""The newest open cases of a village and category compared with a new one (a bound on the read)."""

COMMON_TERMS: tuple[str, ...] = (
    "多次协商未果", "协商未果", "发生争执", "发生争吵", "发生矛盾", "发生冲突", "当事人", "报警人", "纠纷", "双方",
    "一方", "对方", "村民", "居民", "群众", "多次", "协商", "争执", "争吵", "矛盾", "问题", "要求", "反映", "投诉",
    "调解", "邻居", "因为", "认为", "发生", "未果", "引发",
)
"""The words of the reports' boilerplate, not of what a dispute is about: cut out before comparing."""

_CUT = re.compile("|".join(sorted(map(re.escape, COMMON_TERMS), key=len, reverse=True)))


class DuplicateReason(WireEnum):
    SAME_PHONE = "same_phone"
    SAME_ID_NUMBER = "same_id_number"
    SAME_PLACE_AND_CATEGORY = "same_place_and_category"
    SIMILAR_TEXT = "similar_text"


REASON_WEIGHT: dict[DuplicateReason, float] = {
    DuplicateReason.SAME_ID_NUMBER: 0.9,
    DuplicateReason.SAME_PHONE: 0.8,
    DuplicateReason.SAME_PLACE_AND_CATEGORY: 0.3,
}
"""How strongly each reason alone says "the same dispute"; `similar_text` weighs its similarity.
The score is 1 - the product of (1 - weight) over the reasons found: each adds evidence."""

PARTY_REASONS = frozenset({DuplicateReason.SAME_PHONE, DuplicateReason.SAME_ID_NUMBER})
"""The reasons that make a case related (关联件): it shares a party."""


@dataclass(frozen=True)
class PossibleDuplicate:
    case_id: str
    reasons: tuple[DuplicateReason, ...]
    score: float

    @property
    def shares_a_party(self) -> bool:
        return bool(PARTY_REASONS & set(self.reasons))


@dataclass(frozen=True)
class Candidate:
    """An open case the store found for a new one, and the party keys that led to it."""

    case_id: str
    status: CaseStatus
    region_code: str
    category: str
    text: str
    party_reasons: frozenset[DuplicateReason] = field(default_factory=frozenset)


def _runs(text: str) -> list[str]:
    """The runs of letters and digits of `text` (NFKC, lower case), boilerplate words cut out."""
    text = _CUT.sub(" ", unicodedata.normalize("NFKC", text).lower())
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
    return kept.split()


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams within the runs of `text`."""
    return frozenset(run[i:i + 2] for run in _runs(text) for i in range(len(run) - 1))


def similarity(first: str, second: str) -> float:
    """Dice coefficient of the two texts' bigrams, 0.0-1.0."""
    return _dice(bigrams(first), bigrams(second))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def report_text(title: str, description: str) -> str:
    return f"{title}\n{description}"


def score(reasons: tuple[DuplicateReason, ...], text_similarity: float) -> float:
    missing = 1.0
    for reason in reasons:
        weight = text_similarity if reason is DuplicateReason.SIMILAR_TEXT else REASON_WEIGHT[reason]
        missing *= 1.0 - weight
    return round(1.0 - missing, 4)


def possible_duplicates(region_code: str, category: str, text: str,
                        candidates: list[Candidate]) -> list[PossibleDuplicate]:
    """The open candidates that may be the same dispute as a new case, best first, at most ten:
    those sharing a party, and those of its village and category whose report reads alike
    (the place alone, without similar text, is not enough)."""
    found: list[PossibleDuplicate] = []
    mine = bigrams(text) if candidates else frozenset()  # once, not per candidate
    for candidate in {c.case_id: c for c in candidates}.values():
        if candidate.status not in OPEN_STATUSES:
            continue
        reasons = [r for r in (DuplicateReason.SAME_PHONE, DuplicateReason.SAME_ID_NUMBER)
                   if r in candidate.party_reasons]
        text_similarity = _dice(mine, bigrams(candidate.text))
        same_place = candidate.region_code == region_code and candidate.category == category
        if same_place and text_similarity >= SIMILAR_TEXT_THRESHOLD:
            reasons += [DuplicateReason.SAME_PLACE_AND_CATEGORY, DuplicateReason.SIMILAR_TEXT]
        elif reasons and text_similarity >= SIMILAR_TEXT_THRESHOLD:
            reasons.append(DuplicateReason.SIMILAR_TEXT)
        if reasons:
            found.append(PossibleDuplicate(candidate.case_id, tuple(reasons), score(tuple(reasons), text_similarity)))
    found.sort(key=lambda d: (-d.score, d.case_id))
    return found[:MAX_POSSIBLE_DUPLICATES]


def related_case(duplicates: list[PossibleDuplicate]) -> str | None:
    """The open case a new one is related to through a party (首接负责): the best of them."""
    return next((d.case_id for d in duplicates if d.shares_a_party), None)


def place_key(region_code: str, category: str, status: CaseStatus) -> str | None:
    """The key of the sparse place index, held only by open cases: `<village>#<category>`."""
    return f"{region_code}#{category}" if status in OPEN_STATUSES else None
