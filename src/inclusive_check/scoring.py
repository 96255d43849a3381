"""Scores: a compliance score from the run's findings and item 18's four indicators from the
stored facts. Every number comes from the ruleset's ``scoring`` section (weights, bands, rounding,
indicator points); every score is stored with its breakdown.

Compliance weighs rules, not findings: each rule with at least one counted finding (pass, waived, fail,
indeterminate) for a document counts once, by the share of its subjects that passed (pass or waived),
and the rules are weighted by strength::

    compliance = 100 x sum(weight(strength) x share) / sum(weight(strength))

so a catalogue of 64 products does not dilute a governance failure more than a catalogue of 4. Rules
whose strength weighs 0 (the supervisory flag) are listed but do not count. A document where no weighted
rule counted is not scored (compliance NULL, with the reason), never 100. A failed or undetermined
blocking rule (``scoring.blocking_rules``) makes the document blocking whatever its score.

Arithmetic is exact (fractions) until the one rounding the ruleset names.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, func, insert, select

from .figures import number
from .ruleset import Ruleset
from .ruleset_models import AtLeast, AtMost, Indicators, Rounding, ScoreBands, Scoring
from .store import tables as t

PASSED = ("pass", "waived")
COUNTED = ("pass", "waived", "fail", "indeterminate")
STRENGTH_ORDER = ("mandatory", "principle", "encouraged", "flag")
# The scale of every score (0..100) and the unit of the complaints indicator (per 100 million yuan of
# premium, as its ruleset field is named): definitions, not tunable numbers.
SCALE = 100
_EXACT = Context(prec=60)
PER_100M_CNY = 100_000_000

NOTHING_APPLIED = {"en": "not scored: no rule applied to this document", "zh": "未评分：本文件无适用规则"}
COUNTS_NOTE = {
    "en": "Each rule counts once, by the share of its subjects that passed (pass and waived count as "
    "passed; indeterminate as not passed; not applicable is not counted), weighted by its strength.",
    "zh": "每条规则只计一次，按其检查对象的通过比例计分（通过与豁免计为通过；无法判定计为未通过；"
    "不适用不计入），再按效力加权。",
}


def quantize(value: Fraction | Decimal | int, rounding: Rounding) -> Decimal:
    """``value`` rounded exactly to the ruleset's decimal places, half-up (away from zero) or half-even.

    A fraction is divided out to 60 digits first: a quotient that does not terminate within them cannot sit
    exactly on a rounding tie, so rounding it gives the same result as rounding the exact fraction.
    """
    if isinstance(value, Fraction):
        value = _EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
    mode = ROUND_HALF_EVEN if rounding.mode == "half_even" else ROUND_HALF_UP
    return Decimal(value).quantize(Decimal(1).scaleb(-rounding.places), rounding=mode, context=_EXACT)


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


def score_band(score: Decimal | None, bands: ScoreBands) -> str:
    """good, fair or poor by the ruleset's display bands; 'none' when not scored."""
    if score is None:
        return "none"
    return "good" if score >= bands.good_at_least else "fair" if score >= bands.fair_at_least else "poor"


