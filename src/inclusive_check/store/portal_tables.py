"""The filing portal's tables (migration 0011, 0013) and the filing season's (0017): accounts, revisions, responses,
requests, receipts, reviews, the audit log, the register and the calendar. Defined on the store's one ``MetaData``;
``tables`` re-exports them, so code reads them as ``t.portal_users``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .columns import Points, _fk, metadata

# --- the filing portal (`inclusive-check serve`, migration 0011; see docs/portal.md) ---------------------------

# An account: a filer is bound to one insurer (by code: the insurer may not have filed yet); a supervisor to none.
portal_users = Table(
    "portal_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), unique=True, nullable=False),
    Column("role", String(12), nullable=False),  # filer | supervisor
    Column("insurer_code", String(40)),
    Column("password_hash", String(200), nullable=False),  # Argon2id, in its PHC string
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime),  # set: no login, no session, no token (migration 0013)
    Column("email", String(254)),  # where notifications are sent (migration 0019); none: the inbox only
    Column("lang", String(2)),  # zh or en: the notifications' language (none: both)
)

# API tokens and browser sessions: only the SHA-256 of the secret is stored.
portal_tokens = Table(
    "portal_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", _fk("portal_users.id"), index=True, nullable=False),
    Column("token_hash", String(64), unique=True, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("name", String(100)),  # what the token is for (migration 0013, as the columns below)
    Column("expires_at", DateTime),  # always set since 0013; portal configuration token_days / token_max_days
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", _fk("portal_users.id"), index=True, nullable=False),
    Column("token_hash", String(64), unique=True, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# Failed logins, counted per account and per address over a window (the rate limit holds across workers).
portal_login_failures = Table(
    "portal_login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(100), index=True, nullable=False),
    Column("address", String(64), index=True, nullable=False),
    Column("at", DateTime, nullable=False),
)

# One upload for an insurer and period: the next sequence number, never overwritten. A valid one points at the
# stored document (submissions) and the run that judged it (its findings are the revision's); an invalid one
# keeps its located problems.
portal_revisions = Table(
    "portal_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("insurer_code", String(40), nullable=False),
    Column("period", String(10), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("submission_id", ForeignKey("submissions.id")),
    Column("run_id", ForeignKey("runs.id")),
    Column("problems", Text, nullable=False),  # JSON list of located problems ([] when valid)
    Column("blocking", Boolean, nullable=False),  # invalid, a mandatory failure or the solvency gate
    Column("compliance", Points),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
    # a product filing's (migration 0020): its period column is then the filing's key (portal/revisions.py)
    Column("product_code", String(40)),
    Column("filing_date", Date),
    UniqueConstraint("insurer_code", "period", "sequence"),
)

# The filer's word on a non-blocking finding of a revision (by the finding's fingerprint).
portal_responses = Table(
    "portal_responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", _fk("portal_revisions.id"), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("carried_from", Integer),  # the earlier revision's sequence when carried over (migration 0020)
    UniqueConstraint("revision_id", "fingerprint"),
)

portal_dispensation_requests = Table(
    "portal_dispensation_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", _fk("portal_revisions.id"), index=True, nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("rule_id", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime, nullable=False),
    Column("state", String(10), nullable=False),  # pending | approved | refused
    Column("decided_by", String(100)),
    Column("decided_at", DateTime),
    Column("note", Text),
    Column("expires", Date),
    Column("dispensation_id", String(80)),  # the stored dispensation an approval became
    UniqueConstraint("revision_id", "fingerprint"),
)

# A signature: the receipt of a revision (at most one per revision).
portal_receipts = Table(
    "portal_receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", _fk("portal_revisions.id"), unique=True, nullable=False),
    Column("insurer_code", String(40), nullable=False),
    Column("period", String(10), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("signer", String(100), nullable=False),
    Column("signed_at", DateTime, nullable=False),
)

# A supervisor's decision on a signed revision: returned (with a note) or accepted.
portal_reviews = Table(
    "portal_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", _fk("portal_revisions.id"), index=True, nullable=False),
    Column("action", String(10), nullable=False),  # returned | accepted
    Column("note", Text, nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
)

# Every state change: who, when, what, from which address. Append-only: triggers refuse UPDATE, DELETE, TRUNCATE.
portal_audit_log = Table(
    "portal_audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("address", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("insurer_code", String(40)),
    Column("period", String(10)),
    Column("detail", Text, nullable=False),  # JSON
)

# --- the filing season (migration 0017; see docs/portal.md "The filing season") --------------------------------

# The register of supervised insurers, with history: a changed insurer is a new version; the old ones stay.
register_insurers = Table(
    "register_insurers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("institution_group", String(20), nullable=False),
    Column("ownership", String(10), nullable=False),
    Column("size_class", String(10), nullable=False),
    Column("files", String(10), nullable=False),  # quarterly, annual or both
    Column("source", String(1000), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("code", "version"),
)

# The filing calendar, with history: a period's opening, due dates and extensions; a change is a new version.
calendar_periods = Table(
    "calendar_periods",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("opens", Date, nullable=False),
    Column("record", Text, nullable=False),  # JSON: the period as in the file (due dates, extensions)
    Column("source", String(1000), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("period", "version"),
)
