"""The public view of the market (``market --public``, the portal's /public/market): item 18's results reported
to the public (向社会通报) as aggregates that name no insurer and let no insurer's figures be worked out.

Per period (annual and quarterly apart) it publishes the whole market, each province (with a cell ``other`` for
what no region carries), each separately listed city inside its province (with the rest of the province), and
each line (with ``other``). Each table adds up: its cells sum to its total. A cell is withheld (primary) when
fewer than k insurers make it up or one insurer holds more than p% of any of its figures (k, p: the ruleset's
``market.disclosure``). Then complementary suppression: wherever a published total would give away a withheld
cell (the only one withheld in its table) or the sum of the withheld cells would itself fail the rule, the
smallest published cell is withheld too; a withheld total keeps at least one of its cells withheld. This repeats
until no table changes, since a province is a cell of the country and the total of its cities.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, func, or_, select

from .contract.market_outputs import PUBLIC_MARKET_SCHEMA, PublicMarket
from .contract.regions import name as region_name
from .figures import number
from .market import CITIES, LINE_ZH, MarketError, base, row_weight
from .market_params import DEFAULT_DISCLOSURE, Disclosure
from .market_series import dec
from .periods import period_order, series_of
from .ruleset import Ruleset
from .ruleset_models import Rounding
from .scoring import quantize
from .store import tables as t
from .store.columns import exact_sum

Figures = list[Fraction]  # policies, insured persons, premium, claims
Cell = tuple[str, str, str | None]  # (table, key, parent)
OTHER = {"en": "Other (not broken down)", "zh": "其他（未细分）"}
MARKET = {"en": "Whole market", "zh": "全市场"}
REST = {"en": "rest of the province", "zh": "省内其他地区"}


def disclosure(ruleset: Ruleset) -> Disclosure:
    market = ruleset.data.market
    if market is None:
        raise MarketError(f"the ruleset {ruleset.id} {ruleset.version} has no market section (disclosure)")
    return market.disclosure or DEFAULT_DISCLOSURE


def _add(into: dict[str, Figures], insurer: str, values: Any) -> None:
    cell = into.setdefault(insurer, [Fraction(0)] * 4)
    for i, v in enumerate(values):
        cell[i] += Fraction(dec(v) or 0)


def _contributions(conn: Connection, period: str | None) -> dict[str, dict[Cell, dict[str, Figures]]]:
    """period -> cell -> insurer -> figures, for every cell of the public tables (residuals included)."""
    based = base(period)
    b, r, p = based.c, t.submission_regions.c, t.products.c
    ids = select(b.sid)
    who = {row.sid: (row.period, row.code) for row in conn.execute(select(b.sid, b.period, b.code))}
    out: dict[str, dict[Cell, dict[str, Figures]]] = defaultdict(lambda: defaultdict(dict))
    for row in conn.execute(select(b.sid, b.policies, b.insured, b.premium, b.claims)):
        period_, code = who[row.sid]
        _add(out[period_][("market", "market", None)], code, row[1:])
    figures = (r.policies, r.insured_persons, r.premium_cny, r.claims_paid_cny)
    for sid, province, region, *values in conn.execute(
        select(r.submission_id, r.province, r.region, *figures).where(r.submission_id.in_(ids))
    ):
        period_, code = who[sid]
        _add(out[period_][("region", province, None)], code, values)
        if region in CITIES:
            _add(out[period_][("city", region, province)], code, values)
    product = (
        func.sum(p.policies_in_force),
        func.sum(p.insured_persons),
        exact_sum(p.premium_cny),
        exact_sum(p.claims_paid_cny),
    )
    inclusive = or_(p.dedicated_inclusive.is_(True), p.target_groups != "")
    for sid, line, *values in conn.execute(
        select(p.submission_id, p.line, *product)
        .where(inclusive, p.submission_id.in_(ids))
        .group_by(p.submission_id, p.line)
    ):
        period_, code = who[sid]
        _add(out[period_][("line", line, None)], code, values)
    for cells in out.values():
        _residuals(cells)
    return out


def _residuals(cells: dict[Cell, dict[str, Figures]]) -> None:
    """Add each table's ``other`` cell: its total less its cells, per insurer, so that every table adds up."""
    for table, total in (("region", ("market", "market", None)), ("line", ("market", "market", None))):
        _residual(cells, total, [c for c in cells if c[0] == table], (table, "other", None))
    for city in [c for c in cells if c[0] == "city"]:
        province = ("region", city[2] or "", None)
        _residual(cells, province, [city], ("city", "other", city[2]))


def _residual(cells: dict[Cell, dict[str, Figures]], total: Cell, parts: list[Cell], other: Cell) -> None:
    rest: dict[str, Figures] = {}
    for insurer, figures in cells.get(total, {}).items():
        left = list(figures)
        for part in parts:
            for i, v in enumerate(cells[part].get(insurer, [Fraction(0)] * 4)):
                left[i] -= v
        if any(left):
            rest[insurer] = left
    for part in parts:  # an insurer in a part but not in the total (inconsistent figures) goes negative here
        for insurer, figures in cells[part].items():
            if insurer not in cells.get(total, {}):
                rest[insurer] = [-v for v in figures]
    if rest:
        cells[other] = rest