def _dec(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def _count(listed: str | None) -> int:
    """How many names a ",a,b," list holds."""
    return len([name for name in (listed or "").split(",") if name])


def method(ruleset: Ruleset) -> dict[str, Any]:
    """The scoring method a run used, as stored in every breakdown: its source, date, weights and bands."""
    sc = ruleset.data.scoring
    return {
        "ruleset": {"id": ruleset.id, "version": ruleset.version},
        "from": sc.start.isoformat(),
        "citation": sc.citation,
        "interpretation": sc.interpretation,
        "strength_weights": {k: number(v) for k, v in sc.strength_weights.model_dump().items()},
        "blocking_rules": list(sc.blocking_rules),
        "rounding": sc.rounding.model_dump(),
        "bands": {
            "good_at_least": number(sc.bands.good_at_least),
            "fair_at_least": number(sc.bands.fair_at_least),
            "citation": sc.bands.citation,
            "interpretation": sc.bands.interpretation,
        },
    }


def _rule_counts(
    conn: Connection, run_id: int, borrowed: tuple[int, Sequence[str]] | None = None
) -> tuple[dict[int, dict[str, dict[str, int]]], dict[int, dict[str, str]]]:
    """submission -> rule -> status -> count, over the counted statuses; and submission -> rule -> strength as
    the run stored it (the ruleset's, on the document's binding date: it may change from a date).

    ``borrowed`` (another run, rules): those rules' findings are that run's, for the documents of this one (a
    what-if evaluates again only the rules whose policy it changes; see impact.py)."""
    f, rs = t.findings.c, t.run_submissions.c
    query = (
        select(f.submission_id, f.rule_id, f.strength, f.status, func.count())
        .where(f.run_id == run_id, f.status.in_(COUNTED))
        .group_by(f.submission_id, f.rule_id, f.strength, f.status)
    )
    queries = [query]
    if borrowed is not None and borrowed[1]:
        other, rules = borrowed
        mine = select(rs.submission_id).where(rs.run_id == run_id)
        queries.append(
            select(f.submission_id, f.rule_id, f.strength, f.status, func.count())
            .where(t.held_by(t.findings, other), f.status.in_(COUNTED), f.rule_id.in_(rules), f.submission_id.in_(mine))
            .group_by(f.submission_id, f.rule_id, f.strength, f.status)
        )
    out: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    strengths: dict[int, dict[str, str]] = defaultdict(dict)
    for q in queries:
        for sid, rule_id, strength, status, n in conn.execute(q):
            out[sid][rule_id][status] = int(n)
            strengths[sid][rule_id] = strength
    return out, strengths


def compliance(
    rules: dict[str, dict[str, int]], scoring: Scoring, binding_date: date | None, strengths: dict[str, str]
) -> dict[str, Any]:
    """One document's compliance score and its breakdown, from its counted findings per rule and status.

    ``strengths`` is each rule's strength as its findings store it (the ruleset's, on the binding date).
    ``score`` is a Decimal or None (not scored, ``not_scored`` says why); ``blocking`` a bool.
    """
    weights, rounding = scoring.strength_weights, scoring.rounding
    listed: list[dict[str, Any]] = []
    earned, possible = Fraction(0), Fraction(0)
    totals: dict[str, dict[str, Any]] = {}
    ordered = sorted(rules.items(), key=lambda kv: (STRENGTH_ORDER.index(strengths[kv[0]]), kv[0]))
    for rule_id, counts in ordered:
        strength = strengths[rule_id]
        weight = weights.of(strength)
        counted = sum(counts.get(s, 0) for s in COUNTED)
        passed = sum(counts.get(s, 0) for s in PASSED)
        if not counted:
            continue
        share = Fraction(passed, counted)
        scored = weight > 0
        listed.append(
            {
                "rule_id": rule_id,
                "strength": strength,
                "weight": number(weight),
                "passed": passed,
                "counted": counted,
                "failed": counts.get("fail", 0),
                "indeterminate": counts.get("indeterminate", 0),
                "waived": counts.get("waived", 0),
                "share_pct": number(quantize(share * SCALE, rounding)),
                "scored": scored,
            }
        )
        total = totals.setdefault(strength, {"weight": weight, "rules": 0, "shares": Fraction(0)})
        total["rules"] += 1
        total["shares"] += share
        if scored:
            earned += Fraction(weight) * share
            possible += Fraction(weight)
    by_strength = {
        strength: {
            "weight": number(x["weight"]),
            "rules": x["rules"],
            "shares": number(quantize(x["shares"], rounding)),
            "earned": number(quantize(Fraction(x["weight"]) * x["shares"], rounding)),
            "possible": number(x["weight"] * x["rules"]),
        }
        for strength, x in totals.items()
    }
    score: Decimal | None = None
    not_scored: dict[str, str] | None = None
    if binding_date is not None and binding_date < scoring.start:
        not_scored = {
            "en": f"not scored: the ruleset's scoring applies from {scoring.start}; this document's "
            f"binding date is {binding_date}",
            "zh": f"未评分：本规则集的评分方法自{scoring.start}起适用，本文件的约束日期为{binding_date}",
        }
    elif possible:
        score = quantize(earned * SCALE / possible, rounding)
    elif listed:
        unweighted = ", ".join(r["rule_id"] for r in listed)
        not_scored = {
            "en": f"not scored: only rules of weight 0 applied to this document ({unweighted})",
            "zh": f"未评分：适用于本文件的规则权重均为0（{unweighted}）",
        }
    else:
        not_scored = dict(NOTHING_APPLIED)
    failures, undetermined, reasons = [], [], []
    for rule_id in scoring.blocking_rules:
        counts = rules.get(rule_id, {})
        if counts.get("fail"):
            failures.append(rule_id)
            reasons.append(
                {
                    "rule_id": rule_id,
                    "status": "fail",
                    "en": f"{rule_id} failed ({counts['fail']} finding(s))",
                    "zh": f"{rule_id} 未通过（{counts['fail']} 项）",
                }
            )
        elif counts.get("indeterminate"):
            undetermined.append(rule_id)
            reasons.append(
                {
                    "rule_id": rule_id,
                    "status": "indeterminate",
                    "en": f"{rule_id} could not be determined ({counts['indeterminate']} finding(s)): "
                    "blocking until shown otherwise",
                    "zh": f"{rule_id} 无法判定（{counts['indeterminate']} 项）：在证明合规之前视为阻断",
                }
            )
    blocking = bool(failures or undetermined)
    by_number = score_band(score, scoring.bands)
    return {
        "score": score,
        "blocking": blocking,
        "breakdown": {
            "score": None if score is None else number(score),
            "not_scored": not_scored,
            "band": "poor" if blocking else by_number,
            "score_band": by_number,
            "rules": listed,
            "by_strength": by_strength,
            "earned": number(quantize(earned, rounding)),
            "possible": number(quantize(possible, rounding)),
            "blocking_failures": failures,
            "blocking_undetermined": undetermined,
            "blocking_reasons": reasons,
            "counts": COUNTS_NOTE["en"],
            "counts_note": COUNTS_NOTE,
        },
    }


def _indicators(conn: Connection, run_id: int, ind: Indicators, rounding: Rounding) -> dict[int, dict[str, Any]]:
    """Item 18's four indicators from each submission's portfolio sums (stored at ingest)."""
    rs, s = t.run_submissions.c, t.submissions.c
    sums = (
        select(
            s.id.label("submission_id"),
            s.inclusive_lines,
            s.inclusive_groups,
            s.inclusive_insured_persons.label("insured"),
            s.inclusive_premium_cny.label("incl_premium"),
            s.inclusive_claims_paid_cny.label("claims_paid"),
            s.premium_cny.label("premium"),
            s.inclusive_settlement_days_x_claims.label("days_x_claims"),
            s.inclusive_claims_settled.label("claims_settled"),
            s.complaints,
            s.online_claims,
        )
        .join(t.run_submissions, rs.submission_id == s.id)
        .where(rs.run_id == run_id, rs.findings_run_id == run_id, s.kind == "submission")
    )

    def rnd(value: Fraction | Decimal | int) -> Decimal:
        return quantize(value, rounding)

    out: dict[int, dict[str, Any]] = {}
    v = ind.variety
    for row in conn.execute(sums):
        sid = row.submission_id
        lines, n_groups = _count(row.inclusive_lines), _count(row.inclusive_groups)
        variety = rnd(
            min(Fraction(1), Fraction(lines, v.lines_for_full)) * Fraction(v.lines_points)
            + min(Fraction(1), Fraction(n_groups, v.groups_for_full)) * Fraction(v.groups_points)
        )
        insured = _dec(row.insured)
        coverage = banded_at_least(insured, ind.coverage.bands)
        premium_incl, claims = _dec(row.incl_premium), _dec(row.claims_paid)
        loss_ratio = (
            quantize(
                Fraction(claims) / Fraction(premium_incl),
                Rounding(places=ind.protection.loss_ratio_places, mode=rounding.mode),
            )
            if premium_incl
            else None
        )
        protection = banded_at_least(loss_ratio, ind.protection.bands)
        premium = _dec(row.premium)
        complaints = row.complaints or 0
        per_100m = rnd(Fraction(complaints) * PER_100M_CNY / Fraction(premium)) if premium else None
        settled = _dec(row.claims_settled)
        days = rnd(Fraction(_dec(row.days_x_claims)) / Fraction(settled)) if settled else None
        online = ind.service.online_claims_points if row.online_claims else Decimal(0)
        service_parts = [
            banded_at_most(per_100m, ind.service.complaints_per_100m_cny_at_most),
            banded_at_most(days, ind.service.settlement_days_at_most),
            online,
        ]
        service = rnd(sum((Fraction(p) for p in service_parts), Fraction(0)) / len(service_parts))
        out[sid] = {
            "variety": {
                "score": str(variety),
                "inclusive_lines": lines,
                "target_groups": n_groups,
                "lines_for_full": v.lines_for_full,
                "groups_for_full": v.groups_for_full,
                "lines_points": number(v.lines_points),
                "groups_points": number(v.groups_points),
            },
            "coverage": {"score": str(coverage), "insured_persons": str(insured)},
            "protection": {
                "score": str(protection),
                "claims_paid_cny": str(claims),
                "premium_cny": str(premium_incl),
                "loss_ratio": None if loss_ratio is None else str(loss_ratio),
            },
            "service": {
                "score": str(service),
                "complaints": complaints,
                "complaints_per_100m_cny": None if per_100m is None else str(per_100m),
                "avg_settlement_days": None if days is None else str(days),
                "online_claims": bool(row.online_claims),
                "parts": [str(x) for x in service_parts],
            },
        }
    return out


def score_run(
    conn: Connection, run_id: int, ruleset: Ruleset, borrowed: tuple[int, Sequence[str]] | None = None
) -> None:
    """Score every document of the run (``borrowed``: rules whose findings another run holds, see _rule_counts)."""
    scoring = ruleset.data.scoring
    counts, strengths = _rule_counts(conn, run_id, borrowed)
    indicators = _indicators(conn, run_id, scoring.indicators, scoring.rounding)
    how = method(ruleset)
    rs = t.run_submissions.c
    rows = []
    judged = select(rs.submission_id, rs.binding_date).where(rs.run_id == run_id, rs.findings_run_id == run_id)
    for sid, binding_date in conn.execute(judged):
        c = compliance(counts.get(sid, {}), scoring, binding_date, strengths.get(sid, {}))
        ind = indicators.get(sid) if binding_date >= scoring.start else None
        breakdown = {"compliance": c["breakdown"], "indicators": ind, "method": how}
        rows.append(
            {
                "run_id": run_id,
                "submission_id": sid,
                "compliance": c["score"],
                "blocking": c["blocking"],
                "variety": Decimal(ind["variety"]["score"]) if ind else None,
                "coverage": Decimal(ind["coverage"]["score"]) if ind else None,
                "protection": Decimal(ind["protection"]["score"]) if ind else None,
                "service": Decimal(ind["service"]["score"]) if ind else None,
                "breakdown": json.dumps(breakdown, ensure_ascii=False),
            }
        )
    if rows:
        conn.execute(insert(t.scores), rows)
