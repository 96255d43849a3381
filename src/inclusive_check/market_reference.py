"""Depth, density and targets for the market picture (market.py assembles them) from the stored reference
figures and targets (store.reference).

Depth is premium over GDP, density premium per resident, both for the same region and calendar year: the
inclusive premium of an annual region row beside the whole insurance market's premium income. A target's value
is the latest one at or before the target's year, named by its year, and the gap is target minus value."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from sqlalchemy import Connection

from .contract.regions import name as region_name
from .figures import number
from .market_series import dec
from .store.reference import latest

DEPTH = 6  # decimal places of a depth (a ratio of GDP: 0.000012 is 0.0012%)
DENSITY = 2  # CNY per resident
UNITS = {
    "market_premium_cny": "cny",
    "inclusive_premium_cny": "cny",
    "market_depth": "ratio",
    "inclusive_depth": "ratio",
    "market_density": "cny_per_person",
    "inclusive_density": "cny_per_person",
    "inclusive_insured_persons": "persons",
}

Reference = dict[tuple[str, int, str], Any]


def reference(conn: Connection) -> Reference:
    """(region, year, indicator) -> the latest stored row (value, text as source, version)."""
    return {(row.region, int(row.year), row.indicator): row for row in latest(conn, "reference")}


def _ratio(a: Decimal | None, b: Decimal | None, places: int) -> Decimal | None:
    """a / b rounded half-up to ``places`` (exactly: the quotient is taken to 60 digits first)."""
    if a is None or not b:
        return None
    exact = Context(prec=60).divide(Decimal(a), Decimal(b))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=Context(prec=60))


def _value(ref: Reference, region: str, year: int, indicator: str) -> Decimal | None:
    row = ref.get((region, year, indicator))
    return None if row is None else dec(row.value)


def enrich(rows: list[dict[str, Any]], ref: Reference, used: set[tuple[str, int, str]]) -> None:
    """Add depth and density to the annual region rows that have reference figures for their year (in place);
    note each reference figure used in ``used``."""
    for row in rows:
        if row["series"] != "annual" or not row["key"].isdigit():
            continue
        region, year = row["key"], int(row["period"])
        gdp, people = _value(ref, region, year, "gdp_cny"), _value(ref, region, year, "population")
        whole = _value(ref, region, year, "market_premium_cny")
        premium = None if row["premium_cny"] is None else Decimal(row["premium_cny"])
        figures = {
            "depth": _ratio(premium, gdp, DEPTH),
            "density": _ratio(premium, people, DENSITY),
            "market_depth": _ratio(whole, gdp, DEPTH),
            "market_density": _ratio(whole, people, DENSITY),
        }
        row.update({k: None if v is None else number(v) for k, v in figures.items()})
        used.update(k for k in ((region, year, n) for n in ("gdp_cny", "population", "market_premium_cny")) if k in ref)


def used_values(ref: Reference, used: set[tuple[str, int, str]]) -> list[dict[str, Any]]:
    return [
        {
            "region": region,
            "year": year,
            "indicator": indicator,
            "value": number(dec(ref[(region, year, indicator)].value)),
            "source": ref[(region, year, indicator)].text,
            "version": int(ref[(region, year, indicator)].version),
        }
        for region, year, indicator in sorted(used)
    ]


def _actual(indicator: str, region: str, year: int, ref: Reference, inclusive: dict[tuple[str, int], Any]) -> Any:
    """The indicator's value for ``region`` in ``year`` (None: not computable from what is stored)."""
    whole = _value(ref, region, year, "market_premium_cny")
    gdp, people = _value(ref, region, year, "gdp_cny"), _value(ref, region, year, "population")
    row = inclusive.get((region, year))
    premium = None if row is None or row["premium_cny"] is None else Decimal(row["premium_cny"])
    if indicator == "inclusive_insured_persons":
        return None if row is None else row["insured_persons"]
    values: dict[str, Decimal | None] = {
        "market_premium_cny": whole,
        "market_depth": _ratio(whole, gdp, DEPTH),
        "market_density": _ratio(whole, people, DENSITY),
        "inclusive_premium_cny": premium,
        "inclusive_depth": _ratio(premium, gdp, DEPTH),
        "inclusive_density": _ratio(premium, people, DENSITY),
    }
    return values[indicator]


def targets(
    conn: Connection, ref: Reference, region_rows: list[dict[str, Any]], used: set[tuple[str, int, str]]
) -> list[dict[str, Any]]:
    """Each stored target with the latest value at or before its year, and the gap."""
    inclusive = {(r["key"], int(r["period"])): r for r in region_rows if r["series"] == "annual"}
    years = sorted({year for _, year, _ in ref} | {year for _, year in inclusive}, reverse=True)
    out = []
    for target in latest(conn, "targets"):
        region, year, indicator = target.region, int(target.year), target.indicator
        value, value_year = None, None
        for y in (y for y in years if y <= year):
            value = _actual(indicator, region, y, ref, inclusive)
            if value is not None:
                value_year = y
                used.update(
                    k for k in ((region, y, n) for n in ("gdp_cny", "population", "market_premium_cny")) if k in ref
                )
                break
        goal = dec(target.value)
        assert goal is not None
        out.append(
            {
                "region": region,
                "name": {"en": region_name(region), "zh": region_name(region)},
                "indicator": indicator,
                "year": year,
                "target": number(goal),
                "value": None if value is None else number(Decimal(value)),
                "value_year": value_year,
                "gap": None if value is None else number(goal - Decimal(value)),
                "unit": UNITS[indicator],
                "citation": target.text,
            }
        )
    return out
