"""The SQL tables: documents as stored, the normalized facts rules read, runs, findings and scores.

Money and rates are ``Numeric``. On PostgreSQL they are exact NUMERIC; on SQLite they are stored
as REAL, and since the contract caps numbers at 15 significant digits, every comparison a rule
makes in SQL keeps decimal order and equality (5% stays exactly 5%).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC that hands back the decimal that was stored, on SQLite too.

    SQLite keeps REALs; the shortest repr of a double that came from a decimal of at most 15
    significant digits is that decimal again, so ``Decimal(repr(x))`` restores it exactly.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(asdecimal=False))
        return dialect.type_descriptor(Numeric())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


Rate = ExactDecimal()
Money = ExactDecimal()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


class Insurer(Base):
    __tablename__ = "insurers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str | None] = mapped_column(String(500))


class Submission(Base):
    """One stored revision of one document (a submission or a product filing)."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("insurer_id", "kind", "document_key", "revision"),
        Index(None, "insurer_id", "kind", "document_key", "is_latest"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurer_id: Mapped[int] = mapped_column(_fk("insurers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # What a new revision supersedes: the reporting period of a submission, the product code of a filing.
    document_key: Mapped[str] = mapped_column(String(80))
    period: Mapped[str | None] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    is_latest: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(1000))
    ingested_at: Mapped[datetime] = mapped_column(DateTime)
    # Insurer profile as declared for this period (submissions only).
    insurer_category: Mapped[str | None] = mapped_column(String(20))
    state_owned: Mapped[bool | None] = mapped_column(Boolean)
    size_class: Mapped[str | None] = mapped_column(String(10))
    total_assets_cny: Mapped[Decimal | None] = mapped_column(Money)
    headquarters_region: Mapped[str | None] = mapped_column(String(500))
    # Governance (item 10).
    leadership_system: Mapped[bool | None] = mapped_column(Boolean)
    lead_department: Mapped[str | None] = mapped_column(String(500))
    assessment_includes_inclusive: Mapped[bool | None] = mapped_column(Boolean)
    inclusive_kpi_weight: Mapped[Decimal | None] = mapped_column(Rate)
    internal_control_policy: Mapped[bool | None] = mapped_column(Boolean)
    # Service (item 11).
    commitments_premises: Mapped[bool | None] = mapped_column(Boolean)
    commitments_agency_sites: Mapped[bool | None] = mapped_column(Boolean)
    commitments_online: Mapped[bool | None] = mapped_column(Boolean)
    online_underwriting: Mapped[bool | None] = mapped_column(Boolean)
    online_claims: Mapped[bool | None] = mapped_column(Boolean)
    inquiry_channel: Mapped[bool | None] = mapped_column(Boolean)
    elderly_friendly: Mapped[bool | None] = mapped_column(Boolean)
    accessibility: Mapped[bool | None] = mapped_column(Boolean)
    # Consumer protection (items 19, 20).
    complaint_mechanism: Mapped[bool | None] = mapped_column(Boolean)
    diversified_dispute_resolution: Mapped[bool | None] = mapped_column(Boolean)
    first_inquiry_responsibility: Mapped[bool | None] = mapped_column(Boolean)
    complaints: Mapped[int | None] = mapped_column(BigInteger)
    mass_incidents: Mapped[int | None] = mapped_column(BigInteger)
    # The inclusive portfolio (item 18's indicators), summed over the products at ingest (submissions only).
    # Inclusive: dedicated, or naming a target group. Lines and groups as ",a,b," (sorted; LIKE-able).
    inclusive_lines: Mapped[str | None] = mapped_column(String(500))
    inclusive_groups: Mapped[str | None] = mapped_column(String(1000))
    inclusive_insured_persons: Mapped[int | None] = mapped_column(BigInteger)
    inclusive_premium_cny: Mapped[Decimal | None] = mapped_column(Money)
    inclusive_claims_paid_cny: Mapped[Decimal | None] = mapped_column(Money)
    # Claims settled by inclusive products that report settlement days, and those days weighted by them.
    inclusive_claims_settled: Mapped[int | None] = mapped_column(BigInteger)
    inclusive_settlement_days_x_claims: Mapped[Decimal | None] = mapped_column(Money)
    premium_cny: Mapped[Decimal | None] = mapped_column(Money)  # every product's, inclusive or not


class Document(Base):
    """The document exactly as filed. Kept apart from ``submissions``: a document can run to megabytes, and
    on SQLite every column stored after it in the same row would be read through its overflow pages."""

    __tablename__ = "documents"
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"), primary_key=True)
    raw: Mapped[str] = mapped_column(Text)


class GovernanceReview(Base):
    __tablename__ = "governance_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"), index=True)
    body: Mapped[str] = mapped_column(String(20))  # board | management
    review_date: Mapped[date] = mapped_column(Date)


class PeriodQuarter(Base):
    """The calendar quarters a submission's reporting period covers (derived at ingest)."""

    __tablename__ = "period_quarters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))
    quarter_start: Mapped[date] = mapped_column(Date)
    quarter_end: Mapped[date] = mapped_column(Date)


