"""Market series beyond the per-period rows (market.py assembles them): year-on-year comparisons over a fixed
panel, and the region x line cross-tab.

Year on year compares a period with the same period a year before (2025 with 2024, 2025-Q4 with 2024-Q4) over
the insurers that filed for both, named: a change in who files is not read as growth. The contract carries
figures per region and per line but none per region and line, so a cross-tab cell shares each submission's
regional figures out over its inclusive lines in proportion to each line's part of the same figure; cells say
so (``basis: allocated``). Both read the per-submission figures the database returns and compute exactly in
fractions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.sql.expression import Subquery

from .figures import number
from .periods import period_order, series_of, year_before
from .ruleset_models import Rounding
from .scoring import quantize
from .store import tables as t
from .store.columns import ExactDecimal, exact_sum

FIGURES = ("policies", "insured", "premium", "claims")
CENTS = Rounding(places=2, mode="half_up")


def dec(value: Any) -> Decimal | None:
    """A value as the database returns it (a sum of counts, or a figure's decimal text on SQLite), as a decimal."""
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _sum(column: Any) -> Any:
    """SUM of a count, or of a money column exactly (``exact_sum``: a plain SUM on SQLite would be a double)."""
    return exact_sum(column) if isinstance(column.type, ExactDecimal) else func.sum(column)


def submissions(conn: Connection, based: Subquery) -> list[Any]:
    """(sid, period, code, policies, insured, premium, claims) of each submission of the market's base."""
    b = based.c
    return list(conn.execute(select(b.sid, b.period, b.code, b.policies, b.insured, b.premium, b.claims)))


def _panel_figures(rows: Iterable[Any]) -> dict[str, Any]:
    rows = list(rows)
    total: dict[str, Decimal | None] = {}
    for f in FIGURES:
        values = [dec(getattr(r, f)) for r in rows]
        known = [v for v in values if v is not None]
        total[f] = sum(known, Decimal(0)) if known else None
    return {
        "policies": None if total["policies"] is None else int(total["policies"]),
        "insured_persons": None if total["insured"] is None else int(total["insured"]),
        "premium_cny": None if total["premium"] is None else number(total["premium"]),
        "claims_paid_cny": None if total["claims"] is None else number(total["claims"]),
    }


def year_on_year(subs: list[Any], ratio: Rounding, public: bool = False) -> list[dict[str, Any]]:
    """Each period with a period a year before it, over the panel of insurers that filed for both."""
    by_period: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in subs:
        by_period[row.period][row.code] = row
    out = []
    for period in sorted(by_period, key=period_order):
        before = year_before(period)
        if before not in by_period:
            continue
        panel = sorted(set(by_period[period]) & set(by_period[before]))
        now = _panel_figures(by_period[period][c] for c in panel)
        then = _panel_figures(by_period[before][c] for c in panel)
        change: dict[str, str | None] = {}
        for key in ("policies", "insured_persons", "premium_cny", "claims_paid_cny"):
            a, b = now[key], then[key]
            change[key] = (
                str(quantize(Fraction(Decimal(str(a))) / Fraction(Decimal(str(b))) - 1, ratio))
                if a is not None and b not in (None, 0, "0")
                else None
            )
        out.append(
            {
                "period": period,
                "previous": before,
                "series": series_of(period),
                "panel": [] if public else panel,
                "panel_size": len(panel),
                "current": now,
                "before": then,
                "change": change,
            }
        )
    return out


def crosstab(conn: Connection, based: Subquery, label: Callable[[str, str], dict[str, str]]) -> list[dict[str, Any]]:
    """Region (province) x line cells, each submission's regional figures allocated over its lines."""
    b, r, p = based.c, t.submission_regions.c, t.products.c
    ids = select(b.sid)
    regions = conn.execute(
        select(r.submission_id, r.province, *(_sum(r[c]) for c in _REGION))
        .where(r.submission_id.in_(ids))
        .group_by(r.submission_id, r.province)
    )
    lines = conn.execute(
        select(p.submission_id, p.line, *(_sum(p[c]) for c in _PRODUCT))
        .where(or_(p.dedicated_inclusive.is_(True), p.target_groups != ""), p.submission_id.in_(ids))
        .group_by(p.submission_id, p.line)
    )
    meta = {row.sid: (row.period, row.code) for row in conn.execute(select(b.sid, b.period, b.code))}
    by_sid: dict[int, dict[str, list[Fraction | None]]] = defaultdict(dict)
    for sid, line, *figures in lines:
        by_sid[sid][line] = [None if dec(v) is None else Fraction(dec(v) or 0) for v in figures]
    cells: dict[tuple[str, str, str], list[Fraction]] = {}
    insurers: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for sid, province, *figures in regions:
        mine = by_sid.get(sid)
        if not mine:
            continue
        period, code = meta[sid]
        for i, value in enumerate(figures):
            parts = [v[i] for v in mine.values()]
            whole = sum((v for v in parts if v is not None), Fraction(0))
            for line, share in mine.items():
                key = (period, province, line)
                cell = cells.setdefault(key, [Fraction(0)] * len(FIGURES))
                if whole and share[i] is not None:
                    cell[i] += Fraction(dec(value) or 0) * share[i] / whole  # type: ignore[operator]
                insurers[key].add(code)
    return [
        {
            "period": period,
            "series": series_of(period),
            "region": province,
            "line": line,
            "name": label(province, line),
            "insurers": len(insurers[(period, province, line)]),
            **{name: number(quantize(value, CENTS)) for name, value in zip(_REGION, figures, strict=True)},
            "basis": "allocated",
        }
        for (period, province, line), figures in sorted(
            cells.items(), key=lambda kv: (period_order(kv[0][0]), kv[0][1:])
        )
    ]


_REGION = ("policies", "insured_persons", "premium_cny", "claims_paid_cny")
_PRODUCT = ("policies_in_force", "insured_persons", "premium_cny", "claims_paid_cny")
