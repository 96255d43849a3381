"""What the portal does, apart from HTTP: accounts, uploads judged by the engine, responses, requests,
signatures, reviews, the board and the audit log. The API and the pages both call these functions.

Each state change is one transaction (``writing(engine).begin()``) with its audit row. Judging is the engine's:
an upload is parsed by ``contract.load``, stored by ``store.ingest`` and judged by ``engine.record_run``; what a
revision found is read back through ``results.run_results`` (the typed results contract).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from ..contract.dispensations import Dispensation
from ..contract.load import locate_messages, parse_bytes
from ..contract.models import Submission
from ..contract.outputs import DiffResult, SubmissionResult
from ..engine import Selection, record_run
from ..periods import PERIOD
from ..results import diff_runs, run_results
from ..ruleset import Ruleset
from ..store import tables as t
from ..store.board import expected, season_board, status_rows
from ..store.db import advisory_lock, writing
from ..store.dispensations import applied_dispensations, current_dispensations, store_dispensations
from ..store.ingest import quarantine, store_document
from .config import PortalConfig

ROLES = ("filer", "supervisor")
TEXT_LIMIT = 4000  # characters of a response, reason or note


class NotFound(Exception):
    """Nothing the caller may see (another insurer's resource answers this too: 404, never 403)."""


class Conflict(Exception):
    """The request is understood but the filing's state refuses it (409); the message says why."""


class Unprocessable(Exception):
    """A well-formed request whose content is refused (422); the message says what."""


class Refused(Unprocessable):
    """An upload refused before anything is stored (422): ``problems`` locate why in the document."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__("; ".join(f"{p.pointer} ({p.line}:{p.column}): {p.message}" for p in problems))
        self.problems = problems


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins; wait and try again")
        self.retry_after = retry_after


class BadLogin(Exception):
    """Unknown account or wrong password (the same answer for both)."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    insurer: str | None

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"

    def may_see(self, insurer: str) -> bool:
        return self.supervisor or insurer == self.insurer


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, RFC 9106's second recommended parameters


def audit(
    conn: Connection,
    actor: str,
    address: str,
    action: str,
    insurer: str | None = None,
    period: str | None = None,
    **detail: Any,
) -> None:
    conn.execute(
        insert(t.portal_audit_log).values(
            at=now(),
            actor=actor,
            address=address[:64],
            action=action,
            insurer_code=insurer,
            period=period,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


# --- accounts -----------------------------------------------------------------------------------------------


def create_user(engine: Engine, name: str, role: str, insurer: str | None, password: str) -> int:
    if role not in ROLES:
        raise Unprocessable(f"role must be one of {', '.join(ROLES)}")
    if (role == "filer") != bool(insurer):
        raise Unprocessable("a filer needs --insurer CODE; a supervisor takes none")
    if not name or len(name) > 100 or not name.isprintable():
        raise Unprocessable("the name must be 1-100 printable characters")
    if len(password) < 8:
        raise Unprocessable("the password must have at least 8 characters")
    u = t.portal_users.c
    with writing(engine).begin() as conn:
        if conn.execute(select(u.id).where(u.name == name)).first() is not None:
            raise Conflict(f"a user named {name!r} exists")
        user_id = int(
            conn.execute(
                insert(t.portal_users)
                .values(
                    name=name, role=role, insurer_code=insurer, password_hash=_hasher().hash(password), created_at=now()
                )
                .returning(u.id)
            ).scalar_one()
        )
        audit(conn, "cli", "local", "user.create", insurer, user=name, role=role)
    return user_id


def _user(row: Any) -> User:
    return User(int(row.id), row.name, row.role, row.insurer_code)


def session_user(engine: Engine, token: str) -> User | None:
    u, s = t.portal_users.c, t.portal_sessions.c
    with engine.connect() as conn:
        row = conn.execute(
            select(u.id, u.name, u.role, u.insurer_code)
            .join(t.portal_sessions, s.user_id == u.id)
            .where(s.token_hash == _hash(token), s.expires_at > now(), u.disabled_at.is_(None))
        ).first()
    return None if row is None else _user(row)


def login(engine: Engine, config: PortalConfig, name: str, password: str, address: str) -> tuple[str, User]:
    """A new session for ``name``; failed attempts are counted per account and address and, past the limits
    within the window, refused without checking the password (RateLimited)."""
    from argon2.exceptions import VerificationError

    u, f = t.portal_users.c, t.portal_login_failures.c
    since = now() - timedelta(minutes=config.login_window_minutes)
    with engine.connect() as conn:
        by_account = conn.execute(select(func.count()).where(f.account == name[:100], f.at > since)).scalar_one()
        by_address = conn.execute(select(func.count()).where(f.address == address[:64], f.at > since)).scalar_one()
        row = conn.execute(select(t.portal_users).where(u.name == name, u.disabled_at.is_(None))).first()
    if by_account >= config.login_failures_per_account or by_address >= config.login_failures_per_address:
        raise RateLimited(config.login_window_minutes * 60)
    ok = False
    try:
        # an unknown account costs a verification too, so that timing does not tell which names exist
        ok = _hasher().verify(row.password_hash if row else _dummy_hash(), password)
    except VerificationError:
        ok = False
    with writing(engine).begin() as conn:
        if not ok or row is None:
            conn.execute(insert(t.portal_login_failures).values(account=name[:100], address=address[:64], at=now()))
            audit(conn, name[:100] or "-", address, "login.failed")
            failed = True
        else:
            token = secrets.token_urlsafe(32)
            conn.execute(
                insert(t.portal_sessions).values(
                    user_id=row.id,
                    token_hash=_hash(token),
                    created_at=now(),
                    expires_at=now() + timedelta(hours=config.session_hours),
                )
            )
            audit(conn, row.name, address, "login", row.insurer_code)
            failed = False
    if failed or row is None:
        raise BadLogin("unknown account or wrong password")
    return token, _user(row)


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against for an unknown account, made on first use (hashing costs ~50 ms)."""
    if not _dummy:
        _dummy.append(_hasher().hash(secrets.token_hex(16)))
    return _dummy[0]


def logout(engine: Engine, token: str, user: User, address: str) -> None:
    s = t.portal_sessions.c
    with writing(engine).begin() as conn:
        conn.execute(t.portal_sessions.delete().where(s.token_hash == _hash(token)))
        audit(conn, user.name, address, "logout", user.insurer)


# --- revisions ----------------------------------------------------------------------------------------------


def _check_period(period: str) -> None:
    if not PERIOD.match(period):
        raise NotFound(f"no period {period!r} (a year such as 2025 or a quarter such as 2025-Q4)")


def _visible(user: User, insurer: str, period: str) -> None:
    if not user.may_see(insurer):
        raise NotFound(f"no filing for {insurer} {period}")
    _check_period(period)


def _mismatches(loaded: Any, insurer: str, period: str) -> list[tuple[str, str]]:
    doc = loaded.document
    if not isinstance(doc, Submission):
        return [("/kind", "the portal takes an insurer's submission for a period; check product filings with `check`")]
    out = []
    if doc.insurer.code != insurer:
        out.append(("/insurer/code", f"the document is for insurer {doc.insurer.code}, this filing is {insurer}'s"))
    if doc.reporting_period != period:
        out.append(("/reporting_period", f"the document is for period {doc.reporting_period}, this filing is {period}"))
    return out


def blocking_finding(f: Any) -> bool:
    """An open error that cannot be responded to: anything but a principle failure (mandatory, gate, evidence)."""
    return f.status in ("fail", "indeterminate") and f.severity == "error" and not _principle_fail(f)


def _principle_fail(f: Any) -> bool:
    return bool(f.status == "fail" and f.strength == "principle")


def needs_response(f: Any) -> bool:
    """An open finding the filer must answer before signing: a principle failure or a warning."""
    return f.status in ("fail", "indeterminate") and not blocking_finding(f) and f.severity in ("error", "warning")


def upload(
    engine: Engine,
    ruleset: Ruleset,
    user: User,
    address: str,
    insurer: str,
    period: str,
    raw: bytes,
    suffix: str,
    as_of: date | None = None,
) -> int:
    """Record ``raw`` as the next revision of the filing and judge it; return its sequence number. One
    transaction: concurrent uploads of the same filing take turns for the sequence (advisory lock / SQLite's
    single writer), so none is lost or numbered twice."""
    if user.supervisor or user.insurer != insurer:
        raise NotFound(f"no filing for {insurer} {period}")
    _check_period(period)
    r = t.portal_revisions.c
    sha = hashlib.sha256(raw).hexdigest()
    with writing(engine).begin() as conn:
        advisory_lock(conn, "portal-filing", insurer, period)
        _refuse_if_accepted(conn, insurer, period)
        sequence = (
            int(
                conn.execute(
                    select(func.coalesce(func.max(r.sequence), 0)).where(r.insurer_code == insurer, r.period == period)
                ).scalar_one()
            )
            + 1
        )
        source = f"portal:{insurer}/{period}/{sequence}{suffix}"
        loaded = parse_bytes(raw, source, suffix)
        if loaded.ok:
            wrong = _mismatches(loaded, insurer, period)
            if wrong:  # another insurer's or period's document: refused, nothing stored
                raise Refused(locate_messages(source, raw.decode("utf-8"), suffix in (".yaml", ".yml"), wrong))
        submission_id = run_id = None
        compliance = None
        if loaded.ok:
            submission_id = store_document(conn, loaded).submission_id
            assert submission_id is not None
            run_id = record_run(
                conn,
                ruleset,
                Selection(submission_ids=(submission_id,)),
                as_of or date.today(),
                current_dispensations(conn),
            )
            doc = run_results(conn, run_id, include_passes=False).submissions[0]
            blocking = bool(doc.score and doc.score.blocking) or any(blocking_finding(f) for f in doc.findings)
            compliance = doc.score.compliance if doc.score else None
        else:
            quarantine(conn, loaded)
            blocking = True
        conn.execute(
            insert(t.portal_revisions).values(
                insurer_code=insurer,
                period=period,
                sequence=sequence,
                sha256=sha,
                size=len(raw),
                submission_id=submission_id,
                run_id=run_id,
                problems=json.dumps([p.as_dict() for p in loaded.problems], ensure_ascii=False),
                blocking=blocking,
                compliance=compliance,
                uploaded_by=user.name,
                uploaded_at=now(),
            )
        )
        audit(
            conn,
            user.name,
            address,
            "revision.upload",
            insurer,
            period,
            sequence=sequence,
            sha256=sha,
            valid=loaded.ok,
            blocking=blocking,
        )
    return sequence


def _refuse_if_accepted(conn: Connection, insurer: str, period: str) -> None:
    r, v = t.portal_revisions.c, t.portal_reviews.c
    accepted = conn.execute(
        select(v.id)
        .join(t.portal_revisions, r.id == v.revision_id)
        .where(r.insurer_code == insurer, r.period == period, v.action == "accepted")
        .limit(1)
    ).first()
    if accepted is not None:
        raise Conflict(f"the {insurer} {period} filing was accepted; it takes no new revisions")


def _revision_row(conn: Connection, insurer: str, period: str, sequence: int) -> Any:
    r = t.portal_revisions.c
    row = conn.execute(
        select(t.portal_revisions).where(r.insurer_code == insurer, r.period == period, r.sequence == sequence)
    ).first()
    if row is None:
        raise NotFound(f"no revision {sequence} of the {insurer} {period} filing")
    return row


def _latest_sequence(conn: Connection, insurer: str, period: str) -> int:
    r = t.portal_revisions.c
    return int(
        conn.execute(
            select(func.coalesce(func.max(r.sequence), 0)).where(r.insurer_code == insurer, r.period == period)
        ).scalar_one()
    )


def _receipt(conn: Connection, revision_id: int) -> dict[str, Any] | None:
    """The signature, with what judged the revision: ruleset id, version and SHA-256, tool version."""
    c, r, u, s = t.portal_receipts.c, t.portal_revisions.c, t.runs.c, t.submissions.c
    row = conn.execute(
        select(t.portal_receipts, u.ruleset_id, u.ruleset_version, u.ruleset_sha256, u.tool_version, s.insurer_name)
        .join(t.portal_revisions, r.id == c.revision_id)
        .outerjoin(t.runs, u.id == r.run_id)
        .outerjoin(t.submissions, s.id == r.submission_id)
        .where(c.revision_id == revision_id)
    ).first()
    if row is None:
        return None
    judged = {k: getattr(row, k) for k in ("ruleset_id", "ruleset_version", "ruleset_sha256", "tool_version")}
    return {
        **judged,
        "insurer_name": row.insurer_name,
        "insurer": row.insurer_code,
        "period": row.period,
        "sequence": row.sequence,
        "sha256": row.sha256,
        "signer": row.signer,
        "signed_at": row.signed_at,
    }


def _reviews(conn: Connection, revision_id: int) -> list[dict[str, Any]]:
    v = t.portal_reviews.c
    rows = conn.execute(select(t.portal_reviews).where(v.revision_id == revision_id).order_by(v.id)).all()
    return [{"action": x.action, "note": x.note, "reviewer": x.reviewer, "at": x.at} for x in rows]


def state_of(row: Any, signed: bool) -> str:
    if signed:
        return "signed"
    if row.run_id is None:
        return "invalid"
    return "has_errors" if row.blocking else "awaiting_signature"


def _document(conn: Connection, run_id: int | None) -> SubmissionResult | None:
    if run_id is None:
        return None
    return run_results(conn, run_id, include_passes=False, locate=True).submissions[0]


def revision(engine: Engine, user: User, insurer: str, period: str, sequence: int) -> dict[str, Any]:
    """A revision as its pages and the API show it: state, problems or the judged document (open and waived
    findings, the score), the filer's responses and requests, the receipt and reviews."""
    _visible(user, insurer, period)
    with engine.connect() as conn:
        row = _revision_row(conn, insurer, period, sequence)
        receipt = _receipt(conn, row.id)
        p, q = t.portal_responses.c, t.portal_dispensation_requests.c
        responses = {
            x.fingerprint: {"text": x.text, "author": x.author, "at": x.at}
            for x in conn.execute(select(t.portal_responses).where(p.revision_id == row.id))
        }
        requests = [
            _request_out(x, insurer, period, sequence)
            for x in conn.execute(select(t.portal_dispensation_requests).where(q.revision_id == row.id).order_by(q.id))
        ]
        document, dispensed = _document(conn, row.run_id), applied_dispensations(conn, row.run_id)
        latest = _latest_sequence(conn, insurer, period)
        reviews = _reviews(conn, row.id)
    handled = set(responses) | {x["fingerprint"] for x in requests}
    unanswered = (
        [f.fingerprint for f in document.findings if needs_response(f) and f.fingerprint not in handled]
        if document
        else []
    )
    return {
        "insurer": insurer,
        "period": period,
        "sequence": sequence,
        "latest": sequence == latest,
        "state": state_of(row, receipt is not None),
        "blocking": row.blocking,
        "sha256": row.sha256,
        "size": row.size,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": row.uploaded_at,
        "problems": json.loads(row.problems),
        "document": document,
        "responses": responses,
        "requests": requests,
        "dispensed": dispensed,
        "unanswered": unanswered,
        "receipt": receipt,
        "reviews": reviews,
    }


def filing(engine: Engine, config: PortalConfig, user: User, insurer: str, period: str) -> dict[str, Any]:
    """A filing: its status on the board and every revision, newest first."""
    _visible(user, insurer, period)
    r, c = t.portal_revisions.c, t.portal_receipts.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.portal_revisions, c.signed_at)
            .outerjoin(t.portal_receipts, c.revision_id == r.id)
            .where(r.insurer_code == insurer, r.period == period)
            .order_by(r.sequence.desc())
        ).all()
        status = _board_rows(conn, config, period, [insurer])[0]
    return {
        "status": status,
        "revisions": [
            {
                "sequence": x.sequence,
                "state": state_of(x, x.signed_at is not None),
                "blocking": x.blocking,
                "compliance": None if x.compliance is None else str(x.compliance),
                "sha256": x.sha256,
                "uploaded_by": x.uploaded_by,
                "uploaded_at": x.uploaded_at,
            }
            for x in rows
        ],
    }


def _finding(document: SubmissionResult | None, fingerprint: str) -> Any:
    for f in document.findings if document else []:
        if f.fingerprint == fingerprint:
            return f
    raise NotFound(f"no open finding {fingerprint} in this revision")


def _open_revision(conn: Connection, user: User, insurer: str, period: str, sequence: int) -> Any:
    """The revision a filer acts on: its own insurer's, not signed, the latest."""
    if user.supervisor or user.insurer != insurer:
        raise NotFound(f"no filing for {insurer} {period}")
    _check_period(period)
    advisory_lock(conn, "portal-filing", insurer, period)
    row = _revision_row(conn, insurer, period, sequence)
    if _receipt(conn, row.id) is not None:
        raise Conflict(f"revision {sequence} is signed; a signed revision never changes (upload a new one)")
    if sequence != _latest_sequence(conn, insurer, period):
        raise Conflict(f"revision {sequence} is not the latest; act on the latest revision")
    if row.run_id is None:
        raise Conflict(f"revision {sequence} is not valid; fix the problems and upload a new revision")
    return row


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise Unprocessable(f"the {what} is empty")
    if len(value) > TEXT_LIMIT:
        raise Unprocessable(f"the {what} has more than {TEXT_LIMIT} characters")
    if "\x00" in value:
        raise Unprocessable(f"the {what} contains a NUL character")
    return value


def respond(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, fingerprint: str, text: str
) -> None:
    p = t.portal_responses.c
    with writing(engine).begin() as conn:
        row = _open_revision(conn, user, insurer, period, sequence)  # who may act comes first: 404 before 422
        text = _text(text, "response")
        f = _finding(_document(conn, row.run_id), fingerprint)
        if not needs_response(f):
            raise Unprocessable(f"finding {fingerprint} ({f.rule_id}, {f.status}) takes no response")
        conn.execute(t.portal_responses.delete().where(p.revision_id == row.id, p.fingerprint == fingerprint))
        conn.execute(
            insert(t.portal_responses).values(
                revision_id=row.id, fingerprint=fingerprint, text=text, author=user.name, at=now()
            )
        )
        audit(
            conn,
            user.name,
            address,
            "finding.respond",
            insurer,
            period,
            sequence=sequence,
            fingerprint=fingerprint,
            rule=f.rule_id,
        )


def request_dispensation(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, fingerprint: str, reason: str
) -> int:
    q = t.portal_dispensation_requests.c
    with writing(engine).begin() as conn:
        row = _open_revision(conn, user, insurer, period, sequence)
        reason = _text(reason, "reason")
        f = _finding(_document(conn, row.run_id), fingerprint)
        if not _principle_fail(f):
            raise Unprocessable(
                f"finding {fingerprint} ({f.rule_id}) is not a principle failure; only those may be dispensed"
            )
        if conn.execute(select(q.id).where(q.revision_id == row.id, q.fingerprint == fingerprint)).first():
            raise Conflict(f"a dispensation for finding {fingerprint} was already requested")
        request_id = int(
            conn.execute(
                insert(t.portal_dispensation_requests)
                .values(
                    revision_id=row.id,
                    fingerprint=fingerprint,
                    rule_id=f.rule_id,
                    subject=f.subject,
                    reason=reason,
                    requested_by=user.name,
                    requested_at=now(),
                    state="pending",
                )
                .returning(q.id)
            ).scalar_one()
        )
        audit(
            conn,
            user.name,
            address,
            "dispensation.request",
            insurer,
            period,
            sequence=sequence,
            request=request_id,
            rule=f.rule_id,
            subject=f.subject,
        )
    return request_id


def sign(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, attest: bool
) -> dict[str, Any]:
    """Sign the latest revision: refused past a blocking error or with a finding left unanswered."""
    with writing(engine).begin() as conn:
        row = _open_revision(conn, user, insurer, period, sequence)
        if not attest:
            raise Unprocessable("signing needs the attestation that the data behind the findings was verified")
        if row.blocking:
            raise Conflict(
                f"revision {sequence} has blocking errors (a mandatory rule or the solvency gate); "
                "fix them and upload a new revision"
            )
        document = _document(conn, row.run_id)
        p, q = t.portal_responses.c, t.portal_dispensation_requests.c
        handled = set(conn.execute(select(p.fingerprint).where(p.revision_id == row.id)).scalars()) | set(
            conn.execute(select(q.fingerprint).where(q.revision_id == row.id)).scalars()
        )
        left = [
            f for f in (document.findings if document else []) if needs_response(f) and f.fingerprint not in handled
        ]
        if left:
            raise Conflict(
                f"{len(left)} finding(s) need a response or a dispensation request before signing: "
                + ", ".join(f"{f.rule_id} {f.subject}" for f in left[:5])
            )
        at = now()
        conn.execute(
            insert(t.portal_receipts).values(
                revision_id=row.id,
                insurer_code=insurer,
                period=period,
                sequence=sequence,
                sha256=row.sha256,
                signer=user.name,
                signed_at=at,
            )
        )
        audit(conn, user.name, address, "revision.sign", insurer, period, sequence=sequence, sha256=row.sha256)
        receipt = _receipt(conn, row.id)
    assert receipt is not None
    return receipt


def diff(engine: Engine, user: User, insurer: str, period: str, before: int, after: int) -> DiffResult:
    _visible(user, insurer, period)
    with engine.connect() as conn:
        runs = [_revision_row(conn, insurer, period, n).run_id for n in (before, after)]
    if None in runs:
        raise Conflict("an invalid revision has no findings to compare")
    return diff_runs(engine, runs[0], runs[1], insurer=insurer)


def review(
    engine: Engine, user: User, address: str, insurer: str, period: str, action: str, note: str
) -> dict[str, Any]:
    """Accept or return (with a note) the latest revision of a filing, which must be signed."""
    if not user.supervisor:
        raise NotFound(f"no filing for {insurer} {period}")
    _check_period(period)
    if action not in ("accepted", "returned"):
        raise Unprocessable("action must be accepted or returned")
    note = note.strip()
    if action == "returned":
        note = _text(note, "note")
    with writing(engine).begin() as conn:
        advisory_lock(conn, "portal-filing", insurer, period)
        latest = _latest_sequence(conn, insurer, period)
        if latest == 0:
            raise NotFound(f"no filing for {insurer} {period}")
        row = _revision_row(conn, insurer, period, latest)
        if _receipt(conn, row.id) is None:
            raise Conflict(f"revision {latest} is not signed; only a signed filing is accepted or returned")
        done = _reviews(conn, row.id)
        if done:
            raise Conflict(f"revision {latest} was already {done[-1]['action']}")
        conn.execute(
            insert(t.portal_reviews).values(revision_id=row.id, action=action, note=note, reviewer=user.name, at=now())
        )
        audit(conn, user.name, address, f"filing.{action[:-2]}", insurer, period, sequence=latest, note=note)
    return {"sequence": latest, "action": action, "note": note}


# --- supervisors: board, requests, audit ---------------------------------------------------------------------


def _board_rows(conn: Connection, config: PortalConfig, period: str, insurers: list[str]) -> list[dict[str, Any]]:
    """``store.board.status_rows``, due by the calendar (extensions honoured) or else the configured window."""
    dues, default = {x.code: x.due for x in expected(conn, period) or []}, config.window(period).due
    return status_rows(conn, period, insurers, lambda code: dues.get(code, default), now().date())


def board(engine: Engine, config: PortalConfig, user: User, period: str) -> list[dict[str, Any]]:
    """Every insurer the register expects for ``period`` (store.board.season_board) when the calendar lists it;
    otherwise the insurers with filer accounts, stored documents or revisions."""
    if not user.supervisor:
        raise NotFound("no board")
    _check_period(period)
    u, i, r = t.portal_users.c, t.insurers.c, t.portal_revisions.c
    with engine.connect() as conn:
        season = season_board(conn, period, now().date())
        if season is not None:
            return season
        codes = set(conn.execute(select(u.insurer_code).where(u.insurer_code.is_not(None))).scalars())
        codes |= set(conn.execute(select(i.code)).scalars())
        codes |= set(conn.execute(select(r.insurer_code).where(r.period == period).distinct()).scalars())
        return _board_rows(conn, config, period, sorted(codes))


def filings(engine: Engine, config: PortalConfig, user: User, period: str | None) -> list[dict[str, Any]]:
    """The filings the caller may see: a filer's own (every period filed, or ``period``), a supervisor's all."""
    r = t.portal_revisions.c
    query = select(r.insurer_code, r.period).distinct()
    if not user.supervisor:
        query = query.where(r.insurer_code == user.insurer)
    if period is not None:
        _check_period(period)
        query = query.where(r.period == period)
    with engine.connect() as conn:
        pairs = sorted((str(c), str(p)) for c, p in conn.execute(query))
        out = []
        for period_ in sorted({p for _, p in pairs}, reverse=True):
            rows = _board_rows(conn, config, period_, sorted(c for c, p in pairs if p == period_))
            out += [{**row, "period": period_} for row in rows]
    return out


def _request_out(x: Any, insurer: str, period: str, sequence: int) -> dict[str, Any]:
    return {
        "id": x.id,
        "insurer": insurer,
        "period": period,
        "sequence": sequence,
        "fingerprint": x.fingerprint,
        "rule_id": x.rule_id,
        "subject": x.subject,
        "reason": x.reason,
        "requested_by": x.requested_by,
        "requested_at": x.requested_at,
        "state": x.state,
        "decided_by": x.decided_by,
        "decided_at": x.decided_at,
        "note": x.note,
        "expires": x.expires,
        "dispensation_id": x.dispensation_id,
    }


def dispensation_requests(engine: Engine, user: User, state: str | None) -> list[dict[str, Any]]:
    if not user.supervisor:
        raise NotFound("no dispensation requests")
    q, r = t.portal_dispensation_requests.c, t.portal_revisions.c
    query = select(t.portal_dispensation_requests, r.insurer_code, r.period, r.sequence).join(
        t.portal_revisions, r.id == q.revision_id
    )
    if state is not None:
        query = query.where(q.state == state)
    with engine.connect() as conn:
        return [_request_out(x, x.insurer_code, x.period, x.sequence) for x in conn.execute(query.order_by(q.id))]


def decide(
    engine: Engine,
    user: User,
    address: str,
    request_id: int,
    approve: bool,
    expires: date | None,
    note: str,
    rejudge: Callable[[Connection, str, str], object] | None = None,
) -> dict[str, Any]:
    """Approve (a dispensation with the supervisor as approver and ``expires``, stored with the imported ones,
    then ``rejudge`` of the filing in the same transaction: portal/decisions.py) or refuse a pending request."""
    if not user.supervisor:
        raise NotFound(f"no dispensation request {request_id}")
    q, r = t.portal_dispensation_requests.c, t.portal_revisions.c
    note = note.strip()[:TEXT_LIMIT]
    with writing(engine).begin() as conn:
        advisory_lock(conn, "portal-request", str(request_id))
        x = conn.execute(
            select(t.portal_dispensation_requests, r.insurer_code, r.period, r.sequence)
            .join(t.portal_revisions, r.id == q.revision_id)
            .where(q.id == request_id)
        ).first()
        if x is None:
            raise NotFound(f"no dispensation request {request_id}")
        if x.state != "pending":
            raise Conflict(f"request {request_id} was already {x.state}")
        dispensation_id = None
        if approve:
            if expires is None or expires < now().date():
                raise Unprocessable("an approval needs an expiry date, today or later")
            dispensation_id = f"portal-{request_id}"
            d = Dispensation(
                id=dispensation_id,
                rule=x.rule_id,
                insurer=x.insurer_code,
                reason=x.reason,
                approved_by=user.name,
                reference=f"portal request {request_id}" + (f": {note}" if note else ""),
                expires=expires,
                subject=x.subject or None,
                period=x.period,
            )
            store_dispensations(conn, [d], f"portal request {request_id}")
            if rejudge is not None:
                rejudge(conn, x.insurer_code, x.period)
        state = "approved" if approve else "refused"
        conn.execute(
            t.portal_dispensation_requests.update()
            .where(q.id == request_id)
            .values(
                state=state,
                decided_by=user.name,
                decided_at=now(),
                note=note,
                expires=expires if approve else None,
                dispensation_id=dispensation_id,
            )
        )
        audit(
            conn,
            user.name,
            address,
            f"dispensation.{state[:-1]}",
            x.insurer_code,
            x.period,
            request=request_id,
            rule=x.rule_id,
            expires=expires if approve else None,
        )
        row = conn.execute(select(t.portal_dispensation_requests).where(q.id == request_id)).one()
        return _request_out(row, x.insurer_code, x.period, x.sequence)


def audit_log(engine: Engine, user: User, limit: int = 500) -> list[dict[str, Any]]:
    if not user.supervisor:
        raise NotFound("no audit log")
    a = t.portal_audit_log.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.portal_audit_log).order_by(a.id.desc()).limit(limit)).all()
    return [
        {
            "id": x.id,
            "at": x.at,
            "actor": x.actor,
            "address": x.address,
            "action": x.action,
            "insurer": x.insurer_code,
            "period": x.period,
            "detail": json.loads(x.detail),
        }
        for x in rows
    ]


def market(engine: Engine, user: User, period: str) -> list[tuple[str, SubmissionResult]]:
    """Each insurer's latest judged revision for ``period``, as the results contract (the market overview)."""
    if not user.supervisor:
        raise NotFound("no market overview")
    _check_period(period)
    r = t.portal_revisions.c
    latest = (
        select(r.insurer_code, func.max(r.sequence).label("sequence"))
        .where(r.period == period, r.run_id.is_not(None))
        .group_by(r.insurer_code)
        .subquery()
    )
    with engine.connect() as conn:
        runs = conn.execute(
            select(r.insurer_code, r.run_id)
            .join(latest, (latest.c.insurer_code == r.insurer_code) & (latest.c.sequence == r.sequence))
            .where(r.period == period)
            .order_by(r.insurer_code)
        ).all()
        return [(code, run_results(conn, run_id, include_passes=False).submissions[0]) for code, run_id in runs]
