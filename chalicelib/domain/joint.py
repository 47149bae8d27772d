"""Joint mediation (联合调解, 人民调解工作若干规定 §27; 吴江's 难事联办): orgs of other places or
kinds assist the org the case is assigned to (the lead), which keeps its deadlines and its
statistics. The mediators of an assisting org may read the case, add notes and book
sessions; what else they may not do is the action registry's per-action rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_ASSISTING_ORGS = 5


@dataclass(frozen=True)
class Participant:
    """An assisting org (协办单位): when it joined, why, and who asked it."""

    org_id: str
    joined_at: dt.datetime
    reason: str
    added_by: str