class SolvencyQuarter(Base):
    __tablename__ = "solvency_quarters"
    __table_args__ = (UniqueConstraint("submission_id", "quarter"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"))
    position: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[str] = mapped_column(String(7))
    core_ratio_pct: Mapped[Decimal] = mapped_column(Rate)
    comprehensive_ratio_pct: Mapped[Decimal] = mapped_column(Rate)
    irr_class: Mapped[str] = mapped_column(String(3))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (Index(None, "submission_id", "dedicated_inclusive"),
                      Index(None, "submission_id", "pointer", unique=True))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"))
    pointer: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    line: Mapped[str] = mapped_column(String(30))
    dedicated_inclusive: Mapped[bool] = mapped_column(Boolean)
    target_groups: Mapped[str] = mapped_column(String(500))  # ",elderly,rural_residents," (sorted; LIKE-able)
    target_group_count: Mapped[int] = mapped_column(Integer)
    term: Mapped[str] = mapped_column(String(5))
    sale_start: Mapped[date] = mapped_column(Date)
    sale_end: Mapped[date | None] = mapped_column(Date)
    government_program: Mapped[bool] = mapped_column(Boolean)
    channels: Mapped[str] = mapped_column(String(100))  # ",direct,agency," (LIKE-able)
    premium_rate: Mapped[Decimal] = mapped_column(Rate)
    intermediary_fee_rate: Mapped[Decimal | None] = mapped_column(Rate)
    comparable_code: Mapped[str | None] = mapped_column(String(500))
    comparable_premium_rate: Mapped[Decimal | None] = mapped_column(Rate)
    comparable_fee_rate: Mapped[Decimal | None] = mapped_column(Rate)
    policies_in_force: Mapped[int | None] = mapped_column(BigInteger)
    insured_persons: Mapped[int | None] = mapped_column(BigInteger)
    premium_cny: Mapped[Decimal | None] = mapped_column(Money)
    claims_paid_cny: Mapped[Decimal | None] = mapped_column(Money)
    claims_settled: Mapped[int | None] = mapped_column(BigInteger)
    avg_settlement_days: Mapped[Decimal | None] = mapped_column(Rate)


class Intermediary(Base):
    __tablename__ = "intermediaries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(10))
    agreement_start: Mapped[date] = mapped_column(Date)
    agreement_end: Mapped[date | None] = mapped_column(Date)
    agreement_months: Mapped[int | None] = mapped_column(Integer)  # whole months, end day inclusive; None = open
    covers_inclusive: Mapped[bool] = mapped_column(Boolean)
    insurer_handles_disputes: Mapped[bool] = mapped_column(Boolean)


class Quarantine(Base):
    """A file that ingest refused, with every problem, so that a supervisor can send it back."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str | None] = mapped_column(String(64))
    problems: Mapped[str] = mapped_column(Text)  # JSON list of located problems
    quarantined_at: Mapped[datetime] = mapped_column(DateTime)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(100))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    ruleset_text: Mapped[str] = mapped_column(Text)  # what the run used, so that it can be reproduced
    tool_version: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    selection: Mapped[str] = mapped_column(Text)  # JSON: the options that chose the submissions


class RunSubmission(Base):
    """What a run checked: each submission, the submission whose insurer facts it used, the binding date."""

    __tablename__ = "run_submissions"
    __table_args__ = (UniqueConstraint("run_id", "submission_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(_fk("runs.id"))
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"), index=True)
    context_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    binding_date: Mapped[date] = mapped_column(Date)
    warnings: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of run-level warnings


class Finding(Base):
    __tablename__ = "findings"
    # One index: a run's findings by document, and the counts scoring and summaries need, from the index alone.
    __table_args__ = (Index(None, "run_id", "submission_id", "rule_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(_fk("runs.id"))
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"))
    rule_id: Mapped[str] = mapped_column(String(40))
    clause: Mapped[int] = mapped_column(Integer)
    strength: Mapped[str] = mapped_column(String(12))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(40), default="")  # e.g. the quarter, when a subject has several
    expected: Mapped[str] = mapped_column(String(500))
    actual: Mapped[str] = mapped_column(String(500))
    margin: Mapped[Decimal | None] = mapped_column(Rate)
    dispensation_id: Mapped[str | None] = mapped_column(String(80))


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("run_id", "submission_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(_fk("runs.id"))
    submission_id: Mapped[int] = mapped_column(_fk("submissions.id"))
    compliance: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    blocking: Mapped[bool] = mapped_column(Boolean)
    variety: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    coverage: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    protection: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    service: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    breakdown: Mapped[str] = mapped_column(Text)  # JSON: every input and weight behind the numbers


class Dispensation(Base):
    """An imported dispensation, with history: a changed one is a new version; the old ones stay."""

    __tablename__ = "dispensations"
    __table_args__ = (UniqueConstraint("dispensation_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispensation_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(40))
    insurer_code: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str] = mapped_column(String(500))
    expires: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(1000))
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class RunDispensation(Base):
    """What each dispensation did in a run: applied, expired or unused."""

    __tablename__ = "run_dispensations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(_fk("runs.id"), index=True)
    dispensation_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))
    covered: Mapped[int] = mapped_column(Integer)
    expires: Mapped[date] = mapped_column(Date)
    record: Mapped[str] = mapped_column(Text)  # JSON: the dispensation as applied
