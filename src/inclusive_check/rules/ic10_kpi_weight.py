"""Ensure a large insurer gives inclusive insurance at least 5% weight in its performance assessment.

Item 10 says a large insurer's assessment weight for inclusive insurance should in principle be no
less than 5%. The guidance does not define "large": the insurer's declared size class is used, and
when none is declared, total assets at or above the ruleset's line (500 billion CNY, an unverified
reading of the financial-sector size standard) make it large. Exactly 5% passes; 4.99% fails.

Non-compliant::

    insurer: {size_class: large}, governance: {inclusive_kpi_weight: 0.0499}

Compliant::

    insurer: {size_class: large}, governance: {inclusive_kpi_weight: 0.05}
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, Connection, and_, case, func, or_

from ..figures import EXACT, exact
from ..store import tables as t
from .base import Params as _Params
from .base import Scope, submission_scope
from .findings import Finding, finding, one_by_one

ID = "IC10-KPI-WEIGHT"
CLAUSE = 10
KINDS = ("submission",)
TITLE = {
    "en": "In principle, a large insurer gives inclusive insurance at least a 5% share of its performance assessment",
    "zh": "大型保险公司：普惠保险在绩效考核中的占比原则上须达到5%",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: assessment weight {actual}, which meets {expected}.",
        "zh": "{subject}：考核权重{actual}，达到{expected}。",
    },
    "fail": {
        "en": "{subject}: a large insurer's assessment weight is {actual}; in principle it must be {expected}.",
        "zh": "{subject}：大型保险公司的考核权重为{actual}，原则上应{expected}。",
    },
    "indeterminate": {
        "en": "{subject}: the assessment weight cannot be judged ({actual}); without this evidence compliance is not shown.",
        "zh": "{subject}：无法判断考核权重（{actual}）；缺少该证据即不能证明合规。",
    },
    "waived": {
        "en": "{subject}: in principle the weight should be {expected}, but it is {actual}; dispensation {dispensation} waives it.",
        "zh": "{subject}：考核权重原则上应{expected}，实际为{actual}，监管豁免{dispensation}已予豁免。",
    },
    "not_applicable": {"en": "Weight check not applied: {actual}.", "zh": "未适用考核权重检查：{actual}。"},
}


class Params(_Params):
    min_weight: Annotated[Decimal, Field(ge=0, le=1)]
    large_total_assets_cny: Annotated[Decimal, Field(gt=0)]
    size_source: Literal["declared_then_assets", "declared_only", "assets_only"]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s = t.submissions.c
    # NULL-safe throughout: an unknown size must never fall through to a judgement by accident.
    by_assets = func.coalesce(s.total_assets_cny, -1) >= p.large_total_assets_cny
    declared_large = func.coalesce(s.size_class, "") == "large"
    undeclared = s.size_class.is_(None)
    large: ColumnElement[bool]
    unknown: ColumnElement[bool]
    if p.size_source == "declared_only":
        large, unknown = declared_large, undeclared
    elif p.size_source == "assets_only":
        large, unknown = by_assets, s.total_assets_cny.is_(None)
    else:
        large = or_(declared_large, and_(undeclared, by_assets))
        unknown = and_(undeclared, s.total_assets_cny.is_(None))
    status = case(
        (unknown, "indeterminate"),
        (~large, "not_applicable"),
        (s.inclusive_kpi_weight.is_(None), "indeterminate"),
        (s.inclusive_kpi_weight >= p.min_weight, "pass"),
        else_="fail",
    ).label("status")
    query = submission_scope(scope).with_only_columns(
        s.id, s.size_class, s.total_assets_cny, s.inclusive_kpi_weight, status, unknown.label("unknown")
    )
    expected = ">= {threshold}"
    for row in conn.execute(query):
        weight = exact(row.inclusive_kpi_weight)
        if row.status == "indeterminate" and row.unknown:
            yield finding(
                row.id,
                "/insurer",
                "indeterminate",
                expected,
                f"size unknown: the insurer's size cannot be told ({p.size_source})",
                threshold=p.min_weight,
                unit="rate",
            )
        elif row.status == "indeterminate":
            yield finding(
                row.id,
                "/governance/inclusive_kpi_weight",
                "indeterminate",
                expected,
                "a large insurer reports no inclusive_kpi_weight",
                threshold=p.min_weight,
                unit="rate",
            )
        elif row.status == "not_applicable":
            if row.size_class:
                yield finding(
                    row.id, "/insurer", "not_applicable", "a large insurer", f"not large (size_class {row.size_class})"
                )
            else:
                yield finding(
                    row.id,
                    "/insurer",
                    "not_applicable",
                    "a large insurer",
                    "not large (total assets {value} CNY)",
                    value=exact(row.total_assets_cny),
                    unit="cny",
                )
        else:
            yield finding(
                row.id,
                "/governance/inclusive_kpi_weight",
                row.status,
                expected,
                "{value}",
                value=weight,
                threshold=p.min_weight,
                unit="rate",
                margin=None if weight is None else EXACT.subtract(weight, p.min_weight),
            )
