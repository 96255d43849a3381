"""The SQL tables: documents as stored, the normalized facts rules read, runs, findings and scores.

Money and rates are ``Numeric``. On PostgreSQL they are exact NUMERIC; on SQLite they are stored
as REAL, and since the contract caps numbers at 15 significant digits, every comparison a rule
makes in SQL keeps decimal order and equality (5% stays exactly 5%).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import text
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


if TYPE_CHECKING:  # typed as the ORM's mapped attributes (what the expressions are written against)
    from sqlalchemy.orm import InstrumentedAttribute as Col
else:  # at run time: a class attribute below is its table's column
    Col = Column


def col(*args: Any, **kwargs: Any) -> Any:
    return Column(*args, **kwargs)


class Base:
    """Tables declared as classes, in SQLAlchemy Core (the ORM is never imported: it costs every command
    a fifth of a second to start). ``Table.column`` is the Column; ``Table.__table__`` the Table. A column
    is NOT NULL unless its annotation admits None, as with the ORM's ``Mapped``."""

    metadata: ClassVar[MetaData] = MetaData(naming_convention=NAMING)
    __tablename__: ClassVar[str]
    __table__: ClassVar[Table]
    __table_args__: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        columns = []
        for name, value in vars(cls).items():
            if isinstance(value, Column):
                value.name = value.key = name
                value.nullable = value.primary_key is False and "None" in str(cls.__annotations__[name])
                columns.append(value)
        cls.__table__ = Table(cls.__tablename__, cls.metadata, *columns, *cls.__table_args__)

    @classmethod
    def __clause_element__(cls) -> Table:  # insert(t.Finding), select(t.Submission): the table
        return cls.__table__


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


class Insurer(Base):
    __tablename__ = "insurers"
    id: Col[int] = col(Integer, primary_key=True)
    code: Col[str] = col(String(40), unique=True)
    name: Col[str | None] = col(String(500))


class Submission(Base):
    """One stored revision of one document (a submission or a product filing)."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("insurer_id", "kind", "document_key", "revision"),
        Index(None, "insurer_id", "kind", "document_key", "is_latest"),
    )
    id: Col[int] = col(Integer, primary_key=True)
    insurer_id: Col[int] = col(_fk("insurers.id"))
    kind: Col[str] = col(String(20))
    # What a new revision supersedes: the reporting period of a submission, the product code of a filing.
    document_key: Col[str] = col(String(80))
    period: Col[str | None] = col(String(10))
    period_start: Col[date] = col(Date)
    period_end: Col[date] = col(Date)
    revision: Col[int] = col(Integer)
    is_latest: Col[bool] = col(Boolean)
    sha256: Col[str] = col(String(64), unique=True)
    source: Col[str] = col(String(1000))
    ingested_at: Col[datetime] = col(DateTime)
    # Insurer profile as declared for this period (submissions only).
    insurer_category: Col[str | None] = col(String(20))
    state_owned: Col[bool | None] = col(Boolean)
    size_class: Col[str | None] = col(String(10))
    total_assets_cny: Col[Decimal | None] = col(Money)
    headquarters_region: Col[str | None] = col(String(500))
    # Governance (item 10).
    leadership_system: Col[bool | None] = col(Boolean)
    lead_department: Col[str | None] = col(String(500))
    assessment_includes_inclusive: Col[bool | None] = col(Boolean)
    inclusive_kpi_weight: Col[Decimal | None] = col(Rate)
    internal_control_policy: Col[bool | None] = col(Boolean)
    # Service (item 11).
    commitments_premises: Col[bool | None] = col(Boolean)
    commitments_agency_sites: Col[bool | None] = col(Boolean)
    commitments_online: Col[bool | None] = col(Boolean)
    online_underwriting: Col[bool | None] = col(Boolean)
    online_claims: Col[bool | None] = col(Boolean)
    inquiry_channel: Col[bool | None] = col(Boolean)
    elderly_friendly: Col[bool | None] = col(Boolean)
    accessibility: Col[bool | None] = col(Boolean)
    # Consumer protection (items 19, 20).
    complaint_mechanism: Col[bool | None] = col(Boolean)
    diversified_dispute_resolution: Col[bool | None] = col(Boolean)
    first_inquiry_responsibility: Col[bool | None] = col(Boolean)
    complaints: Col[int | None] = col(BigInteger)
    mass_incidents: Col[int | None] = col(BigInteger)
    # The inclusive portfolio (item 18's indicators), summed over the products at ingest (submissions only).
    # Inclusive: dedicated, or naming a target group. Lines and groups as ",a,b," (sorted; LIKE-able).
    inclusive_lines: Col[str | None] = col(String(500))
    inclusive_groups: Col[str | None] = col(String(1000))
    inclusive_insured_persons: Col[int | None] = col(BigInteger)
    inclusive_premium_cny: Col[Decimal | None] = col(Money)
    inclusive_claims_paid_cny: Col[Decimal | None] = col(Money)
    # Claims settled by inclusive products that report settlement days, and those days weighted by them.
    inclusive_claims_settled: Col[int | None] = col(BigInteger)
    inclusive_settlement_days_x_claims: Col[Decimal | None] = col(Money)
    premium_cny: Col[Decimal | None] = col(Money)  # every product's, inclusive or not


class Document(Base):
    """The document exactly as filed. Kept apart from ``submissions``: a document can run to megabytes, and
    on SQLite every column stored after it in the same row would be read through its overflow pages."""

    __tablename__ = "documents"
    submission_id: Col[int] = col(_fk("submissions.id"), primary_key=True)
    raw: Col[str] = col(Text)


class GovernanceReview(Base):
    __tablename__ = "governance_reviews"
    id: Col[int] = col(Integer, primary_key=True)
    submission_id: Col[int] = col(_fk("submissions.id"), index=True)
    body: Col[str] = col(String(20))  # board | management
    review_date: Col[date] = col(Date)


class PeriodQuarter(Base):
    """The calendar quarters a submission's reporting period covers (derived at ingest)."""

    __tablename__ = "period_quarters"
    id: Col[int] = col(Integer, primary_key=True)
    submission_id: Col[int] = col(_fk("submissions.id"), index=True)
    quarter: Col[str] = col(String(7))
    quarter_start: Col[date] = col(Date)
    quarter_end: Col[date] = col(Date)


