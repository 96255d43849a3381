"""Reporting periods and calendar quarters: "2025" and "2025-Q4", their bounds, and the quarters between dates."""

from __future__ import annotations

import re
from datetime import date, timedelta

# As the submission schema's reporting_period: a year or a quarter.
PERIOD = re.compile(r"^(19|20|21)[0-9]{2}(-Q[1-4])?$")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a year ("2025") or a quarter ("2025-Q4")."""
    year = int(period[:4])
    if "-Q" not in period:
        return date(year, 1, 1), date(year, 12, 31)
    q = int(period[-1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) - timedelta(days=1) if q == 4 else date(year, 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def series_of(period: str) -> str:
    """Annual ("2025") or quarterly ("2025-Q4"): market figures of the two never share a series."""
    return "quarterly" if "-Q" in period else "annual"


def period_order(period: str) -> tuple[bool, date, date, str]:
    """Sort key: annual periods first, then quarters, each series in time order."""
    start, end = period_bounds(period)
    return (series_of(period) == "quarterly", start, end, period)


def year_before(period: str) -> str:
    """The same period a year earlier: 2025 -> 2024, 2025-Q4 -> 2024-Q4."""
    return f"{int(period[:4]) - 1}{period[4:]}"


def quarters_of(period: str) -> list[tuple[str, date, date]]:
    year = period[:4]
    names = [period] if "-Q" in period else [f"{year}-Q{q}" for q in range(1, 5)]
    return [(name, *period_bounds(name)) for name in names]


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarters_between(first: date, last: date) -> list[str]:
    """The quarters that contain some day of ``first``..``last`` (inclusive), in order; none when last < first."""
    out: list[str] = []
    year, q = first.year, (first.month - 1) // 3 + 1
    while (year, q) <= (last.year, (last.month - 1) // 3 + 1):
        out.append(f"{year}-Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out