def sensitive(contributions: dict[str, Figures], rule: Disclosure) -> bool:
    """Fewer than k insurers, or one insurer above p% of any figure."""
    present = {i: f for i, f in contributions.items() if any(f)}
    if len(present) < rule.min_insurers:
        return True
    for n in range(4):
        parts = [abs(f[n]) for f in present.values()]
        whole = sum(parts, Fraction(0))
        if whole and max(parts) * 100 > Fraction(rule.dominance_percent) * whole:
            return True
    return False


def _union(cells: dict[Cell, dict[str, Figures]], chosen: list[Cell]) -> dict[str, Figures]:
    out: dict[str, Figures] = {}
    for cell in chosen:
        for insurer, figures in cells[cell].items():
            mine = out.setdefault(insurer, [Fraction(0)] * 4)
            for i, v in enumerate(figures):
                mine[i] += v
    return out


def tables(cells: dict[Cell, Any]) -> list[tuple[Cell, list[Cell]]]:
    """Each additive table of a period: (total, its cells)."""
    market: Cell = ("market", "market", None)
    out = [(market, [c for c in cells if c[0] == kind]) for kind in ("region", "line")]
    provinces = {c[2] for c in cells if c[0] == "city"}
    out += [
        (("region", p or "", None), [c for c in cells if c[0] == "city" and c[2] == p])
        for p in sorted(provinces, key=str)
    ]
    return [(total, parts) for total, parts in out if parts]


def suppress(cells: dict[Cell, dict[str, Figures]], rule: Disclosure) -> dict[Cell, str]:
    """Cell -> primary | complementary, for the cells withheld."""
    withheld = {c: "primary" for c, contributions in cells.items() if sensitive(contributions, rule)}
    changed = True
    while changed:
        changed = False
        for total, parts in tables(cells):
            hidden = [c for c in parts if c in withheld]
            shown = sorted((c for c in parts if c not in withheld), key=lambda c: (_volume(cells[c]), c[1]))
            if total in withheld:
                need = not hidden
            else:
                need = len(hidden) == 1 or (len(hidden) > 1 and sensitive(_union(cells, hidden), rule))
            if not need:
                continue
            if shown:
                withheld[shown[0]] = "complementary"
            else:
                withheld[total] = "complementary"
            changed = True
    return withheld


def _volume(contributions: dict[str, Figures]) -> Fraction:
    return sum((abs(f[2]) for f in contributions.values()), Fraction(0))


def _name(cell: Cell) -> dict[str, str]:
    table, key, parent = cell
    if key == "other":
        if table == "city":
            return {lg: f"{region_name(parent or '')} {REST[lg]}" for lg in ("en", "zh")}
        return dict(OTHER)
    if table == "market":
        return dict(MARKET)
    if table == "line":
        return {"en": key.replace("_", " "), "zh": LINE_ZH.get(key, key)}
    return {"en": region_name(key), "zh": region_name(key)}


_ORDER = {"market": 0, "region": 1, "city": 2, "line": 3}


def public_market(conn: Connection, ruleset: Ruleset, period: str | None = None) -> PublicMarket:
    """The public view (module docstring) as the published ``inclusive-check/public-market/1`` shape."""
    rule = disclosure(ruleset)
    row_weight(ruleset)  # a ruleset without a market section is refused here too
    ratio = Rounding(
        places=ruleset.data.scoring.indicators.protection.loss_ratio_places, mode=ruleset.data.scoring.rounding.mode
    )
    by_period = _contributions(conn, period)
    if not by_period:
        raise MarketError(f"no submission is stored{f' for period {period}' if period else ''}")
    out = []
    for p in sorted(by_period, key=period_order):
        cells = by_period[p]
        withheld = suppress(cells, rule)
        for cell in sorted(cells, key=lambda c: (_ORDER[c[0]], c[2] or "", c[1] == "other", c[1])):
            reason = withheld.get(cell)
            sums = [sum((f[i] for f in cells[cell].values()), Fraction(0)) for i in range(4)]
            shown = reason is None
            out.append(
                {
                    "period": p,
                    "series": series_of(p),
                    "table": cell[0],
                    "key": cell[1],
                    "name": _name(cell),
                    "parent": cell[2],
                    "insurers": len([f for f in cells[cell].values() if any(f)]) if shown else None,
                    "policies": int(sums[0]) if shown else None,
                    "insured_persons": int(sums[1]) if shown else None,
                    "premium_cny": _money(sums[2]) if shown else None,
                    "claims_paid_cny": _money(sums[3]) if shown else None,
                    "loss_ratio": str(quantize(sums[3] / sums[2], ratio)) if shown and sums[2] else None,
                    "suppressed": reason,
                }
            )
    method = {
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
        "from": rule.start.isoformat(),
        "min_insurers": rule.min_insurers,
        "dominance_percent": number(rule.dominance_percent),
        "citation": rule.citation,
        "interpretation": rule.interpretation,
    }
    payload = {
        "schema": PUBLIC_MARKET_SCHEMA,
        "period": period,
        "method": method,
        "periods": sorted(by_period, key=period_order),
        "cells": out,
    }
    return PublicMarket.model_validate(payload)


def _money(value: Fraction) -> str:
    return number(Decimal(value.numerator) / Decimal(value.denominator))
