"""A valid document's facts as the store writes them (``ingest.py``): the submissions row, the product rows (plain
tuples in ``PRODUCT_COLUMNS`` order, of the driver's own types for SQLite), and the rows of the tables beside them.
Made from the parsed document alone, so that a worker process (``ingest_pool.py``) can make them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from ..contract.locate import offsets
from ..contract.models import Product, ProductFiling, Submission
from ..contract.regions import province_of
from ..periods import period_bounds, quarters_of
from .columns import EXACT, decimal_text
from .columns import figure_text as _text


def whole_months(start: date, end: date | None) -> int | None:
    """Whole months an agreement runs, its end day included: 2025-01-01..2025-12-31 is 12."""
    if end is None:
        return None
    if end.month == 12 and end.day == 31:  # the day after, as numbers: 9999-12-31 has no date after it
        after = (end.year + 1, 1, 1)
    else:
        following = end + timedelta(days=1)
        after = (following.year, following.month, following.day)
    months = (after[0] - start.year) * 12 + after[1] - start.month
    return months - (after[2] < start.day)


def _csv(items: Iterable[str]) -> str:
    return "," + ",".join(items) + "," if items else ""


PRODUCT_COLUMNS = (
    "submission_id",
    "pointer",
    "position",
    "code",
    "name",
    "line",
    "dedicated_inclusive",
    "target_groups",
    "target_group_count",
    "risk_areas",
    "term",
    "sale_start",
    "sale_end",
    "government_program",
    "channels",
    "premium_rate",
    "intermediary_fee_rate",
    "comparable_code",
    "comparable_premium_rate",
    "comparable_fee_rate",
    "policies_in_force",
    "insured_persons",
    "premium_cny",
    "claims_paid_cny",
    "claims_settled",
    "avg_settlement_days",
    "source_offset",
)


def _product_values(position: int | None, p: Product, native: bool) -> tuple[Any, ...]:
    """A product's row after ``submission_id``, in PRODUCT_COLUMNS order: ``position`` in the filed list, or
    None for a filing's one product (pointer '/product', position 0).

    ``native`` (SQLite): figures as decimal text and dates as ISO text, exactly what SQLAlchemy's bind processors
    hand the driver for these columns; otherwise Decimal and date, for the driver to adapt.
    """
    c = p.comparable
    pointer = "/product" if position is None else f"/products/{position}"
    position = position or 0
    if not native:
        return (
            pointer,
            position,
            p.code,
            p.name,
            p.line,
            p.dedicated_inclusive,
            _csv(sorted(p.target_groups)),
            len(p.target_groups),
            _csv(sorted(p.risk_areas or ())),
            p.term,
            p.sale_start,
            p.sale_end,
            p.government_program,
            _csv(p.channels),
            p.premium_rate,
            p.intermediary_fee_rate,
            c.product_code if c else None,
            c.premium_rate if c else None,
            c.intermediary_fee_rate if c else None,
            p.policies_in_force,
            p.insured_persons,
            p.premium_cny,
            p.claims_paid_cny,
            p.claims_settled,
            p.avg_settlement_days,
        )
    return (  # the hot path of a market ingest: written out, no per-value dispatch
        pointer,
        position,
        p.code,
        p.name,
        p.line,
        p.dedicated_inclusive,
        _csv(sorted(p.target_groups)),
        len(p.target_groups),
        _csv(sorted(p.risk_areas)) if p.risk_areas else "",
        p.term,
        p.sale_start.isoformat(),
        None if p.sale_end is None else p.sale_end.isoformat(),
        p.government_program,
        _csv(p.channels),
        decimal_text(p.premium_rate),
        _text(p.intermediary_fee_rate),
        c.product_code if c else None,
        _text(c.premium_rate) if c else None,
        _text(c.intermediary_fee_rate) if c else None,
        p.policies_in_force,
        p.insured_persons,
        _text(p.premium_cny),
        _text(p.claims_paid_cny),
        p.claims_settled,
        _text(p.avg_settlement_days),
    )


def _submission_facts(doc: Submission) -> dict[str, Any]:
    i, g, s, c = doc.insurer, doc.governance, doc.service, doc.consumer_protection
    start, end = period_bounds(doc.reporting_period)
    return {
        "kind": "submission",
        "document_key": doc.reporting_period,
        "period": doc.reporting_period,
        "period_start": start,
        "period_end": end,
        "insurer_name": i.name,
        "insurer_category": i.category,
        "state_owned": i.state_owned,
        "size_class": i.size_class,
        "total_assets_cny": i.total_assets_cny,
        "headquarters_region": i.headquarters_region,
        "leadership_system": g.leadership_system,
        "lead_department": g.lead_department,
        "assessment_includes_inclusive": g.assessment_includes_inclusive,
        "inclusive_kpi_weight": g.inclusive_kpi_weight,
        "internal_control_policy": g.internal_control_policy,
        "commitments_premises": s.commitments_published.premises,
        "commitments_agency_sites": s.commitments_published.agency_sites,
        "commitments_online": s.commitments_published.online,
        "online_underwriting": s.online_underwriting,
        "online_claims": s.online_claims,
        "inquiry_channel": s.inquiry_channel,
        "elderly_friendly": s.elderly_friendly,
        "accessibility": s.accessibility,
        "complaint_mechanism": c.complaint_mechanism,
        "diversified_dispute_resolution": c.diversified_dispute_resolution,
        "first_inquiry_responsibility": c.first_inquiry_responsibility,
        "complaints": c.complaints,
        "mass_incidents": c.mass_incidents,
        **_portfolio(doc.products),
    }


def _portfolio(products: list[Product]) -> dict[str, Any]:
    """The inclusive portfolio's sums behind item 18's indicators (see ``tables.Submission``)."""
    lines: set[str] = set()
    groups: set[str] = set()
    insured = settled = 0
    premium = inclusive_premium = claims_paid = days_x_claims = Decimal(0)
    with localcontext(EXACT):  # sums of filed figures: never rounded
        for p in products:
            premium += p.premium_cny or 0
            if not (p.dedicated_inclusive or p.target_groups):
                continue
            lines.add(p.line)
            groups.update(p.target_groups)
            insured += p.insured_persons or 0
            inclusive_premium += p.premium_cny or 0
            claims_paid += p.claims_paid_cny or 0
            if p.avg_settlement_days is not None and p.claims_settled is not None:
                settled += p.claims_settled
                days_x_claims += p.avg_settlement_days * p.claims_settled
    return {
        "inclusive_lines": _csv(sorted(lines)),
        "inclusive_groups": _csv(sorted(groups)),
        "inclusive_insured_persons": insured,
        "inclusive_premium_cny": inclusive_premium,
        "inclusive_claims_paid_cny": claims_paid,
        "inclusive_claims_settled": settled,
        "inclusive_settlement_days_x_claims": days_x_claims,
        "premium_cny": premium,
    }


def _filing_facts(doc: ProductFiling) -> dict[str, Any]:
    return {
        "kind": "product_filing",
        "document_key": doc.product.code,
        "period": None,
        "period_start": doc.filing_date,
        "period_end": doc.filing_date,
    }


@dataclass
class Facts:
    """Everything a valid document stores, ready to write: what a worker process hands the writer."""

    kind: str
    insurer_code: str
    insurer_name: str | None
    submission: dict[str, Any]  # the submissions row's facts
    products: list[tuple[Any, ...]]  # _product_values rows (native when made for SQLite)
    native: bool
    solvency: list[dict[str, Any]] = field(default_factory=list)
    quarters: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    intermediaries: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)


def source_offsets(raw: bytes | None, pointers: list[str]) -> list[int | None]:
    """Where each product (``pointers``) stands in the document's text as ``_store`` stores it: its offset in
    characters, found by one walk that skips each product whole (about the cost of parsing the text). None for a
    YAML document, or without the text."""
    text = raw.decode("utf-8") if raw is not None else ""
    if not text.lstrip().startswith("{"):
        return [None] * len(pointers)
    found = offsets(text, pointers)
    return [found.get(pointer) for pointer in pointers]


def document_facts(doc: Submission | ProductFiling, native: bool = False, raw: bytes | None = None) -> Facts:
    """A valid document's facts; ``raw`` its bytes, for where its products stand (``products.source_offset``)."""
    if isinstance(doc, ProductFiling):
        (offset,) = source_offsets(raw, ["/product"])
        return Facts(
            "product_filing",
            doc.insurer_code,
            None,
            _filing_facts(doc),
            [(*_product_values(None, doc.product, native), offset)],
            native,
        )
    starts = source_offsets(raw, [f"/products/{i}" for i in range(len(doc.products))])
    reviews = [("board", d) for d in doc.governance.board_reviews] + [
        ("management", d) for d in doc.governance.management_reviews
    ]
    return Facts(
        "submission",
        doc.insurer.code,
        doc.insurer.name,
        _submission_facts(doc),
        [(*_product_values(i, p, native), starts[i]) for i, p in enumerate(doc.products)],
        native,
        solvency=[
            {
                "position": i,
                "quarter": q.quarter,
                "core_ratio_pct": q.core_ratio_pct,
                "comprehensive_ratio_pct": q.comprehensive_ratio_pct,
                "irr_class": q.irr_class,
            }
            for i, q in enumerate(doc.solvency)
        ],
        quarters=[
            {"quarter": name, "quarter_start": start, "quarter_end": end}
            for name, start, end in quarters_of(doc.reporting_period)
        ],
        reviews=[{"body": body, "review_date": d} for body, d in reviews],
        intermediaries=[
            {
                "position": i,
                "name": m.name,
                "type": m.type,
                "agreement_start": m.agreement_start,
                "agreement_end": m.agreement_end,
                "agreement_months": whole_months(m.agreement_start, m.agreement_end),
                "covers_inclusive": m.covers_inclusive,
                "insurer_handles_disputes": m.insurer_handles_disputes,
            }
            for i, m in enumerate(doc.intermediaries)
        ],
        regions=[
            {
                "position": i,
                "region": r.region,
                "province": province_of(r.region),
                "policies": r.policies,
                "insured_persons": r.insured_persons,
                "premium_cny": r.premium_cny,
                "claims_paid_cny": r.claims_paid_cny,
            }
            for i, r in enumerate(doc.regions or [])
        ],
    )
