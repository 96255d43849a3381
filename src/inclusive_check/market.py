"""Market monitoring (item 18: inclusive insurance by region, field and institution, over the stored periods).

Everything is aggregated in SQL (SQLAlchemy Core, SQLite and PostgreSQL alike) over the latest revision of each
stored submission, with the score of the latest run that scored it: per period, and per province (regions as
filed, prefectures added into their province), per line (the inclusive products'), per institution group (item 9,
from the ruleset), per ownership (state-owned or not) and per insurer. Each insurer's percentile among the
insurers of its period on item 18's four indicators comes from window functions. Python only divides the sums
the database returns, exactly (fractions), and rounds once as the ruleset's scoring says.

The market rows (one per period, the whole market) are the market's trend; ``--by insurer --insurer CODE`` is
one insurer's.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Select, and_, case, cast, func, literal, null, or_, select
from sqlalchemy.sql.expression import Subquery

from .contract.outputs import MARKET_SCHEMA, Market
from .contract.regions import name as region_name
from .periods import period_bounds
from .rules.base import number
from .ruleset import Rounding, Ruleset
from .scoring import quantize
from .store import tables as t
from .wording import TERMS_ZH

BY = ("region", "line", "category", "ownership", "insurer")
DIMENSIONS = ("variety", "coverage", "protection", "service")
LINE_ZH = {**TERMS_ZH, "agriculture": "农业保险", "long_term_care": "长期护理保险"}  # lines, not risk areas
OWNERSHIP = {
    "state_owned": {"en": "State-owned insurers", "zh": "国有保险公司"},
    "other": {"en": "Other insurers", "zh": "其他保险公司"},
}
MARKET = {"en": "Whole market", "zh": "全市场"}


class MarketError(Exception):
    """Nothing to show, or a ruleset without a market section: a usage error."""


def _latest_scores() -> Subquery:
    """Each submission's score from the latest run that scored it."""
    sc = t.scores.c
    last = select(sc.submission_id, func.max(sc.run_id).label("run_id")).group_by(sc.submission_id).subquery()
    return (
        select(
            sc.submission_id,
            sc.run_id,
            sc.compliance,
            sc.blocking,
            *(sc[d] for d in DIMENSIONS),
        )
        .join(last, and_(last.c.submission_id == sc.submission_id, last.c.run_id == sc.run_id))
        .subquery("latest_scores")
    )


def _base(period: str | None) -> Subquery:
    """The latest revision of each stored submission (of ``period``), with its insurer and latest score."""
    s, i = t.submissions.c, t.insurers.c
    scores = _latest_scores()
    sc = scores.c
    query = (
        select(
            s.id.label("sid"),
            s.period,
            s.insurer_id,
            i.code,
            i.name,
            s.insurer_category.label("category"),
            s.state_owned,
            s.inclusive_insured_persons.label("insured"),
            s.inclusive_premium_cny.label("premium"),
            s.inclusive_claims_paid_cny.label("claims"),
            sc.run_id,
            sc.compliance,
            sc.blocking,
            *(sc[d] for d in DIMENSIONS),
        )
        .join(t.insurers, i.id == s.insurer_id)
        .outerjoin(scores, sc.submission_id == s.id)
        .where(s.kind == "submission", s.is_latest.is_(True))
    )
    if period is not None:
        query = query.where(s.period == period)
    return query.subquery("base")


def _group_key(by: str, base: Any, ruleset: Ruleset) -> ColumnElement[Any]:
    """The grouping of a submission-level breakdown, as an SQL expression over ``base``."""
    if by == "category":
        groups = _market(ruleset).institution_groups.groups
        return case(*((base.category.in_(g.categories), literal(g.id)) for g in groups), else_=base.category)
    if by == "ownership":
        return case((base.state_owned.is_(True), literal("state_owned")), else_=literal("other"))
    if by == "insurer":
        code: ColumnElement[Any] = base.code
        return code
    return literal("market")


def _volumes(by: str, base: Any, ruleset: Ruleset) -> Subquery:
    """(sid, key, products, policies, insured, premium, claims): each submission's business per key."""
    if by == "line":
        p = t.products.c
        inclusive = or_(p.dedicated_inclusive.is_(True), p.target_groups != "")
        return (
            select(
                p.submission_id.label("sid"),
                p.line.label("key"),
                func.count().label("products"),
                func.sum(p.policies_in_force).label("policies"),
                func.sum(p.insured_persons).label("insured"),
                func.sum(p.premium_cny).label("premium"),
                func.sum(p.claims_paid_cny).label("claims"),
            )
            .where(inclusive, p.submission_id.in_(select(base.sid)))
            .group_by(p.submission_id, p.line)
            .subquery("volumes")
        )
    if by == "region":
        r = t.submission_regions.c
        return (
            select(
                r.submission_id.label("sid"),
                r.province.label("key"),
                cast(null(), BigInteger).label("products"),
                func.sum(r.policies).label("policies"),
                func.sum(r.insured_persons).label("insured"),
                func.sum(r.premium_cny).label("premium"),
                func.sum(r.claims_paid_cny).label("claims"),
            )
            .where(r.submission_id.in_(select(base.sid)))
            .group_by(r.submission_id, r.province)
            .subquery("volumes")
        )
    return select(
        base.sid,
        _group_key(by, base, ruleset).label("key"),
        cast(null(), BigInteger).label("products"),
        cast(null(), BigInteger).label("policies"),
        base.insured,
        base.premium,
        base.claims,
    ).subquery("volumes")


