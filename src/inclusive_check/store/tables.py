"""The SQL tables, as plain SQLAlchemy Core ``Table`` objects: documents as stored, the normalized facts
rules read, runs, findings and scores.

Money, rates and finding figures are ``ExactDecimal`` (``columns``): the filed decimal, every digit, on both
backends (NUMERIC on PostgreSQL, decimal text on SQLite), and every comparison or difference a rule makes of
them in SQL is exact (0.049999999999999999 stays below 5%).

Every column states its nullability (``nullable=False``, or nothing for a column that may be NULL), and
code reads columns as ``t.products.c.premium_rate``. The ORM is never imported: it costs every command a
fifth of a second to start.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.sql import text
from sqlalchemy.sql.elements import ColumnElement

from .columns import NAMING, ExactDecimal, Money, Number, Points, Rate, _fk, metadata

insurers = Table(
    "insurers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), unique=True, nullable=False),
    Column("name", String(500)),
)

# One stored revision of one document (a submission or a product filing).
submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("insurer_id", _fk("insurers.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    # What a new revision supersedes: the reporting period of a submission, the product code of a filing.
    Column("document_key", String(80), nullable=False),
    Column("period", String(10)),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("sha256", String(64), unique=True, nullable=False),
    Column("source", String(1000), nullable=False),
    Column("ingested_at", DateTime, nullable=False),
    # Insurer profile as declared for this period (submissions only; the name NULL also for submissions stored
    # before migration 0009, whose name results read from the stored text).
    Column("insurer_name", String(500)),
    Column("insurer_category", String(20)),
    Column("state_owned", Boolean),
    Column("size_class", String(10)),
    Column("total_assets_cny", Money),
    Column("headquarters_region", String(500)),
    # Governance (item 10).
    Column("leadership_system", Boolean),
    Column("lead_department", String(500)),
    Column("assessment_includes_inclusive", Boolean),
    Column("inclusive_kpi_weight", Rate),
    Column("internal_control_policy", Boolean),
    # Service (item 11).
    Column("commitments_premises", Boolean),
    Column("commitments_agency_sites", Boolean),
    Column("commitments_online", Boolean),
    Column("online_underwriting", Boolean),
    Column("online_claims", Boolean),
    Column("inquiry_channel", Boolean),
    Column("elderly_friendly", Boolean),
    Column("accessibility", Boolean),
    # Consumer protection (items 19, 20).
    Column("complaint_mechanism", Boolean),
    Column("diversified_dispute_resolution", Boolean),
    Column("first_inquiry_responsibility", Boolean),
    Column("complaints", BigInteger),
    Column("mass_incidents", BigInteger),
    # The inclusive portfolio (item 18's indicators), summed over the products at ingest (submissions only).
    # Inclusive: dedicated, or naming a target group. Lines and groups as ",a,b," (sorted; LIKE-able).
    Column("inclusive_lines", String(500)),
    Column("inclusive_groups", String(1000)),
    Column("inclusive_insured_persons", BigInteger),
    Column("inclusive_premium_cny", Money),
    Column("inclusive_claims_paid_cny", Money),
    # Claims settled by inclusive products that report settlement days, and those days weighted by them.
    Column("inclusive_claims_settled", BigInteger),
    Column("inclusive_settlement_days_x_claims", Money),
    Column("premium_cny", Money),  # every product's, inclusive or not
    UniqueConstraint("insurer_id", "kind", "document_key", "revision"),
    Index(None, "insurer_id", "kind", "document_key", "is_latest"),
)

# The document exactly as filed. Kept apart from ``submissions``: a document can run to megabytes, and
# on SQLite every column stored after it in the same row would be read through its overflow pages.
documents = Table(
    "documents",
    metadata,
    Column("submission_id", _fk("submissions.id"), primary_key=True),
    Column("raw", Text, nullable=False),
)

governance_reviews = Table(
    "governance_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", _fk("submissions.id"), index=True, nullable=False),
    Column("body", String(20), nullable=False),  # board | management
    Column("review_date", Date, nullable=False),
)

# The calendar quarters a submission's reporting period covers (derived at ingest).
period_quarters = Table(
    "period_quarters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", _fk("submissions.id"), index=True, nullable=False),
    Column("quarter", String(7), nullable=False),
    Column("quarter_start", Date, nullable=False),
    Column("quarter_end", Date, nullable=False),
)

solvency_quarters = Table(
    "solvency_quarters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", _fk("submissions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("quarter", String(7), nullable=False),
    Column("core_ratio_pct", Rate, nullable=False),
    Column("comprehensive_ratio_pct", Rate, nullable=False),
    Column("irr_class", String(3), nullable=False),
    UniqueConstraint("submission_id", "quarter"),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", _fk("submissions.id"), nullable=False),
    Column("pointer", String(40), nullable=False),
    Column("position", Integer, nullable=False),  # the index in the filed list (0 for a filing's one product)
    Column("code", String(64), nullable=False),
    Column("name", String(500), nullable=False),
    Column("line", String(30), nullable=False),
    Column("dedicated_inclusive", Boolean, nullable=False),
    Column("target_groups", String(500), nullable=False),  # ",elderly,rural_residents," (sorted; LIKE-able)
    Column("target_group_count", Integer, nullable=False),
    Column("risk_areas", String(500), server_default="", nullable=False),  # ",public_health,road_safety," (item 8)
    Column("term", String(5), nullable=False),
    Column("sale_start", Date, nullable=False),
    Column("sale_end", Date),
    Column("government_program", Boolean, nullable=False),
    Column("channels", String(100), nullable=False),  # ",direct,agency," (LIKE-able)
    Column("premium_rate", Rate, nullable=False),
    Column("intermediary_fee_rate", Rate),
    Column("comparable_code", String(500)),
    Column("comparable_premium_rate", Rate),
    Column("comparable_fee_rate", Rate),
    Column("policies_in_force", BigInteger),
    Column("insured_persons", BigInteger),
    Column("premium_cny", Money),
    Column("claims_paid_cny", Money),
    Column("claims_settled", BigInteger),
    Column("avg_settlement_days", Rate),
    # The offset (in characters) of the product's object in its document's stored text: JSON only (NULL for
    # YAML, and for products stored before 0008). Findings are located from it (results.locate).
    Column("source_offset", Integer),
    # In filed order within (submission, dedicated): "the first product that ..." is a probe, not a sort.
    Index(None, "submission_id", "dedicated_inclusive", "position"),
    Index(None, "submission_id", "pointer", unique=True),
    Index(None, "submission_id", "code"),  # items 8 and 12: a named comparable filed in the same submission
    # The solvency gate counts each quarter's dedicated products on sale from this index alone. Migration 0003
    # makes it partial on both backends; here only SQLite's condition is named, for the in-memory database of
    # `check` (create_all): naming PostgreSQL's would import its dialect into every start, ~40 ms.
    Index(
        "ix_products_dedicated_sale_window",
        "submission_id",
        "sale_start",
        "sale_end",
        sqlite_where=text("dedicated_inclusive IS 1"),
    ),
)

# A submission's inclusive business by region (schema 1.2; item 18: by region), as filed; ``province`` is the
# province a prefecture code lies in (the code itself for a province), so that regions add up to provinces.
submission_regions = Table(
    "submission_regions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", _fk("submissions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("region", String(6), nullable=False),
    Column("province", String(6), nullable=False),
    Column("policies", BigInteger, nullable=False),
    Column("insured_persons", BigInteger, nullable=False),
    Column("premium_cny", Money, nullable=False),
    Column("claims_paid_cny", Money, nullable=False),
    UniqueConstraint("submission_id", "region"),
)

intermediaries = Table(
    "intermediaries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", _fk("submissions.id"), index=True, nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("type", String(10), nullable=False),
    Column("agreement_start", Date, nullable=False),
    Column("agreement_end", Date),
    Column("agreement_months", Integer),  # whole months, end day inclusive; None = open
    Column("covers_inclusive", Boolean, nullable=False),
    Column("insurer_handles_disputes", Boolean, nullable=False),
)

# A file that ingest refused, with every problem, so that a supervisor can send it back.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(1000), nullable=False),
    Column("sha256", String(64)),
    Column("problems", Text, nullable=False),  # JSON list of located problems
    Column("quarantined_at", DateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ruleset_id", String(100), nullable=False),
    Column("ruleset_version", String(40), nullable=False),
    Column("ruleset_sha256", String(64), nullable=False),
    Column("ruleset_text", Text, nullable=False),  # what the run used, so that it can be reproduced
    Column("tool_version", String(40), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("selection", Text, nullable=False),  # JSON: the options that chose the submissions
    Column("texts", Text),  # JSON: the rules' titles and message templates its reports show (run_texts); NULL
    # in runs stored before migration 0007
)

# What a run checked: each submission, the submission whose insurer facts it used, the binding date.
run_submissions = Table(
    "run_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", _fk("runs.id"), nullable=False),
    Column("submission_id", _fk("submissions.id"), index=True, nullable=False),
    Column("context_submission_id", ForeignKey("submissions.id", ondelete="SET NULL")),
    Column("binding_date", Date, nullable=False),
    Column("warnings", Text, default="[]", nullable=False),  # JSON list of run-level warnings
    # The run whose findings and score are this document's in this run: itself, or an earlier run that judged
    # the document on the same inputs (the same ``reuse_key``; see engine.reuse_keys and queries.held_by).
    Column("findings_run_id", _fk("runs.id"), nullable=False),
    Column("reuse_key", String(64), index=True),  # NULL: stored before migration 0009, never taken over
    UniqueConstraint("run_id", "submission_id"),
)

# Derived data (``run --reproduce`` rebuilds every row), so no foreign keys (migration 0021): a run's findings
# are written in the run's transaction from that run's documents, and nothing deletes a run, submission or product.
findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, nullable=False),
    Column("submission_id", Integer, nullable=False),
    Column("rule_id", String(40), nullable=False),
    Column("clause", Integer, nullable=False),
    Column("strength", String(12), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("key", String(40), default="", nullable=False),  # e.g. the quarter, when a subject has several
    Column("expected", String(500), nullable=False),
    Column("actual", String(500), nullable=False),
    # The product the finding is about (NULL: the document, a quarter, an agreement).
    Column("product_id", Integer),
    # Numbers, not text: ``value`` (what was filed), ``threshold`` (what it is held to), ``margin`` (the
    # distance), ``reference`` (a second filed figure the texts name), all in ``unit``: rate (a fraction, shown
    # as %), count, cny, days, months, pct (a percentage as filed) or "" (none). Texts name them as {value},
    # {threshold}, {reference}; results fill them in per language.
    Column("value", Number),
    Column("threshold", Number),
    Column("reference", Number),
    Column("unit", String(10), server_default="", nullable=False),
    Column("margin", Number),
    Column("dispensation_id", String(80)),
    # One index: a run's findings by document, and the counts scoring and summaries need, from the index alone.
    Index(None, "run_id", "submission_id", "rule_id", "status"),
)


scores = Table(
    "scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", _fk("runs.id"), nullable=False),
    Column("submission_id", _fk("submissions.id"), nullable=False),
    Column("compliance", Points),  # NULL: not scored (the breakdown says why)
    Column("blocking", Boolean, nullable=False),
    Column("variety", Points),
    Column("coverage", Points),
    Column("protection", Points),
    Column("service", Points),
    Column("breakdown", Text, nullable=False),  # JSON: every input and weight behind the numbers
    UniqueConstraint("run_id", "submission_id"),
)


_served = run_submissions.alias("served")


def held_by(table: Table, run_id: Any) -> ColumnElement[bool]:
    """The rows of ``table`` (findings or scores) that are run ``run_id``'s: those it stored itself, and those
    of earlier runs it took over for documents judged on the same inputs (``run_submissions.findings_run_id``).
    ``run_id`` may be a column (a correlated subquery). The one way a run's findings and scores are read."""
    return and_(
        _served.c.run_id == run_id,
        table.c.run_id == _served.c.findings_run_id,
        table.c.submission_id == _served.c.submission_id,
    )


