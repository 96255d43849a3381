"""Ensure the board and management hear inclusive-insurance reports during the period.

Item 10 requires the board and senior management to hear reports on inclusive insurance
regularly (定期). "Regularly" is read as at least the ruleset's minimum number of reviews by each
body dated inside the reporting period, on distinct days (an interpretation; default one each).

Non-compliant::

    reporting_period: "2025", governance: {board_reviews: ["2024-12-20"], management_reviews: ["2025-04-17"]}

Compliant::

    reporting_period: "2025", governance: {board_reviews: ["2025-03-28"], management_reviews: ["2025-04-17"]}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Final

from pydantic import Field
from sqlalchemy import Connection, and_, func, select

from ..store import tables as t
from .base import Params as _Params
from .base import Scope, Verdict, status_case, submission_scope

ID = "IC10-REGULAR-REVIEWS"
CLAUSE = 10
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {
    "en": "Ensure the board and management review inclusive insurance within each reporting period",
    "zh": "董事会和管理层定期听取普惠保险发展情况",
}
MESSAGES = {
    "pass": {"en": "{subject}: reviews inside the period: {actual}.", "zh": "{subject}：报告期内听取情况：{actual}。"},
    "fail": {"en": "{subject}: too few reviews inside the period: {actual}; required {expected}.",
             "zh": "{subject}：报告期内听取次数不足：{actual}，要求{expected}。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    min_board_reviews: Annotated[int, Field(ge=0)]
    min_management_reviews: Annotated[int, Field(ge=0)]


def _count(body: str) -> Any:
    s, r = t.Submission, t.GovernanceReview
    return (
        select(func.count(r.review_date.distinct()))  # one review a day: a date listed twice counts once
        .where(r.submission_id == s.id, r.body == body, r.review_date >= s.period_start,
               r.review_date <= s.period_end)
        .scalar_subquery()
    )


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    board, management = _count("board"), _count("management")
    passed = and_(board >= p.min_board_reviews, management >= p.min_management_reviews)
    query = submission_scope(scope).with_only_columns(
        t.Submission.id, board.label("board"), management.label("management"), status_case(passed))
    expected = f"board >= {p.min_board_reviews}, management >= {p.min_management_reviews}"
    for row in conn.execute(query):
        # A failure points at the list that is short (both short: their parent).
        short = [ptr for ptr, count, least in (("/governance/board_reviews", row.board, p.min_board_reviews),
                                               ("/governance/management_reviews", row.management,
                                                p.min_management_reviews))
                 if count < least]
        subject = short[0] if row.status == "fail" and len(short) == 1 else "/governance"
        yield Verdict(row.id, subject, row.status, expected, f"board {row.board}, management {row.management}")
