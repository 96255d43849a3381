"""The only code that writes documents into the store. One transaction per file, idempotent by SHA-256.

A new document for the same insurer and period (or, for a filing, the same product code) becomes
the next revision and supersedes the previous one, which is kept. Concurrent ingests of the same
files are safe: the unique constraints decide, and the loser of a race retries or finds its file
already stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..contract.load import Loaded, load_file
from ..contract.models import Product, ProductFiling, Submission
from . import tables as t

Outcome = Literal["stored", "revised", "unchanged", "quarantined"]


@dataclass(frozen=True)
class FileResult:
    source: str
    outcome: Outcome
    submission_id: int | None = None
    revision: int | None = None
    problems: tuple[str, ...] = ()


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def quarantined(self) -> list[FileResult]:
        return [f for f in self.files if f.outcome == "quarantined"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def period_bounds(period: str) -> tuple[date, date]:
    year = int(period[:4])
    if "-Q" not in period:
        return date(year, 1, 1), date(year, 12, 31)
    q = int(period[-1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def quarters_of(period: str) -> list[tuple[str, date, date]]:
    year = period[:4]
    names = [period] if "-Q" in period else [f"{year}-Q{q}" for q in range(1, 5)]
    return [(name, *period_bounds(name)) for name in names]


def whole_months(start: date, end: date | None) -> int | None:
    """Whole months an agreement runs, its end day included: 2025-01-01..2025-12-31 is 12."""
    if end is None:
        return None
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    return months - (after.day < start.day)


def _csv(items: Iterable[str]) -> str:
    return "," + ",".join(items) + "," if items else ""


def product_row(submission_id: int, pointer: str, p: Product) -> dict[str, Any]:
    c = p.comparable
    return {
        "submission_id": submission_id, "pointer": pointer, "code": p.code, "name": p.name, "line": p.line,
        "dedicated_inclusive": p.dedicated_inclusive, "target_groups": _csv(sorted(p.target_groups)),
        "target_group_count": len(p.target_groups), "term": p.term, "sale_start": p.sale_start,
        "sale_end": p.sale_end, "government_program": p.government_program, "channels": _csv(p.channels),
        "premium_rate": p.premium_rate, "intermediary_fee_rate": p.intermediary_fee_rate,
        "comparable_code": c.product_code if c else None,
        "comparable_premium_rate": c.premium_rate if c else None,
        "comparable_fee_rate": c.intermediary_fee_rate if c else None,
        "policies_in_force": p.policies_in_force, "insured_persons": p.insured_persons,
        "premium_cny": p.premium_cny, "claims_paid_cny": p.claims_paid_cny, "claims_settled": p.claims_settled,
        "avg_settlement_days": p.avg_settlement_days,
    }


def _submission_facts(doc: Submission) -> dict[str, Any]:
    i, g, s, c = doc.insurer, doc.governance, doc.service, doc.consumer_protection
    start, end = period_bounds(doc.reporting_period)
    return {
        "kind": "submission", "document_key": doc.reporting_period, "period": doc.reporting_period,
        "period_start": start, "period_end": end,
        "insurer_category": i.category, "state_owned": i.state_owned, "size_class": i.size_class,
        "total_assets_cny": i.total_assets_cny, "headquarters_region": i.headquarters_region,
        "leadership_system": g.leadership_system, "lead_department": g.lead_department,
        "assessment_includes_inclusive": g.assessment_includes_inclusive,
        "inclusive_kpi_weight": g.inclusive_kpi_weight, "internal_control_policy": g.internal_control_policy,
        "commitments_premises": s.commitments_published.premises,
        "commitments_agency_sites": s.commitments_published.agency_sites,
        "commitments_online": s.commitments_published.online,
        "online_underwriting": s.online_underwriting, "online_claims": s.online_claims,
        "inquiry_channel": s.inquiry_channel, "elderly_friendly": s.elderly_friendly,
        "accessibility": s.accessibility,
        "complaint_mechanism": c.complaint_mechanism,
        "diversified_dispute_resolution": c.diversified_dispute_resolution,
        "first_inquiry_responsibility": c.first_inquiry_responsibility,
        "complaints": c.complaints, "mass_incidents": c.mass_incidents,
    }


def _filing_facts(doc: ProductFiling) -> dict[str, Any]:
    return {"kind": "product_filing", "document_key": doc.product.code, "period": None,
            "period_start": doc.filing_date, "period_end": doc.filing_date}


def _insurer_id(conn: Connection, code: str, name: str | None) -> int:
    found = conn.execute(select(t.Insurer.id, t.Insurer.name).where(t.Insurer.code == code)).first()
    if found is not None:
        if name and found.name != name:
            conn.execute(update(t.Insurer).where(t.Insurer.id == found.id).values(name=name))
        return int(found.id)
    return int(conn.execute(insert(t.Insurer).values(code=code, name=name).returning(t.Insurer.id)).scalar_one())


def store_document(conn: Connection, loaded: Loaded) -> FileResult:
    """Store one valid document in the caller's transaction."""
    doc = loaded.document
    assert doc is not None
    existing = conn.execute(select(t.Submission.id, t.Submission.revision)
                            .where(t.Submission.sha256 == loaded.sha256)).first()
    if existing is not None:
        return FileResult(loaded.source, "unchanged", existing.id, existing.revision)
    if isinstance(doc, Submission):
        facts, code, name = _submission_facts(doc), doc.insurer.code, doc.insurer.name
    else:
        facts, code, name = _filing_facts(doc), doc.insurer_code, None
    insurer_id = _insurer_id(conn, code, name)
    same = (t.Submission.insurer_id == insurer_id, t.Submission.kind == facts["kind"],
            t.Submission.document_key == facts["document_key"])
    last = conn.execute(select(func.max(t.Submission.revision)).where(*same)).scalar()
    revision = (last or 0) + 1
    if last:
        conn.execute(update(t.Submission).where(*same).values(is_latest=False))
    submission_id = int(conn.execute(insert(t.Submission).values(
        insurer_id=insurer_id, revision=revision, is_latest=True, sha256=loaded.sha256, source=loaded.source,
        raw=loaded.raw.decode("utf-8"), ingested_at=_now(), **facts,
    ).returning(t.Submission.id)).scalar_one())
    _store_facts(conn, submission_id, doc)
    return FileResult(loaded.source, "revised" if last else "stored", submission_id, revision)


