"""Statistics (§8) and the 红黑榜 ranking: what one case adds to the aggregates, and the figures.

The figures are sums of counters kept in aggregate rows, never a read of the
cases. A case contributes to rows of its district's partition:

- region rows `<prefix>#<day>`, one for each of its region's district (6
  digits), town (9) and village (12) prefixes, `day` being the Asia/Shanghai
  day of `received_at`: a figure for any prefix and date range reads one row
  per day;
- once concluded (resolved or unresolved), performance rows
  `org#<prefix>#<day>#<org_id>` and `mediator#<prefix>#<day>#<mediator_id>`
  for the org and mediator that concluded it, at the same three prefixes, and
  the same per month of receipt (`org_month#<prefix>#<YYYY-MM>#<org_id>`, …):
  a ranking reads one row per subject for each whole month of its range and
  per subject and day only for the partial months at its ends;
- while it is open (received, dispatched or accepted), a region-open row
  `open#<prefix>` at each of its three prefixes, whether an org holds it or
  not, counting `open`, `open_red` and `overdue_open` (OPEN_COUNTERS): what
  is open under a region *now* (the supervisor dashboard, 一屏观全域) reads
  one item per region with anything open, in one Query (`open#<prefix>`
  begins the keys of the region and of each of its descendants);
- from the moment it joins, an org assisting in a joint mediation (联合调解,
  §15) counts the case as `assisted` in its own org rows (per day and per
  month, at the same three prefixes): the lead org keeps the deadlines and
  every performance counter, an assisting org gets none of them from that
  case (the mediator rows have no `assisted`).

`stats_record(case)` is what a case contributes given its current state, in a
compact form (its counters, the org and mediator they are credited to once
concluded, and the orgs assisting it); `record_rows` expands a record into the
rows above (a case's region and day of receipt never change). The case keeps
the record that is already counted (`Case.stats_recorded`); every write of the
case adds the difference of the two records' rows (`stats_changes`) to the
rows in the same transaction, so the counters are exactly the sum over the
cases.

Definitions (cases count by the Asia/Shanghai day of `received_at` in [from, to]):
- total: cases received; by_status/category/tier/channel/risk_level: their current values
  (a case not yet routed has no tier and is not in by_tier);
- success_rate = resolved / (resolved + unresolved), over cases that reached either
  (a resolved case later closed still counts as resolved: "reached" is read from the
  agreement or referral recorded on the case, not from the current status);
- closure_rate = closed (current status) / total;
- on_time_rate = concluded no later than the resolve deadline in force when it concluded
  (`resolve_due_at`, as moved by an approved extension or a suspension) / concluded
  (resolved + unresolved);
- extension_rate = concluded cases that had an approved extension (延期) / concluded;
- avg_hours_to_resolve = mean hours from received_at to the resolve action, over resolved;
- resolved_below_district_share = resolved at village or town tier / resolved;
- satisfaction_rate = visits done with no `dissatisfied` score / visits done, a party's own
  evaluation with the case code (当事人评价, `Case.self_evaluation`) counting as one more visit;
- overdue_open = open cases (received, dispatched, accepted) currently flagged overdue;
- merged = cases merged into another (并案): out of `total` and every rate, in `by_status`
  (which so adds up to total + merged).
A rate whose denominator is 0 is null.

The region rows also count what the monthly analysis (研判报告) reports of hard cases, which the
§8 figures leave out: `sponsored` (a leader is in charge of the case now, 领导包案) and
`joint_mediation` (at least one org assists the lead now, 联合调解). A merged case counts in
neither, nor as `assisted` for its assisting orgs: its dispute is the target's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from .calendar import business_day
from .case import OPEN_STATUSES
from .enums import CaseStatus, Category, Channel, Referral, RiskLevel, Tier
from .regions import ancestors_and_self
from .visits import visit_ok

STATUS_COUNTER = {s: f"status_{s.value}" for s in CaseStatus}
CATEGORY_COUNTER = {c: f"category_{c.value}" for c in Category}
TIER_COUNTER = {t: f"tier_{t.value}" for t in Tier}
CHANNEL_COUNTER = {c: f"channel_{c.value}" for c in Channel}
RISK_COUNTER = {r: f"risk_{r.value}" for r in RiskLevel}
REFERRAL_COUNTER = {r: f"referral_{r.value}" for r in Referral}

BREAKDOWNS: dict[str, dict] = {
    "by_status": STATUS_COUNTER,
    "by_category": CATEGORY_COUNTER,
    "by_tier": TIER_COUNTER,
    "by_channel": CHANNEL_COUNTER,
    "by_risk_level": RISK_COUNTER,
}
"""Figure name → (enum member → counter)."""

PERFORMANCE_COUNTERS = ("concluded", "concluded_on_time", "resolved", "unresolved", "visits", "visits_ok")
"""The counters credited to the org and mediator that concluded a case (the ranking's inputs)."""
ASSISTED = "assisted"
"""The org rows' count of the cases the org assisted in a joint mediation (联合调解)."""
RANK_COUNTERS = (*PERFORMANCE_COUNTERS, ASSISTED)
"""Every counter of the ranking's rows (RankStatsModel)."""
ENTRY_COUNTERS = {"org": RANK_COUNTERS, "mediator": PERFORMANCE_COUNTERS}
"""What a ranking entry of each kind shows: an org also the cases it assisted, a mediator not."""
HARD_CASE_COUNTERS = ("sponsored", "joint_mediation")
"""The region rows' counts of sponsored (领导包案) and jointly mediated (联合调解) cases, for the
monthly analysis (not among the §8 figures)."""

COUNTERS: tuple[str, ...] = (
    "total",
    *(name for table in BREAKDOWNS.values() for name in table.values()),
    *PERFORMANCE_COUNTERS,
    "resolve_seconds",
    "resolved_below_district",
    "overdue_open",
    "concluded_extended",
    "merged",
    *REFERRAL_COUNTER.values(),
    "open",
    "open_red",
    "repeat_party",
    "supervision_letters",
    *HARD_CASE_COUNTERS,
    ASSISTED,
)
"""Every counter of the statistics rows: one top-level number attribute each (DynamoDB `ADD`); the
ranking's rows hold the RANK_COUNTERS of them."""

BELOW_DISTRICT = frozenset({Tier.VILLAGE, Tier.TOWN})
RANK_KINDS = ("org", "mediator")
MONTH_SUFFIX = "_month"
ROW_KINDS = (*RANK_KINDS, *(kind + MONTH_SUFFIX for kind in RANK_KINDS))
"""Kinds of the ranking's rows (RankStatsModel)."""

RECORD_VERSION = 3
"""The version of the records written now. A record of version 2 or later also counts in the
month, org-day and org-open rows (the monthly analysis and the patrol reports' facts); one of
version 3 also in the region-open rows (the dashboard). A record kept before a kind of rows
(version 1 has no `v`) expands without them, so the next write of such a case adds it to the
new rows whole (`/v1/ops/stats/recount` writes every case whose record is older)."""
ANALYSIS_ROWS_VERSION = 2
"""The first record version that counts in the month, org-day and org-open rows."""
REGION_OPEN_ROWS_VERSION = 3
"""The first record version that counts in the region-open rows."""
MONTH_KIND, ORG_DAY_KIND, ORG_OPEN_KIND, REGION_OPEN_KIND = "month", "org_day", "org_open", "open"
LEVEL_OF_PREFIX = {6: "d", 9: "t", 12: "v"}
"""Month rows name their prefix's level (district, town, village), so that one query reads a
region's towns or villages of a month without its other levels."""
HELD_COUNTERS = ("open_red", "overdue_open")
"""What the org-day rows count of the cases an org holds now, besides `total` (the cases it
received, held now or not): the patrol reports' facts."""
OPEN_COUNTERS = ("open", "open_red", "overdue_open")
"""What the org-open rows count (the cases an org holds open now), and the region-open rows (the
cases of a region open now, held or not)."""


# ------------------------------------------------------------ contributions


def contributions(case) -> dict[str, int]:
    """What one case adds to its region rows in its current state (non-zero counters only).
    A merged case (并案) counts as `merged` and in `by_status` only: its dispute is counted by
    the case it was merged into."""
    if case.status is CaseStatus.MERGED:
        return {"merged": 1, STATUS_COUNTER[CaseStatus.MERGED]: 1}
    counts: dict[str, int] = {"total": 1, STATUS_COUNTER[case.status]: 1, CATEGORY_COUNTER[case.category]: 1,
                              CHANNEL_COUNTER[case.channel]: 1, RISK_COUNTER[case.risk_level]: 1}
    if case.tier is not None:
        counts[TIER_COUNTER[case.tier]] = 1
    resolved, unresolved = case.agreement is not None, case.referral is not None
    if resolved or unresolved:
        counts["concluded"] = 1
        counts["resolved" if resolved else "unresolved"] = 1
        if case.concluded_at and case.resolve_due_at and case.concluded_at <= case.resolve_due_at:
            counts["concluded_on_time"] = 1
        if case.extensions_approved:
            counts["concluded_extended"] = 1
    if unresolved:
        route = case.referral.get("channel")
        if route in Referral._value2member_map_:
            counts[REFERRAL_COUNTER[Referral(route)]] = 1
    if case.repeat_party:
        counts["repeat_party"] = 1
    if resolved:
        if case.concluded_at:
            counts["resolve_seconds"] = max(0, round((case.concluded_at - case.received_at).total_seconds()))
        if case.tier in BELOW_DISTRICT:
            counts["resolved_below_district"] = 1
    done = [v for v in case.return_visits if v.get("done_at")]
    if case.self_evaluation:  # the party's own evaluation (当事人评价) counts as a visit does
        done.append(case.self_evaluation)
    if done:
        counts["visits"] = len(done)
        counts["visits_ok"] = sum(visit_ok(v) for v in done)
    if case.status in OPEN_STATUSES:
        counts["open"] = 1
        if case.risk_level is RiskLevel.RED:
            counts["open_red"] = 1
        if case.overdue:
            counts["overdue_open"] = 1
    if case.sponsor is not None:
        counts["sponsored"] = 1
    if case.participants:
        counts["joint_mediation"] = 1
    return {name: value for name, value in counts.items() if value}


def performance(counts: Mapping[str, int]) -> dict[str, int]:
    """The part of a case's contributions that its org and mediator are ranked on."""
    return {name: counts[name] for name in PERFORMANCE_COUNTERS if counts.get(name)}


def region_row(prefix: str, day: str) -> str:
    return f"{prefix}#{day}"


def rank_row(kind: str, prefix: str, day: str, subject: str) -> str:
    return f"{kind}#{prefix}#{day}#{subject}"


def month_row(month: str, prefix: str) -> str:
    return f"{MONTH_KIND}#{month}#{LEVEL_OF_PREFIX[len(prefix)]}#{prefix}"


def org_day_row(org_id: str, day: str) -> str:
    return f"{ORG_DAY_KIND}#{org_id}#{day}"


def org_open_row(prefix: str, org_id: str) -> str:
    return f"{ORG_OPEN_KIND}#{prefix}#{org_id}"


def region_open_row(prefix: str) -> str:
    """`open#<prefix>`: what is open now of the cases under a region prefix."""
    return f"{REGION_OPEN_KIND}#{prefix}"


def report_facts(org_day_rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """A patrol report's facts from an org's day rows of the period: the cases it received,
    and of those it holds how many are open and red, and open and overdue, now."""
    totals = {"received": 0, "open_red": 0, "overdue_open": 0}
    for row in org_day_rows:
        totals["received"] += int(row.get("total", 0))
        totals["open_red"] += int(row.get("open_red", 0))
        totals["overdue_open"] += int(row.get("overdue_open", 0))
    return totals


def open_red_district(case) -> str | None:
    """The key of the sparse open-red index: the case's district while it is open and red."""
    if case.status in OPEN_STATUSES and case.risk_level is RiskLevel.RED:
        return case.region_code[:6]
    return None


def stats_record(case) -> dict:
    """What a case contributes now, compactly: `counts`; once it is concluded the `org` and
    `mediator` its performance counts for (those of the case when it concluded); the orgs
    assisting it (`assisting`, unless it was merged); the org holding it (`holder`) and the
    others it was dispatched to (`received_by`); and its supervision letters per month of
    issue (`letters`)."""
    counts = contributions(case)
    record: dict = {"v": RECORD_VERSION, "counts": counts}
    if performance(counts):
        record.update(org=case.org_id, mediator=case.mediator_id)
    if case.assisting_org_ids and counts.get("total"):
        record["assisting"] = sorted(case.assisting_org_ids)
    if case.org_id:
        record["holder"] = case.org_id
    received_by = [org for org in case.dispatched_org_ids if org != case.org_id]
    if received_by:
        record["received_by"] = received_by
    if case.letter_months:
        letters: dict[str, int] = {}
        for month in case.letter_months:
            letters[month] = letters.get(month, 0) + 1
        record["letters"] = letters
    return record


def record_rows(case, record: Mapping | None) -> dict[str, dict[str, int]]:
    """Row key (in the case's district partition) → what a record of the case adds to that row."""
    if not record:
        return {}
    day = business_day(case.received_at).isoformat()
    prefixes = ancestors_and_self(case.region_code)
    counts = dict(record.get("counts") or {})
    rows = {region_row(prefix, day): counts for prefix in prefixes}
    ranked = performance(counts)
    if ranked:
        for kind in RANK_KINDS:
            subject = record.get(kind)
            if subject:
                rows.update(dict.fromkeys(_rank_keys(kind, prefixes, day, subject), ranked))
    for org in record.get("assisting", ()):
        for key in _rank_keys("org", prefixes, day, org):
            rows[key] = {**rows.get(key, {}), ASSISTED: 1}
    version = record.get("v", 1)
    if version >= ANALYSIS_ROWS_VERSION:
        rows.update(_analysis_rows(record, counts, day, prefixes))
    if version >= REGION_OPEN_ROWS_VERSION:
        rows.update(_region_open_rows(counts, prefixes))
    return rows


def _region_open_rows(counts: dict[str, int], prefixes: list[str]) -> dict[str, dict[str, int]]:
    """The region-open rows of an open case: its OPEN_COUNTERS at each of its prefixes."""
    still_open = _open_counts(counts)
    return {region_open_row(prefix): still_open for prefix in prefixes} if still_open else {}


def _open_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """What the open rows (org-open, region-open) count of a case: its non-zero OPEN_COUNTERS."""
    return {name: counts[name] for name in OPEN_COUNTERS if counts.get(name)}


def _rank_keys(kind: str, prefixes: list[str], day: str, subject: str) -> list[str]:
    """The ranking's rows of one org or mediator for a case: per day and per month of receipt,
    at each of the case's prefixes."""
    return [key for prefix in prefixes
            for key in (rank_row(kind, prefix, day, subject), rank_row(kind + MONTH_SUFFIX, prefix, day[:7], subject))]


def _analysis_rows(record: Mapping, counts: dict[str, int], day: str, prefixes: list[str]) -> dict:
    """The month rows (what was received in the month, and the letters issued in it) and the
    rows of the org holding the case (per day of receipt, and while open)."""
    rows: dict[str, dict[str, int]] = {month_row(day[:7], prefix): dict(counts) for prefix in prefixes}
    for month, letters in (record.get("letters") or {}).items():
        for prefix in prefixes:
            row = rows.setdefault(month_row(month, prefix), {})
            row["supervision_letters"] = row.get("supervision_letters", 0) + letters
    holder = record.get("holder")
    if counts.get("total"):  # every org the case was dispatched to received it
        for org in [*record.get("received_by", ()), *([holder] if holder else [])]:
            rows[org_day_row(org, day)] = {"total": counts["total"]}
    if holder:
        held = {name: counts[name] for name in HELD_COUNTERS if counts.get(name)}
        if held:
            rows.setdefault(org_day_row(holder, day), {}).update(held)
        still_open = _open_counts(counts)
        if still_open:
            for prefix in prefixes:
                rows[org_open_row(prefix, holder)] = still_open
    return rows


def stats_rows(case) -> dict[str, dict[str, int]]:
    """Row key → what the case contributes to that row in its current state."""
    return record_rows(case, stats_record(case))


def stats_changes(case) -> tuple[dict, dict[str, dict[str, int]]]:
    """The case's current record, and what to add to each row so that the rows count it
    instead of the record they already count (`case.stats_recorded`)."""
    record = stats_record(case)
    return record, deltas(record_rows(case, case.stats_recorded), record_rows(case, record))


def deltas(recorded: Mapping[str, Mapping[str, int]],
           current: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Row key → counter → what to add so that rows counting `recorded` count `current`."""
    changes: dict[str, dict[str, int]] = {}
    for row in sorted(set(recorded) | set(current)):
        before, after = recorded.get(row, {}), current.get(row, {})
        diff = {name: after.get(name, 0) - before.get(name, 0) for name in set(before) | set(after)}
        diff = {name: value for name, value in sorted(diff.items()) if value}
        if diff:
            changes[row] = diff
    return changes


def describe_row(key: str) -> dict[str, str]:
    """The parts of a row key: `region_code` and `day` (a day or month), and `kind` and
    `subject_id` (an org or mediator) for the rows that have them."""
    parts = key.split("#")
    if parts[0] in ROW_KINDS:
        return {"kind": parts[0], "region_code": parts[1], "day": parts[2], "subject_id": parts[3]}
    if parts[0] == MONTH_KIND:
        return {"kind": MONTH_KIND, "day": parts[1], "region_code": parts[3]}
    if parts[0] == ORG_DAY_KIND:
        return {"kind": ORG_DAY_KIND, "subject_id": parts[1], "day": parts[2]}
    if parts[0] == ORG_OPEN_KIND:
        return {"kind": ORG_OPEN_KIND, "region_code": parts[1], "subject_id": parts[2]}
    if parts[0] == REGION_OPEN_KIND:
        return {"kind": REGION_OPEN_KIND, "region_code": parts[1]}
    return {"region_code": parts[0], "day": parts[1]}


def is_rank_row(key: str) -> bool:
    """Whether the row is one of the ranking's (RankStatsModel) rather than an aggregate row."""
    return key.split("#", 1)[0] in ROW_KINDS


def split_range(first: dt.date, last: dt.date) -> tuple[list[tuple[dt.date, dt.date]], tuple[str, str] | None]:
    """The whole months of [first, last] (first and last `YYYY-MM`, or None) and the day spans
    left at its ends: what a ranking reads per month and per day. Any dates, up to date.max."""
    day = dt.timedelta(days=1)
    start = first if first.day == 1 else _next_month(first)  # first day of the first whole month
    following = _next_month(last)
    if last == dt.date.max or (following is not None and following - day == last):
        month_end = last  # last day of the last whole month
    else:
        month_end = last.replace(day=1) - day if last.replace(day=1) > dt.date.min else None
    if start is None or month_end is None or start > month_end:
        return [(first, last)], None
    spans = []
    if first < start:
        spans.append((first, start - day))
    if month_end < last:
        spans.append((month_end + day, last))
    return spans, (start.isoformat()[:7], month_end.isoformat()[:7])


def _next_month(day: dt.date) -> dt.date | None:
    """The first day of the month after `day`'s, or None after December 9999."""
    year, month = (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)
    return dt.date(year, month, 1) if year <= dt.MAXYEAR else None


# ------------------------------------------------------------------ figures


def ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def add_up(rows: Iterable[Mapping[str, float]]) -> dict[str, int]:
    totals = dict.fromkeys(COUNTERS, 0)
    for row in rows:
        for name in COUNTERS:
            totals[name] += int(row.get(name) or 0)
    return totals


def figures(totals: Mapping[str, int]) -> dict:
    """The §8 figures from summed counters; a rate with a zero denominator is null."""
    t = {name: int(totals.get(name) or 0) for name in COUNTERS}
    result: dict = {"total": t["total"]}
    for figure, table in BREAKDOWNS.items():
        result[figure] = {member.value: t[counter] for member, counter in table.items()}
    resolved, unresolved = t["resolved"], t["unresolved"]
    result.update(
        success_rate=ratio(resolved, resolved + unresolved),
        closure_rate=ratio(t[STATUS_COUNTER[CaseStatus.CLOSED]], t["total"]),
        on_time_rate=ratio(t["concluded_on_time"], t["concluded"]),
        extension_rate=ratio(t["concluded_extended"], t["concluded"]),
        avg_hours_to_resolve=ratio(t["resolve_seconds"] / 3600, resolved, 2),
        resolved_below_district_share=ratio(t["resolved_below_district"], resolved),
        satisfaction_rate=ratio(t["visits_ok"], t["visits"]),
        overdue_open=t["overdue_open"],
        merged=t["merged"],
        counts={name: t[name] for name in (*PERFORMANCE_COUNTERS, "resolved_below_district", "concluded_extended")},
    )
    return result


# ------------------------------------------------------------------ ranking

MIN_CONCLUDED = 5
"""Minimum volume: an org or mediator with fewer concluded cases in the range is listed, not ranked."""
PRIOR_WEIGHT = 5
"""Strength of the pull towards the region's rate, in cases (a Bayesian prior of 5 pseudo-cases)."""

RANK_RATES: tuple[tuple[str, str, str], ...] = (
    ("on_time_rate", "concluded_on_time", "concluded"),
    ("success_rate", "resolved", "concluded"),
    ("satisfaction_rate", "visits_ok", "visits"),
)
"""(rate, numerator, denominator) the ranking scores."""


def rank(subjects: Mapping[str, Mapping[str, int]], shown: tuple[str, ...] = PERFORMANCE_COUNTERS) -> dict:
    """Rank orgs or mediators (id → summed counters), best first; each entry shows the counters
    `shown`: `ENTRY_COUNTERS` of its kind, the performance counters and for an org `assisted`.

    Each rate is smoothed towards the region's rate p (the pooled rate of every
    subject listed): (x + K·p) / (n + K) with K = PRIOR_WEIGHT, so a subject with
    few cases sits near the average and a long record counts for what it shows.
    The score is the mean of the smoothed on-time, success and satisfaction
    rates (a rate nobody in the region has data for is left out). Subjects with
    fewer than MIN_CONCLUDED concluded cases are not ranked. Ties: more
    concluded cases first, then id.
    """
    pooled = add_up(subjects.values())
    prior = {rate: pooled[num] / pooled[den] if pooled[den] else None for rate, num, den in RANK_RATES}
    ranked, unranked = [], []
    for subject, raw in subjects.items():
        counts = {name: int(raw.get(name) or 0) for name in shown}
        entry = {"id": subject, **counts, **{rate: ratio(counts[num], counts[den]) for rate, num, den in RANK_RATES}}
        if counts["concluded"] < MIN_CONCLUDED:
            unranked.append(entry)
            continue
        smoothed = [(counts[num] + PRIOR_WEIGHT * prior[rate]) / (counts[den] + PRIOR_WEIGHT)
                    for rate, num, den in RANK_RATES if prior[rate] is not None]
        entry["score"] = round(sum(smoothed) / len(smoothed), 4) if smoothed else None
        ranked.append(entry)
    ranked.sort(key=lambda e: (-(e["score"] or 0), -e["concluded"], e["id"]))
    for position, entry in enumerate(ranked, start=1):
        entry["rank"] = position
    unranked.sort(key=lambda e: (-e["concluded"], e["id"]))
    baseline = {rate: None if p is None else round(p, 4) for rate, p in prior.items()}
    return {"baseline": baseline, "ranked": ranked, "below_minimum": unranked}
