"""Ensure the board and management hear inclusive-insurance reports regularly.

Item 10 requires the board and senior management to hear reports on inclusive insurance
regularly (定期). Read as: at least the ruleset's minimum number of reviews by each body (default one
each), on distinct days, within a look-back window of ``lookback_months`` (default 12) ending on the
period's last day, so that a quarterly submission does not need a board meeting every quarter. Both
numbers are interpretations. The board and senior management each get their own finding, on their own
list (``board_reviews``, ``management_reviews``), pass or fail, whatever the period's length.

Non-compliant::

    reporting_period: "2025", governance: {board_reviews: ["2024-12-31"], management_reviews: ["2025-04-17"]}

Compliant::

    reporting_period: "2025-Q4", governance: {board_reviews: ["2025-03-28"], management_reviews: ["2025-04-17"]}
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Connection, case, func, select

from ..store import tables as t
from .base import Params as _Params
from .base import Scope, submission_scope
from .findings import Finding, finding, one_by_one

ID = "IC10-REGULAR-REVIEWS"
CLAUSE = 10
KINDS = ("submission",)
TITLE = {
    "en": "Ensure the board and senior management are briefed on inclusive insurance at regular intervals",
    "zh": "确保董事会和高级管理层按时听取普惠保险工作汇报",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: briefings in the look-back window: {actual}.",
        "zh": "{subject}：回溯期内听取汇报情况：{actual}。",
    },
    "fail": {
        "en": "{subject}: too few briefings in the look-back window: {actual}; required {expected}.",
        "zh": "{subject}：回溯期内听取汇报次数不足：{actual}，要求{expected}。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    min_board_reviews: Annotated[int, Field(ge=0)]
    min_management_reviews: Annotated[int, Field(ge=0)]
    lookback_months: Annotated[int, Field(ge=1, le=120)]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has no such day): 2025-03-31 - 1 = 2025-02-28."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _count(body: str, window_start: Any) -> Any:
    s, r = t.submissions.c, t.governance_reviews.c
    return (
        select(func.count(r.review_date.distinct()))  # one review a day: a date listed twice counts once
        .where(r.submission_id == s.id, r.body == body, r.review_date > window_start, r.review_date <= s.period_end)
        .scalar_subquery()
    )


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s = t.submissions.c
    # The window starts the day after the same date lookback_months before each period's end. Periods end on a
    # few distinct days: their starts are computed here, exactly, and handed to SQL as a CASE.
    ends = conn.execute(submission_scope(scope).with_only_columns(s.period_end).distinct()).scalars().all()
    starts = {end: months_before(end, p.lookback_months) for end in ends}
    if not starts:
        return
    window_start = case(starts, value=s.period_end)
    board, management = _count("board", window_start), _count("management", window_start)
    query = submission_scope(scope).with_only_columns(
        s.id, s.period_end, board.label("board"), management.label("management")
    )
    for row in conn.execute(query):
        since = starts[row.period_end] + timedelta(days=1)
        # One finding per reviewed body, on its own list, pass or fail, whatever the period's length.
        for body, count, least in (
            ("board", row.board, p.min_board_reviews),
            ("management", row.management, p.min_management_reviews),
        ):
            yield finding(
                row.id,
                f"/governance/{body}_reviews",
                "pass" if count >= least else "fail",
                f"{body} >= {least} briefing(s) between {since} and {row.period_end}",
                f"{body} {count} briefing(s)",
            )