def _aggregate(by: str, based: Subquery, ruleset: Ruleset, insurer: str | None) -> Select[Any]:
    base = based.c
    volumes = _volumes(by, base, ruleset)
    v = volumes.c
    query = (
        select(
            base.period,
            v.key,
            func.count(func.distinct(base.insurer_id)).label("insurers"),
            func.count().label("submissions"),
            func.sum(v.products).label("products"),
            func.sum(v.policies).label("policies"),
            func.sum(v.insured).label("insured"),
            func.sum(v.premium).label("premium"),
            func.sum(v.claims).label("claims"),
            func.count(base.compliance).label("scored"),
            func.sum(base.compliance).label("compliance"),
            func.sum(case((base.blocking.is_(True), 1), else_=0)).label("blocking"),
            func.count(base.variety).label("indicated"),
            *(func.sum(base[d]).label(d) for d in DIMENSIONS),
        )
        .select_from(volumes)
        .join(based, base.sid == v.sid)
        .group_by(base.period, v.key)
    )
    if insurer is not None:
        query = query.where(base.code == insurer)
    return query


def _peers(base: Any) -> Select[Any]:
    """Each submission with its four indicators and, per indicator, how many of its period's scored peers score
    at or below it (the window's default frame runs to the current row's last tie) and how many are scored."""
    windows = []
    for d in DIMENSIONS:
        windows.append(func.count(base[d]).over(partition_by=base.period, order_by=base[d]).label(f"{d}_le"))
        windows.append(func.count(base[d]).over(partition_by=base.period).label(f"{d}_n"))
    return select(
        base.period,
        base.code,
        base.name,
        base.category,
        base.state_owned,
        base.run_id,
        base.compliance,
        base.blocking,
        *(base[d] for d in DIMENSIONS),
        *windows,
    )


def _market(ruleset: Ruleset) -> Any:
    if ruleset.data.market is None:
        raise MarketError(f"the ruleset {ruleset.id} {ruleset.version} has no market section (weights, bands, groups)")
    return ruleset.data.market


def _dec(value: Any) -> Decimal | None:
    """A sum as the database returns it (a double on SQLite), as the decimal it stands for."""
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _text(value: Any) -> str | None:
    d = _dec(value)
    return None if d is None else number(d)


def _mean(total: Any, count: int, ruleset: Ruleset) -> str | None:
    d = _dec(total)
    if d is None or not count:
        return None
    return str(quantize(Fraction(d) / count, ruleset.data.scoring.rounding))


def _index(sums: dict[str, Any], count: int, ruleset: Ruleset) -> str | None:
    """The market index (weighted mean of the four indicators) of ``count`` submissions with these sums."""
    weights = _market(ruleset).index_weights
    if not count or any(sums[d] is None for d in DIMENSIONS):
        return None
    total = sum((Fraction(getattr(weights, d)) * Fraction(_dec(sums[d]) or 0) for d in DIMENSIONS), Fraction(0))
    return str(quantize(total / (count * sum(Fraction(getattr(weights, d)) for d in DIMENSIONS)), _rounding(ruleset)))


def _rounding(ruleset: Ruleset) -> Rounding:
    return ruleset.data.scoring.rounding


def _label(by: str, key: str, ruleset: Ruleset, names: dict[str, str]) -> dict[str, str]:
    if by == "region":
        zh = region_name(key)
        return {"en": zh, "zh": zh}  # the shipped list names divisions in Chinese only
    if by == "line":
        return {"en": key.replace("_", " "), "zh": LINE_ZH.get(key, key)}
    if by == "category":
        group = next((g for g in _market(ruleset).institution_groups.groups if g.id == key), None)
        return {"en": group.en, "zh": group.zh} if group else {"en": key, "zh": key}
    if by == "ownership":
        return dict(OWNERSHIP[key])
    if by == "insurer":
        return {"en": names.get(key) or key, "zh": names.get(key) or key}
    return dict(MARKET)


def _period_order(period: str) -> tuple[Any, ...]:
    start, end = period_bounds(period)
    return (start, end, period)