class SolvencyQuarter(Base):
    __tablename__ = "solvency_quarters"
    __table_args__ = (UniqueConstraint("submission_id", "quarter"),)
    id: Col[int] = col(Integer, primary_key=True)
    submission_id: Col[int] = col(_fk("submissions.id"))
    position: Col[int] = col(Integer)
    quarter: Col[str] = col(String(7))
    core_ratio_pct: Col[Decimal] = col(Rate)
    comprehensive_ratio_pct: Col[Decimal] = col(Rate)
    irr_class: Col[str] = col(String(3))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index(None, "submission_id", "dedicated_inclusive"),
        Index(None, "submission_id", "pointer", unique=True),
        Index(None, "submission_id", "code"),  # items 8 and 12: a named comparable filed in the same submission
        # The solvency gate counts each quarter's dedicated products on sale from this index alone.
        Index("ix_products_dedicated_sale_window", "submission_id", "sale_start", "sale_end",
              sqlite_where=text("dedicated_inclusive IS 1"), postgresql_where=text("dedicated_inclusive IS true")),
    )
    id: Col[int] = col(Integer, primary_key=True)
    submission_id: Col[int] = col(_fk("submissions.id"))
    pointer: Col[str] = col(String(40))
    code: Col[str] = col(String(64))
    name: Col[str] = col(String(500))
    line: Col[str] = col(String(30))
    dedicated_inclusive: Col[bool] = col(Boolean)
    target_groups: Col[str] = col(String(500))  # ",elderly,rural_residents," (sorted; LIKE-able)
    target_group_count: Col[int] = col(Integer)
    risk_areas: Col[str] = col(String(500), server_default="")  # ",public_health,road_safety," (item 8)
    term: Col[str] = col(String(5))
    sale_start: Col[date] = col(Date)
    sale_end: Col[date | None] = col(Date)
    government_program: Col[bool] = col(Boolean)
    channels: Col[str] = col(String(100))  # ",direct,agency," (LIKE-able)
    premium_rate: Col[Decimal] = col(Rate)
    intermediary_fee_rate: Col[Decimal | None] = col(Rate)
    comparable_code: Col[str | None] = col(String(500))
    comparable_premium_rate: Col[Decimal | None] = col(Rate)
    comparable_fee_rate: Col[Decimal | None] = col(Rate)
    policies_in_force: Col[int | None] = col(BigInteger)
    insured_persons: Col[int | None] = col(BigInteger)
    premium_cny: Col[Decimal | None] = col(Money)
    claims_paid_cny: Col[Decimal | None] = col(Money)
    claims_settled: Col[int | None] = col(BigInteger)
    avg_settlement_days: Col[Decimal | None] = col(Rate)


class Intermediary(Base):
    __tablename__ = "intermediaries"
    id: Col[int] = col(Integer, primary_key=True)
    submission_id: Col[int] = col(_fk("submissions.id"), index=True)
    position: Col[int] = col(Integer)
    name: Col[str] = col(String(500))
    type: Col[str] = col(String(10))
    agreement_start: Col[date] = col(Date)
    agreement_end: Col[date | None] = col(Date)
    agreement_months: Col[int | None] = col(Integer)  # whole months, end day inclusive; None = open
    covers_inclusive: Col[bool] = col(Boolean)
    insurer_handles_disputes: Col[bool] = col(Boolean)