def _store_facts(conn: Connection, sid: int, doc: Submission | ProductFiling) -> None:
    if isinstance(doc, ProductFiling):
        conn.execute(insert(t.Product), [product_row(sid, "/product", doc.product)])
        return
    if doc.products:
        conn.execute(insert(t.Product), [product_row(sid, f"/products/{i}", p) for i, p in enumerate(doc.products)])
    if doc.solvency:
        conn.execute(insert(t.SolvencyQuarter), [
            {"submission_id": sid, "position": i, "quarter": q.quarter, "core_ratio_pct": q.core_ratio_pct,
             "comprehensive_ratio_pct": q.comprehensive_ratio_pct, "irr_class": q.irr_class}
            for i, q in enumerate(doc.solvency)])
    conn.execute(insert(t.PeriodQuarter), [
        {"submission_id": sid, "quarter": name, "quarter_start": start, "quarter_end": end}
        for name, start, end in quarters_of(doc.reporting_period)])
    reviews = [("board", d) for d in doc.governance.board_reviews] + \
              [("management", d) for d in doc.governance.management_reviews]
    if reviews:
        conn.execute(insert(t.GovernanceReview), [
            {"submission_id": sid, "body": body, "review_date": d} for body, d in reviews])
    if doc.intermediaries:
        conn.execute(insert(t.Intermediary), [
            {"submission_id": sid, "position": i, "name": m.name, "type": m.type,
             "agreement_start": m.agreement_start, "agreement_end": m.agreement_end,
             "agreement_months": whole_months(m.agreement_start, m.agreement_end),
             "covers_inclusive": m.covers_inclusive, "insurer_handles_disputes": m.insurer_handles_disputes}
            for i, m in enumerate(doc.intermediaries)])


def quarantine(conn: Connection, loaded: Loaded) -> FileResult:
    problems = [p.as_dict() for p in loaded.problems]
    conn.execute(insert(t.Quarantine).values(
        source=loaded.source, sha256=loaded.sha256 if loaded.raw else None,
        problems=json.dumps(problems, ensure_ascii=False), quarantined_at=_now()))
    return FileResult(loaded.source, "quarantined",
                      problems=tuple(f"{p.where()}: {p.pointer or '(document)'}: {p.message}" for p in loaded.problems))


def ingest_one(engine: Engine, loaded: Loaded, attempts: int = 5) -> FileResult:
    """Store or quarantine one loaded file in its own transaction; retry when a concurrent ingest wins a race."""
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                return store_document(conn, loaded) if loaded.ok else quarantine(conn, loaded)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def ingest_paths(engine: Engine, paths: list[Path], max_bytes: int,
                 on_file: Callable[[FileResult], None] = lambda _: None) -> IngestReport:
    report = IngestReport()
    for path in paths:
        result = ingest_one(engine, load_file(path, max_bytes))
        report.files.append(result)
        on_file(result)
    return report
