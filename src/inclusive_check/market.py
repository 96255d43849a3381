"""Market monitoring (item 18: inclusive insurance by region, field and institution, over the stored periods).

Everything is aggregated in SQL (SQLAlchemy Core, SQLite and PostgreSQL alike) over the latest revision of each
stored submission, with the score of the latest run that scored it: per period, and per province (regions as
filed, prefectures added into their province; the separately listed cities also as rows of their own), per
prefecture, per line (the inclusive products'), per institution group (item 9, from the ruleset), per ownership
(state-owned or not) and per insurer. A region's or a line's figures are what insurers filed for it; its scores
(the contract has none per region or line) weigh each submission by its volume there (the ruleset's
``market.row_weight``). Each insurer's percentile among the insurers of its period on item 18's four indicators
comes from window functions. Python only divides the sums the database returns, exactly (fractions), and rounds
once as the ruleset's scoring says.

``period`` selects as ``run --period`` does: a year holds its annual and its quarterly submissions. Annual and
quarterly periods are two series, never interleaved. The market rows (one per period, the whole market) are the
market's trend; ``--by insurer --insurer CODE`` is one insurer's. Year-on-year panels and the region x line
cross-tab are market_series.py's, depth, density and targets market_reference.py's, the public view
market_public.py's.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Select, and_, case, cast, func, literal, null, or_, select
from sqlalchemy.sql.expression import Subquery

from .contract.market_outputs import MARKET_SCHEMA, Market
from .contract.regions import is_province, province_of
from .contract.regions import name as region_name
from .figures import number
from .market_params import DEFAULT_ROW_WEIGHT, RowWeight
from .periods import period_bounds, period_order, series_of
from .ruleset import Ruleset
from .ruleset_models import Rounding
from .scoring import quantize
from .store import tables as t
from .store.columns import exact_sum
from .wording import TERMS_ZH

BY = ("region", "prefecture", "line", "category", "ownership", "insurer")
# The separately listed cities (计划单列市), each with its own NFRA bureau: Dalian, Ningbo, Xiamen, Qingdao, Shenzhen.
CITIES = ("210200", "330200", "350200", "370200", "440300")
WEIGHTED = frozenset({"region", "prefecture", "line"})
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


def _policies() -> Subquery:
    """Each submission's policies: its inclusive products' policies in force (the contract has no total)."""
    p = t.products.c
    return (
        select(p.submission_id.label("sid"), func.sum(p.policies_in_force).label("policies"))
        .where(_inclusive(p))
        .group_by(p.submission_id)
        .subquery("policies")
    )


def _inclusive(p: Any) -> ColumnElement[bool]:
    return or_(p.dedicated_inclusive.is_(True), p.target_groups != "")


def base(period: str | None) -> Subquery:
    """The latest revision of each stored submission (within ``period``, as ``run --period`` selects), with its
    insurer, its policies and its latest score."""
    s, i = t.submissions.c, t.insurers.c
    scores = _latest_scores()
    sc = scores.c
    policies = _policies()
    query = (
        select(
            s.id.label("sid"),
            s.period,
            s.insurer_id,
            i.code,
            i.name,
            s.insurer_category.label("category"),
            s.state_owned,
            policies.c.policies,
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
        .outerjoin(policies, policies.c.sid == s.id)
        .where(s.kind == "submission", s.is_latest.is_(True))
    )
    if period is not None:
        start, end = period_bounds(period)
        query = query.where(s.period_start >= start, s.period_end <= end)
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
        return (
            select(
                p.submission_id.label("sid"),
                p.line.label("key"),
                func.count().label("products"),
                func.sum(p.policies_in_force).label("policies"),
                func.sum(p.insured_persons).label("insured"),
                exact_sum(p.premium_cny).label("premium"),
                exact_sum(p.claims_paid_cny).label("claims"),
            )
            .where(_inclusive(p), p.submission_id.in_(select(base.sid)))
            .group_by(p.submission_id, p.line)
            .subquery("volumes")
        )
    if by in ("region", "prefecture"):
        r = t.submission_regions.c

        def of(key: Any, *where: Any) -> Select[Any]:
            return (
                select(
                    r.submission_id.label("sid"),
                    key.label("key"),
                    cast(null(), BigInteger).label("products"),
                    func.sum(r.policies).label("policies"),
                    func.sum(r.insured_persons).label("insured"),
                    exact_sum(r.premium_cny).label("premium"),
                    exact_sum(r.claims_paid_cny).label("claims"),
                )
                .where(r.submission_id.in_(select(base.sid)), *where)
                .group_by(r.submission_id, key)
            )

        if by == "prefecture":  # every prefecture reported (a province's own figure has no prefecture)
            return of(r.region, r.region != r.province).subquery("volumes")
        # provinces (their prefectures added in), and the separately listed cities as rows of their own too
        return of(r.province).union_all(of(r.region, r.region.in_(CITIES))).subquery("volumes")
    return select(
        base.sid,
        _group_key(by, base, ruleset).label("key"),
        cast(null(), BigInteger).label("products"),
        base.policies,
        base.insured,
        base.premium,
        base.claims,
    ).subquery("volumes")


def row_weight(ruleset: Ruleset) -> RowWeight:
    return _market(ruleset).row_weight or DEFAULT_ROW_WEIGHT


def _aggregate(by: str, based: Subquery, ruleset: Ruleset, insurer: str | None) -> Select[Any]:
    """Sums per period and key; a score's sum is weighted (by the row's volume for regions and lines, else 1)
    and comes with the sum of the weights of the submissions that have it."""
    base = based.c
    volumes = _volumes(by, base, ruleset)
    v = volumes.c
    measure = {"premium_cny": "premium", "insured_persons": "insured", "policies": "policies"}
    w: ColumnElement[Any] = func.coalesce(v[measure[row_weight(ruleset).measure]], 0) if by in WEIGHTED else literal(1)
    query = (
        select(
            base.period,
            v.key,
            func.count(func.distinct(base.insurer_id)).label("insurers"),
            func.count().label("submissions"),
            func.sum(v.products).label("products"),
            func.sum(v.policies).label("policies"),
            func.sum(v.insured).label("insured"),
            exact_sum(v.premium).label("premium"),
            exact_sum(v.claims).label("claims"),
            func.count(base.compliance).label("scored"),
            func.sum(base.compliance * w).label("compliance"),
            func.sum(case((base.compliance.is_not(None), w), else_=0)).label("scored_weight"),
            func.sum(case((base.blocking.is_(True), 1), else_=0)).label("blocking"),
            func.sum(case((base.variety.is_not(None), w), else_=0)).label("indicated_weight"),
            *(func.sum(base[d] * w).label(d) for d in DIMENSIONS),
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
    """A sum as the database returns it (a figure's decimal text on SQLite), as the decimal it stands for."""
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _text(value: Any) -> str | None:
    d = _dec(value)
    return None if d is None else number(d)


def _mean(total: Any, count: Any, ruleset: Ruleset) -> str | None:
    """``total`` / ``count`` (a count, or a sum of weights), rounded as the ruleset's scores."""
    d, n = _dec(total), _dec(count)
    if d is None or not n:
        return None
    return str(quantize(Fraction(d) / Fraction(n), ruleset.data.scoring.rounding))


def _index(sums: dict[str, Any], count: Any, ruleset: Ruleset) -> str | None:
    """The market index (weighted mean of the four indicators) of submissions with these (weighted) sums and
    ``count`` (their number, or the sum of their weights)."""
    weights = _market(ruleset).index_weights
    n = _dec(count)
    if not n or any(sums[d] is None for d in DIMENSIONS):
        return None
    total = sum((Fraction(getattr(weights, d)) * Fraction(_dec(sums[d]) or 0) for d in DIMENSIONS), Fraction(0))
    whole = Fraction(n) * sum(Fraction(getattr(weights, d)) for d in DIMENSIONS)
    return str(quantize(total / whole, _rounding(ruleset)))


def _rounding(ruleset: Ruleset) -> Rounding:
    return ruleset.data.scoring.rounding


def _label(by: str, key: str, ruleset: Ruleset, names: dict[str, str]) -> dict[str, str]:
    if by in ("region", "prefecture"):
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


def _row(by: str, row: Any, ruleset: Ruleset, names: dict[str, str]) -> dict[str, Any]:
    premium, claims = _dec(row.premium), _dec(row.claims)
    loss_ratio = (
        str(quantize(Fraction(claims) / Fraction(premium), _ratio_rounding(ruleset)))
        if premium and claims is not None
        else None
    )
    sums = {d: getattr(row, d) for d in DIMENSIONS}
    regional = by in ("region", "prefecture") and not is_province(row.key)
    return {
        "period": row.period,
        "series": series_of(row.period),
        "key": row.key,
        "name": _label(by, row.key, ruleset, names),
        "parent": province_of(row.key) if regional else None,
        "separately_listed": by in ("region", "prefecture") and row.key in CITIES,
        "insurers": int(row.insurers),
        "submissions": int(row.submissions),
        "inclusive_products": None if row.products is None else int(row.products),
        "policies": None if row.policies is None else int(row.policies),
        "insured_persons": None if row.insured is None else int(row.insured),
        "premium_cny": _text(premium),
        "claims_paid_cny": _text(claims),
        "loss_ratio": loss_ratio,
        "scores_basis": "weighted" if by in WEIGHTED else "mean",
        "weight": row_weight(ruleset).measure if by in WEIGHTED else None,
        "scored": int(row.scored),
        "blocking": int(row.blocking or 0),
        "compliance": _mean(row.compliance, row.scored_weight, ruleset),
        **{d: _mean(sums[d], row.indicated_weight, ruleset) for d in DIMENSIONS},
        "index": _index(sums, row.indicated_weight, ruleset),
        **{k: None for k in ("depth", "density", "market_depth", "market_density")},
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
    return sorted(rows, key=lambda r: (period_order(r["period"]), r["key"]))


def market(
    conn: Connection,
    ruleset: Ruleset,
    by: str = "region",
    period: str | None = None,
    insurer: str | None = None,
    with_targets: bool = False,
) -> Market:
    """The market picture (see the module's docstring) as the published ``inclusive-check/market/2`` shape."""
    from . import market_reference as reference
    from .market_series import crosstab, submissions, year_on_year

    if by not in BY:
        raise MarketError(f"--by must be one of {', '.join(BY)}")
    _market(ruleset)
    based = base(period)
    cols = based.c
    names = {code: name for code, name in conn.execute(select(t.insurers.c.code, t.insurers.c.name))}
    if insurer is not None and insurer not in names:
        raise MarketError(f"no insurer {insurer!r} is stored")
    periods = sorted({row.period for row in conn.execute(select(cols.period).distinct())}, key=period_order)
    if not periods:
        raise MarketError(
            f"no submission is stored{f' for period {period}' if period else ''}; `inclusive-check ingest` stores some"
        )
    rows = aggregate(conn, ruleset, by, based, insurer, names)
    whole = aggregate(conn, ruleset, "market", based, None, names)
    peers = [_peer(row, ruleset) for row in conn.execute(_peers(cols)) if insurer is None or row.code == insurer]
    ref, used = reference.reference(conn), set[tuple[str, int, str]]()
    reference.enrich(rows, ref, used)
    gaps = None
    if with_targets:
        everywhere = base(None)
        regional = [*aggregate(conn, ruleset, "region", everywhere, None, names)]
        regional += aggregate(conn, ruleset, "prefecture", everywhere, None, names)
        gaps = reference.targets(conn, ref, regional, used)

    def label(region: str, line: str) -> dict[str, str]:
        return {
            "en": f"{region_name(region)} × {line.replace('_', ' ')}",
            "zh": f"{region_name(region)} × {LINE_ZH.get(line, line)}",
        }

    payload = {
        "schema": MARKET_SCHEMA,
        "by": by,
        "period": period,
        "insurer": insurer,
        "method": _method(ruleset),
        "periods": periods,
        "rows": rows,
        "market": whole,
        "crosstab": crosstab(conn, based, label),
        "year_on_year": [  # a period shown against the year before it, stored whether or not it is shown
            y for y in year_on_year(submissions(conn, base(None)), _ratio_rounding(ruleset)) if y["period"] in periods
        ],
        "reference": reference.used_values(ref, used),
        "targets": gaps,
        "peers": sorted(peers, key=lambda p: (period_order(p["period"]), p["insurer"])),
    }
    return Market.model_validate(payload)


def aggregate(
    conn: Connection, ruleset: Ruleset, by: str, based: Subquery, insurer: str | None, names: dict[str, str]
) -> list[dict[str, Any]]:
    """The rows of one breakdown (``market``: the whole market per period), sorted."""
    return _sorted([_row(by, row, ruleset, names) for row in conn.execute(_aggregate(by, based, ruleset, insurer))], by)


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
        "row_weight": row_weight(ruleset).measure,
        "row_weight_citation": row_weight(ruleset).citation,
        "row_weight_interpretation": row_weight(ruleset).interpretation,
    }