class Quarantine(Base):
    """A file that ingest refused, with every problem, so that a supervisor can send it back."""

    __tablename__ = "quarantine"
    id: Col[int] = col(Integer, primary_key=True)
    source: Col[str] = col(String(1000))
    sha256: Col[str | None] = col(String(64))
    problems: Col[str] = col(Text)  # JSON list of located problems
    quarantined_at: Col[datetime] = col(DateTime)


class Run(Base):
    __tablename__ = "runs"
    id: Col[int] = col(Integer, primary_key=True)
    ruleset_id: Col[str] = col(String(100))
    ruleset_version: Col[str] = col(String(40))
    ruleset_sha256: Col[str] = col(String(64))
    ruleset_text: Col[str] = col(Text)  # what the run used, so that it can be reproduced
    tool_version: Col[str] = col(String(40))
    as_of: Col[date] = col(Date)
    started_at: Col[datetime] = col(DateTime)
    finished_at: Col[datetime | None] = col(DateTime)
    selection: Col[str] = col(Text)  # JSON: the options that chose the submissions


class RunSubmission(Base):
    """What a run checked: each submission, the submission whose insurer facts it used, the binding date."""

    __tablename__ = "run_submissions"
    __table_args__ = (UniqueConstraint("run_id", "submission_id"),)
    id: Col[int] = col(Integer, primary_key=True)
    run_id: Col[int] = col(_fk("runs.id"))
    submission_id: Col[int] = col(_fk("submissions.id"), index=True)
    context_submission_id: Col[int | None] = col(ForeignKey("submissions.id", ondelete="SET NULL"))
    binding_date: Col[date] = col(Date)
    warnings: Col[str] = col(Text, default="[]")  # JSON list of run-level warnings


class Finding(Base):
    __tablename__ = "findings"
    # One index: a run's findings by document, and the counts scoring and summaries need, from the index alone.
    __table_args__ = (Index(None, "run_id", "submission_id", "rule_id", "status"),)
    id: Col[int] = col(Integer, primary_key=True)
    run_id: Col[int] = col(_fk("runs.id"))
    submission_id: Col[int] = col(_fk("submissions.id"))
    rule_id: Col[str] = col(String(40))
    clause: Col[int] = col(Integer)
    strength: Col[str] = col(String(12))
    severity: Col[str] = col(String(8))
    status: Col[str] = col(String(16))
    subject: Col[str] = col(String(200))
    key: Col[str] = col(String(40), default="")  # e.g. the quarter, when a subject has several
    expected: Col[str] = col(String(500))
    actual: Col[str] = col(String(500))
    margin: Col[Decimal | None] = col(Rate)
    dispensation_id: Col[str | None] = col(String(80))


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("run_id", "submission_id"),)
    id: Col[int] = col(Integer, primary_key=True)
    run_id: Col[int] = col(_fk("runs.id"))
    submission_id: Col[int] = col(_fk("submissions.id"))
    compliance: Col[Decimal | None] = col(Numeric(6, 2))  # NULL: not scored (the breakdown says why)
    blocking: Col[bool] = col(Boolean)
    variety: Col[Decimal | None] = col(Numeric(6, 2))
    coverage: Col[Decimal | None] = col(Numeric(6, 2))
    protection: Col[Decimal | None] = col(Numeric(6, 2))
    service: Col[Decimal | None] = col(Numeric(6, 2))
    breakdown: Col[str] = col(Text)  # JSON: every input and weight behind the numbers


class Dispensation(Base):
    """An imported dispensation, with history: a changed one is a new version; the old ones stay."""

    __tablename__ = "dispensations"
    __table_args__ = (UniqueConstraint("dispensation_id", "version"),)
    id: Col[int] = col(Integer, primary_key=True)
    dispensation_id: Col[str] = col(String(80))
    version: Col[int] = col(Integer)
    is_current: Col[bool] = col(Boolean)
    digest: Col[str] = col(String(64))
    rule_id: Col[str] = col(String(40))
    insurer_code: Col[str] = col(String(40))
    subject: Col[str | None] = col(String(200))
    period: Col[str | None] = col(String(10))
    reason: Col[str] = col(Text)
    approved_by: Col[str] = col(String(500))
    reference: Col[str] = col(String(500))
    expires: Col[date] = col(Date)
    source: Col[str] = col(String(1000))
    imported_at: Col[datetime] = col(DateTime)


class RunDispensation(Base):
    """What each dispensation did in a run: applied, expired or unused."""

    __tablename__ = "run_dispensations"
    id: Col[int] = col(Integer, primary_key=True)
    run_id: Col[int] = col(_fk("runs.id"), index=True)
    dispensation_id: Col[str] = col(String(80))
    status: Col[str] = col(String(10))
    covered: Col[int] = col(Integer)
    expires: Col[date] = col(Date)
    record: Col[str] = col(Text)  # JSON: the dispensation as applied
