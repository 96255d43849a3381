"""Scores (SPEC 5): a compliance score from the run's findings and item 18's four indicators from the
stored facts. Weights and bands come from the ruleset; every score is stored with its breakdown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select

from .rules import ALL_RULES
from .ruleset import AtLeast, AtMost, Indicators, Ruleset
from .store import tables as t

HUNDRED = Decimal(100)
PASSED = ("pass", "waived")
COUNTED = ("pass", "waived", "fail", "indeterminate")


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def banded_at_least(value: Decimal | None, bands: list[AtLeast]) -> Decimal:
    if value is None:
        return Decimal(0)
    for band in sorted(bands, key=lambda b: b.at_least, reverse=True):
        if value >= band.at_least:
            return band.points
    return Decimal(0)


def banded_at_most(value: Decimal | None, bands: list[AtMost]) -> Decimal:
    if value is None:
        return Decimal(0)
    for band in sorted(bands, key=lambda b: b.at_most):
        if value <= band.at_most:
            return band.points
    return Decimal(0)


def _dec(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def _count(listed: str | None) -> int:
    """How many names a ",a,b," list holds."""
    return len([name for name in (listed or "").split(",") if name])


def _compliance(conn: Connection, run_id: int, ruleset: Ruleset) -> dict[int, dict[str, Any]]:
    f = t.Finding
    weights: dict[str, Decimal] = {str(k): v for k, v in ruleset.data.scoring.strength_weights.items()}
    # Grouped by the columns of the findings' (run, submission, rule, status) index alone: the database
    # counts from the index. A rule's strength is its module's, as the engine stored it.
    query = (
        select(f.submission_id, f.rule_id, f.status, func.count())
        .where(f.run_id == run_id, f.status.in_(COUNTED))
        .group_by(f.submission_id, f.rule_id, f.status)
    )
    strengths = {rule.ID: rule.STRENGTH for rule in ALL_RULES}
    counts = sorted((sid, strengths[rule_id], status, rule_id, n) for sid, rule_id, status, n in conn.execute(query))
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"by_strength": {}, "blocking_failures": []})
    blocking = set(ruleset.data.scoring.blocking_rules)
    for sid, strength, status, rule_id, n in counts:
        entry = out[sid]["by_strength"].setdefault(strength, {"weight": str(weights.get(strength, Decimal(0))),
                                                               "passed": 0, "counted": 0})
        entry["counted"] += n
        if status in PASSED:
            entry["passed"] += n
        if status == "fail" and rule_id in blocking and rule_id not in out[sid]["blocking_failures"]:
            out[sid]["blocking_failures"].append(rule_id)
    for entry in out.values():
        earned = sum(Decimal(e["weight"]) * e["passed"] for e in entry["by_strength"].values())
        possible = sum(Decimal(e["weight"]) * e["counted"] for e in entry["by_strength"].values())
        entry["score"] = _round(HUNDRED * earned / possible) if possible else HUNDRED
    return out


def _indicators(conn: Connection, run_id: int, ind: Indicators) -> dict[int, dict[str, Any]]:
    """Item 18's four indicators from each submission's portfolio sums (stored at ingest)."""
    rs, s = t.RunSubmission, t.Submission
    sums = (select(s.id.label("submission_id"), s.inclusive_lines, s.inclusive_groups,
                   s.inclusive_insured_persons.label("insured"), s.inclusive_premium_cny.label("incl_premium"),
                   s.inclusive_claims_paid_cny.label("claims_paid"), s.premium_cny.label("premium"),
                   s.inclusive_settlement_days_x_claims.label("days_x_claims"),
                   s.inclusive_claims_settled.label("claims_settled"), s.complaints, s.online_claims)
            .join(rs, rs.submission_id == s.id).where(rs.run_id == run_id, s.kind == "submission"))
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(sums):
        sid = row.submission_id
        lines, n_groups = _count(row.inclusive_lines), _count(row.inclusive_groups)
        variety = _round(min(Decimal(1), Decimal(lines) / ind.variety.lines_for_full) * 50
                         + min(Decimal(1), Decimal(n_groups) / ind.variety.groups_for_full) * 50)
        insured = _dec(row.insured)
        coverage = banded_at_least(insured, ind.coverage.bands)
        premium_incl, claims = _dec(row.incl_premium), _dec(row.claims_paid)
        loss_ratio = _round(claims / premium_incl * 100) / 100 if premium_incl else None
        protection = banded_at_least(loss_ratio, ind.protection.bands)
        premium = _dec(row.premium)
        complaints = row.complaints or 0
        per_100m = _round(Decimal(complaints) / (premium / Decimal(100_000_000))) if premium else None
        settled = _dec(row.claims_settled)
        days = _round(_dec(row.days_x_claims) / settled) if settled else None
        online = ind.service.online_claims_points if row.online_claims else Decimal(0)
        service_parts = [banded_at_most(per_100m, ind.service.complaints_per_100m_cny_at_most),
                         banded_at_most(days, ind.service.settlement_days_at_most), online]
        service = _round(sum(service_parts, Decimal(0)) / len(service_parts))
        out[sid] = {
            "variety": {"score": str(variety), "inclusive_lines": lines, "target_groups": n_groups,
                        "lines_for_full": ind.variety.lines_for_full, "groups_for_full": ind.variety.groups_for_full},
            "coverage": {"score": str(coverage), "insured_persons": str(insured)},
            "protection": {"score": str(protection), "claims_paid_cny": str(claims), "premium_cny": str(premium_incl),
                           "loss_ratio": None if loss_ratio is None else str(loss_ratio)},
            "service": {"score": str(service), "complaints": complaints,
                        "complaints_per_100m_cny": None if per_100m is None else str(per_100m),
                        "avg_settlement_days": None if days is None else str(days),
                        "online_claims": bool(row.online_claims),
                        "parts": [str(x) for x in service_parts]},
        }
    return out


def score_run(conn: Connection, run_id: int, ruleset: Ruleset) -> None:
    compliance = _compliance(conn, run_id, ruleset)
    indicators = _indicators(conn, run_id, ruleset.data.scoring.indicators)
    sids = [sid for (sid,) in conn.execute(select(t.RunSubmission.submission_id)
                                           .where(t.RunSubmission.run_id == run_id))]
    rows = []
    for sid in sids:
        c = compliance.get(sid) or {"score": HUNDRED, "by_strength": {}, "blocking_failures": []}
        ind = indicators.get(sid)
        breakdown = {"compliance": {"score": str(c["score"]), "by_strength": c["by_strength"],
                                    "blocking_failures": c["blocking_failures"],
                                    "counts": "pass and waived count as passed; indeterminate as not passed; "
                                              "not_applicable is not counted"},
                     "indicators": ind}
        rows.append({
            "run_id": run_id, "submission_id": sid, "compliance": c["score"],
            "blocking": bool(c["blocking_failures"]),
            "variety": Decimal(ind["variety"]["score"]) if ind else None,
            "coverage": Decimal(ind["coverage"]["score"]) if ind else None,
            "protection": Decimal(ind["protection"]["score"]) if ind else None,
            "service": Decimal(ind["service"]["score"]) if ind else None,
            "breakdown": json.dumps(breakdown, ensure_ascii=False),
        })
    if rows:
        conn.execute(insert(t.Score), rows)