def _row(by: str, row: Any, ruleset: Ruleset, names: dict[str, str]) -> dict[str, Any]:
    premium, claims = _dec(row.premium), _dec(row.claims)
    loss_ratio = (
        str(quantize(Fraction(claims) / Fraction(premium), _ratio_rounding(ruleset)))
        if premium and claims is not None
        else None
    )
    sums = {d: getattr(row, d) for d in DIMENSIONS}
    return {
        "period": row.period,
        "key": row.key,
        "name": _label(by, row.key, ruleset, names),
        "insurers": int(row.insurers),
        "submissions": int(row.submissions),
        "inclusive_products": None if row.products is None else int(row.products),
        "policies": None if row.policies is None else int(row.policies),
        "insured_persons": None if row.insured is None else int(row.insured),
        "premium_cny": _text(premium),
        "claims_paid_cny": _text(claims),
        "loss_ratio": loss_ratio,
        "scored": int(row.scored),
        "blocking": int(row.blocking or 0),
        "compliance": _mean(row.compliance, int(row.scored), ruleset),
        **{d: _mean(sums[d], int(row.indicated), ruleset) for d in DIMENSIONS},
        "index": _index(sums, int(row.indicated), ruleset),
    }


def _ratio_rounding(ruleset: Ruleset) -> Rounding:
    return Rounding(places=ruleset.data.scoring.indicators.protection.loss_ratio_places, mode=_rounding(ruleset).mode)


def _position(percentile: Decimal | None, ruleset: Ruleset) -> str | None:
    bands = _market(ruleset).peer_bands
    if percentile is None:
        return None
    if percentile >= bands.leading_at_least:
        return "leading"
    return "lagging" if percentile <= bands.lagging_at_most else "middle"


def _peer(row: Any, ruleset: Ruleset) -> dict[str, Any]:
    market = _market(ruleset)
    group = market.institution_groups.of(row.category)
    percentiles: dict[str, str | None] = {}
    positions: dict[str, str | None] = {}
    for d in DIMENSIONS:
        le, n = getattr(row, f"{d}_le"), getattr(row, f"{d}_n")
        value = quantize(Fraction(100 * le, n), _rounding(ruleset)) if getattr(row, d) is not None and n else None
        percentiles[d] = None if value is None else str(value)
        positions[d] = _position(value, ruleset)
    one = {d: getattr(row, d) for d in DIMENSIONS}
    indicated = int(all(v is not None for v in one.values()))
    return {
        "period": row.period,
        "insurer": row.code,
        "name": row.name,
        "category": row.category,
        "group": None if group is None else group.id,
        "state_owned": bool(row.state_owned),
        "run_id": row.run_id,
        "compliance": _mean(row.compliance, 1, ruleset),
        "blocking": None if row.blocking is None else bool(row.blocking),
        **{d: _mean(getattr(row, d), 1, ruleset) for d in DIMENSIONS},
        "index": _index(one, indicated, ruleset),
        "percentiles": percentiles,
        "positions": positions,
    }


def _sorted(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """By period, then the breakdown's natural order: names' codes ascending (regions, lines, insurers)."""
    return sorted(rows, key=lambda r: (_period_order(r["period"]), r["key"]))


def market(
    conn: Connection, ruleset: Ruleset, by: str = "region", period: str | None = None, insurer: str | None = None
) -> Market:
    """The market picture (see the module's docstring) as the published ``inclusive-check/market/1`` shape."""
    if by not in BY:
        raise MarketError(f"--by must be one of {', '.join(BY)}")
    _market(ruleset)
    based = _base(period)
    base = based.c
    names = {code: name for code, name in conn.execute(select(t.insurers.c.code, t.insurers.c.name))}
    if insurer is not None and insurer not in names:
        raise MarketError(f"no insurer {insurer!r} is stored")
    periods = sorted({row.period for row in conn.execute(select(base.period).distinct())}, key=_period_order)
    if not periods:
        raise MarketError(
            f"no submission is stored{f' for period {period}' if period else ''}; `inclusive-check ingest` stores some"
        )
    rows = [_row(by, row, ruleset, names) for row in conn.execute(_aggregate(by, based, ruleset, insurer))]
    whole = [_row("market", row, ruleset, names) for row in conn.execute(_aggregate("market", based, ruleset, None))]
    peers = [_peer(row, ruleset) for row in conn.execute(_peers(base)) if insurer is None or row.code == insurer]
    payload = {
        "schema": MARKET_SCHEMA,
        "by": by,
        "period": period,
        "insurer": insurer,
        "method": _method(ruleset),
        "periods": periods,
        "rows": _sorted(rows, by),
        "market": _sorted(whole, "market"),
        "peers": sorted(peers, key=lambda p: (_period_order(p["period"]), p["insurer"])),
    }
    return Market.model_validate(payload)


def _method(ruleset: Ruleset) -> dict[str, Any]:
    m = _market(ruleset)
    w = m.index_weights
    return {
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
        "from": m.start.isoformat(),
        "citation": m.citation,
        "interpretation": m.interpretation,
        "index_weights": {d: number(getattr(w, d)) for d in DIMENSIONS},
        "index_citation": w.citation,
        "leading_at_least": number(m.peer_bands.leading_at_least),
        "lagging_at_most": number(m.peer_bands.lagging_at_most),
        "peer_citation": m.peer_bands.citation,
        "groups": [
            {"id": g.id, "categories": list(g.categories), "name": {"en": g.en, "zh": g.zh}}
            for g in m.institution_groups.groups
        ],
        "groups_citation": m.institution_groups.citation,
    }