# An imported dispensation, with history: a changed one is a new version; the old ones stay.
dispensations = Table(
    "dispensations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dispensation_id", String(80), nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("rule_id", String(40), nullable=False),
    Column("insurer_code", String(40), nullable=False),
    Column("subject", String(200)),
    Column("period", String(10)),
    Column("reason", Text, nullable=False),
    Column("approved_by", String(500), nullable=False),
    Column("reference", String(500), nullable=False),
    Column("expires", Date, nullable=False),
    Column("source", String(1000), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("dispensation_id", "version"),
)

# What each dispensation did in a run: applied, expired or unused.
run_dispensations = Table(
    "run_dispensations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", _fk("runs.id"), index=True, nullable=False),
    Column("dispensation_id", String(80), nullable=False),
    Column("status", String(10), nullable=False),
    Column("covered", Integer, nullable=False),
    Column("expires", Date, nullable=False),
    Column("record", Text, nullable=False),  # JSON: the dispensation as applied
)


# Reference figures per region and year (population, GDP, the whole market's premium income) and targets per
# region, indicator and year: each import that changes a value adds a version and keeps the earlier ones.
reference_values = Table(
    "reference_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("indicator", String(30), nullable=False),
    Column("value", Money, nullable=False),
    Column("source", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("file", String(1000), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("region", "year", "indicator", "version"),
)
targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region", String(6), nullable=False),
    Column("indicator", String(30), nullable=False),
    Column("year", Integer, nullable=False),
    Column("value", Money, nullable=False),
    Column("citation", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("file", String(1000), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("region", "indicator", "year", "version"),
)


# The portal's and the season's tables live in portal_tables.py, on the same metadata; read them from here too.
# The notifications' outbox and marks (migration 0019).
from .notify_tables import notify_marks, notify_outbox  # noqa: E402
from .portal_tables import (  # noqa: E402
    calendar_periods,
    portal_audit_log,
    portal_dispensation_requests,
    portal_login_failures,
    portal_receipts,
    portal_responses,
    portal_reviews,
    portal_revisions,
    portal_sessions,
    portal_tokens,
    portal_users,
    register_insurers,
)

__all__ = [
    "NAMING",
    "ExactDecimal",
    "Money",
    "Number",
    "Points",
    "Rate",
    "calendar_periods",
    "metadata",
    "notify_marks",
    "notify_outbox",
    "portal_audit_log",
    "portal_dispensation_requests",
    "portal_login_failures",
    "portal_receipts",
    "portal_responses",
    "portal_reviews",
    "portal_revisions",
    "portal_sessions",
    "portal_tokens",
    "portal_users",
    "register_insurers",
]
