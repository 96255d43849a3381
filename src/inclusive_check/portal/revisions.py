"""Filings and their revisions: an upload judged by the engine becomes the filing's next revision; a revision and a
filing read back as the typed models of portal/models.py (what the API publishes and the pages show).

Each state change is one transaction (``writing(engine).begin()``) with its audit row. Judging is the engine's:
an upload is parsed by ``contract.load``, stored by ``store.ingest`` and judged by ``engine.record_run``; what a
revision found is read back through ``results.run_results`` (the typed results contract).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from ..contract.load import locate_messages, parse_bytes
from ..contract.models import ProductFiling, Submission
from ..contract.outputs import SubmissionResult
from ..engine import Selection, record_run
from ..periods import PERIOD, quarter_of
from ..results import run_results
from ..ruleset import Ruleset
from ..store import tables as t
from ..store.board import expected, status_rows
from ..store.db import advisory_lock, writing
from ..store.dispensations import applied_dispensations, current_dispensations
from ..store.ingest import quarantine, store_document
from ..store.season import calendar_period
from .audit import audit, now
from .config import PortalConfig
from .errors import Conflict, NotFound, Refused, Unprocessable
from .models import (
    TEXT_LIMIT,
    DispensationRequest,
    Filing,
    FilingRow,
    Receipt,
    Response,
    Review,
    Revision,
    RevisionRow,
    RevisionState,
    StatusRow,
    User,
)

# A product filing's key: its revisions are numbered per insurer, product code and filing date, and the key stands
# for the last two where a submission's filing has its period (the ``period`` column, URLs, the API's paths).
PRODUCT_KEY = re.compile(r"^P[0-9a-f]{9}$")


def product_key(code: str, filed: date) -> str:
    return "P" + hashlib.sha256(f"{code}@{filed.isoformat()}".encode()).hexdigest()[:9]


def is_product(period: str) -> bool:
    return PRODUCT_KEY.match(period) is not None


def check_period(period: str) -> None:
    if not PERIOD.match(period) and not is_product(period):
        raise NotFound(f"no period {period!r} (a year such as 2025 or a quarter such as 2025-Q4)")


def visible(user: User, insurer: str, period: str) -> None:
    if not user.may_see(insurer):
        raise NotFound(f"no filing for {insurer} {period}")
    check_period(period)


def _mismatches(loaded: Any, insurer: str, period: str) -> list[tuple[str, str]]:
    doc = loaded.document
    if isinstance(doc, ProductFiling) and is_product(period):
        if doc.insurer_code != insurer:
            return [("/insurer_code", f"the document is for insurer {doc.insurer_code}, this filing is {insurer}'s")]
        if product_key(doc.product.code, doc.filing_date) != period:
            return [("/product/code", f"the document is product filing {doc.product.code} of {doc.filing_date}")]
        return []
    if not isinstance(doc, Submission) or is_product(period):
        return [
            ("/kind", "this filing takes a product filing" if is_product(period) else "this filing takes a submission")
        ]
    out = []
    if doc.insurer.code != insurer:
        out.append(("/insurer/code", f"the document is for insurer {doc.insurer.code}, this filing is {insurer}'s"))
    if doc.reporting_period != period:
        out.append(("/reporting_period", f"the document is for period {doc.reporting_period}, this filing is {period}"))
    return out


def blocking_finding(f: Any) -> bool:
    """An open error that cannot be responded to: anything but a principle failure (mandatory, gate, evidence)."""
    return f.status in ("fail", "indeterminate") and f.severity == "error" and not principle_fail(f)


def principle_fail(f: Any) -> bool:
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
    product: tuple[str, date] | None = None,
) -> int:
    """Record ``raw`` as the next revision of the filing and judge it; return its sequence number. One
    transaction: concurrent uploads of the same filing take turns for the sequence (advisory lock / SQLite's
    single writer), so none is lost or numbered twice. ``product``: the code and filing date a product filing's
    revision records (``period`` is then its key, ``product_key``)."""
    if user.supervisor or user.insurer != insurer:
        raise NotFound(f"no filing for {insurer} {period}")
    check_period(period)
    r = t.portal_revisions.c
    sha = hashlib.sha256(raw).hexdigest()
    with writing(engine).begin() as conn:
        advisory_lock(conn, "portal-filing", insurer, period)
        _refuse_if_accepted(conn, insurer, period)
        if product is not None:
            _refuse_if_another_product(conn, insurer, period, product)
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
        if isinstance(loaded.document, ProductFiling):
            product = (loaded.document.product.code, loaded.document.filing_date)
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
        revision_id = conn.execute(
            insert(t.portal_revisions)
            .values(
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
                product_code=product[0] if product else None,
                filing_date=product[1] if product else None,
            )
            .returning(t.portal_revisions.c.id)
        ).scalar_one()
        carried = carry_over(conn, insurer, period, sequence, revision_id, run_id)
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
            carried=carried,
        )
    return sequence


def carry_over(conn: Connection, insurer: str, period: str, sequence: int, revision_id: int, run_id: int | None) -> int:
    """Take the previous revision's responses over to revision ``sequence`` for the findings both share (same
    fingerprint) that still need a response, marked with the revision each was written on; how many."""
    if run_id is None or sequence < 2:
        return 0
    p, r = t.portal_responses.c, t.portal_revisions.c
    earlier = conn.execute(
        select(p.fingerprint, p.text, p.author, p.at, p.carried_from)
        .join(t.portal_revisions, r.id == p.revision_id)
        .where(r.insurer_code == insurer, r.period == period, r.sequence == sequence - 1)
    ).all()
    if not earlier:
        return 0
    document = run_results(conn, run_id, include_passes=False).submissions[0]
    open_ = {f.fingerprint for f in document.findings if needs_response(f)}
    rows = [
        {
            "revision_id": revision_id,
            "fingerprint": x.fingerprint,
            "text": x.text,
            "author": x.author,
            "at": x.at,
            "carried_from": x.carried_from or sequence - 1,
        }
        for x in earlier
        if x.fingerprint in open_
    ]
    if rows:
        conn.execute(insert(t.portal_responses), rows)
    return len(rows)


def _refuse_if_another_product(conn: Connection, insurer: str, key: str, product: tuple[str, date]) -> None:
    """Two product filings whose keys collide would share a sequence: refused (nine hex digits make it rare)."""
    r = t.portal_revisions.c
    found = conn.execute(
        select(r.product_code, r.filing_date).where(r.insurer_code == insurer, r.period == key).limit(1)
    ).first()
    if found is not None and (found.product_code, found.filing_date) != product:
        raise Conflict(f"filing key {key} is taken by product filing {found.product_code} of {found.filing_date}")


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


def revision_row(conn: Connection, insurer: str, period: str, sequence: int) -> Any:
    r = t.portal_revisions.c
    row = conn.execute(
        select(t.portal_revisions).where(r.insurer_code == insurer, r.period == period, r.sequence == sequence)
    ).first()
    if row is None:
        raise NotFound(f"no revision {sequence} of the {insurer} {period} filing")
    return row


def latest_sequence(conn: Connection, insurer: str, period: str) -> int:
    r = t.portal_revisions.c
    return int(
        conn.execute(
            select(func.coalesce(func.max(r.sequence), 0)).where(r.insurer_code == insurer, r.period == period)
        ).scalar_one()
    )


def receipt_of(conn: Connection, revision_id: int) -> Receipt | None:
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
    return Receipt(
        **judged,
        insurer_name=row.insurer_name,
        insurer=row.insurer_code,
        period=row.period,
        sequence=row.sequence,
        sha256=row.sha256,
        signer=row.signer,
        signed_at=row.signed_at,
    )


def reviews_of(conn: Connection, revision_id: int) -> list[Review]:
    v = t.portal_reviews.c
    rows = conn.execute(select(t.portal_reviews).where(v.revision_id == revision_id).order_by(v.id)).all()
    return [Review(action=x.action, note=x.note, reviewer=x.reviewer, at=x.at) for x in rows]


def state_of(row: Any, signed: bool) -> RevisionState:
    if signed:
        return "signed"
    if row.run_id is None:
        return "invalid"
    return "has_errors" if row.blocking else "awaiting_signature"


def document_of(conn: Connection, run_id: int | None) -> SubmissionResult | None:
    if run_id is None:
        return None
    return run_results(conn, run_id, include_passes=False, locate=True).submissions[0]


def revision(engine: Engine, user: User, insurer: str, period: str, sequence: int) -> Revision:
    """A revision as its pages and the API show it: state, problems or the judged document (open and waived
    findings, the score), the filer's responses and requests, the receipt and reviews."""
    visible(user, insurer, period)
    with engine.connect() as conn:
        row = revision_row(conn, insurer, period, sequence)
        receipt = receipt_of(conn, row.id)
        p, q = t.portal_responses.c, t.portal_dispensation_requests.c
        responses = {
            x.fingerprint: Response(text=x.text, author=x.author, at=x.at, carried_from=x.carried_from)
            for x in conn.execute(select(t.portal_responses).where(p.revision_id == row.id))
        }
        requests = [
            request_out(x, insurer, period, sequence)
            for x in conn.execute(select(t.portal_dispensation_requests).where(q.revision_id == row.id).order_by(q.id))
        ]
        document, dispensed = document_of(conn, row.run_id), applied_dispensations(conn, row.run_id)
        latest = latest_sequence(conn, insurer, period)
        reviews = reviews_of(conn, row.id)
    handled = set(responses) | {x.fingerprint for x in requests}
    unanswered = (
        [f.fingerprint for f in document.findings if needs_response(f) and f.fingerprint not in handled]
        if document
        else []
    )
    return Revision(
        insurer=insurer,
        period=period,
        sequence=sequence,
        latest=sequence == latest,
        state=state_of(row, receipt is not None),
        blocking=row.blocking,
        sha256=row.sha256,
        size=row.size,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
        product_code=row.product_code,
        filing_date=row.filing_date,
        problems=json.loads(row.problems),
        document=document,
        responses=responses,
        requests=requests,
        dispensed=dispensed,
        unanswered=unanswered,
        receipt=receipt,
        reviews=reviews,
    )


def filing(engine: Engine, config: PortalConfig, user: User, insurer: str, period: str) -> Filing:
    """A filing: its status on the board and every revision, newest first."""
    visible(user, insurer, period)
    r, c = t.portal_revisions.c, t.portal_receipts.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.portal_revisions, c.signed_at)
            .outerjoin(t.portal_receipts, c.revision_id == r.id)
            .where(r.insurer_code == insurer, r.period == period)
            .order_by(r.sequence.desc())
        ).all()
        status = board_rows(conn, config, period, [insurer])[0]
    return Filing(
        status=StatusRow(**{k: v for k, v in status.items() if k not in ("product_code", "filing_date")}),
        product_code=status.get("product_code"),
        filing_date=status.get("filing_date"),
        revisions=[
            RevisionRow(
                sequence=x.sequence,
                state=state_of(x, x.signed_at is not None),
                blocking=x.blocking,
                compliance=None if x.compliance is None else str(x.compliance),
                sha256=x.sha256,
                uploaded_by=x.uploaded_by,
                uploaded_at=x.uploaded_at,
            )
            for x in rows
        ],
    )


def board_rows(conn: Connection, config: PortalConfig, period: str, insurers: list[str]) -> list[dict[str, Any]]:
    """``store.board.status_rows``, due by the calendar (extensions honoured) or else the configured window; a
    product filing's (``period`` its key): with its code and date, due by the filing quarter's product filings."""
    if is_product(period):
        return [_product_row(conn, config, period, code) for code in insurers]
    dues, default = {x.code: x.due for x in expected(conn, period) or []}, config.window(period).due
    return status_rows(conn, period, insurers, lambda code: dues.get(code, default), now().date())


def _product_row(conn: Connection, config: PortalConfig, key: str, insurer: str) -> dict[str, Any]:
    r = t.portal_revisions.c
    named = conn.execute(
        select(r.product_code, r.filing_date).where(r.insurer_code == insurer, r.period == key).limit(1)
    ).first()
    if named is None or named.filing_date is None:
        raise NotFound(f"no product filing {key} of {insurer}")
    quarter = quarter_of(named.filing_date)
    entry = calendar_period(conn, quarter)
    due = entry.due.get("product_filings") if entry else None
    due = due or config.window(quarter).due
    row = status_rows(conn, key, [insurer], lambda code: due, now().date())[0]
    return {**row, "product_code": named.product_code, "filing_date": named.filing_date}


def filings(engine: Engine, config: PortalConfig, user: User, period: str | None) -> list[FilingRow]:
    """The filings the caller may see: a filer's own (every period filed, or ``period``), a supervisor's all."""
    r = t.portal_revisions.c
    query = select(r.insurer_code, r.period).distinct()
    if not user.supervisor:
        query = query.where(r.insurer_code == user.insurer)
    if period is not None:
        check_period(period)
        query = query.where(r.period == period)
    with engine.connect() as conn:
        pairs = sorted((str(c), str(p)) for c, p in conn.execute(query))
        out: list[FilingRow] = []
        for period_ in sorted({p for _, p in pairs}, reverse=True):
            rows = board_rows(conn, config, period_, sorted(c for c, p in pairs if p == period_))
            out += [FilingRow(**row, period=period_) for row in rows]
    return out


def request_out(x: Any, insurer: str, period: str, sequence: int) -> DispensationRequest:
    return DispensationRequest(
        id=x.id,
        insurer=insurer,
        period=period,
        sequence=sequence,
        fingerprint=x.fingerprint,
        rule_id=x.rule_id,
        subject=x.subject,
        reason=x.reason,
        requested_by=x.requested_by,
        requested_at=x.requested_at,
        state=x.state,
        decided_by=x.decided_by,
        decided_at=x.decided_at,
        note=x.note,
        expires=x.expires,
        dispensation_id=x.dispensation_id,
    )


def finding_in(document: SubmissionResult | None, fingerprint: str) -> Any:
    for f in document.findings if document else []:
        if f.fingerprint == fingerprint:
            return f
    raise NotFound(f"no open finding {fingerprint} in this revision")


def open_revision(conn: Connection, user: User, insurer: str, period: str, sequence: int) -> Any:
    """The revision a filer acts on: its own insurer's, not signed, the latest."""
    if user.supervisor or user.insurer != insurer:
        raise NotFound(f"no filing for {insurer} {period}")
    check_period(period)
    advisory_lock(conn, "portal-filing", insurer, period)
    row = revision_row(conn, insurer, period, sequence)
    if receipt_of(conn, row.id) is not None:
        raise Conflict(f"revision {sequence} is signed; a signed revision never changes (upload a new one)")
    if sequence != latest_sequence(conn, insurer, period):
        raise Conflict(f"revision {sequence} is not the latest; act on the latest revision")
    if row.run_id is None:
        raise Conflict(f"revision {sequence} is not valid; fix the problems and upload a new revision")
    return row


def text_field(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise Unprocessable(f"the {what} is empty")
    if len(value) > TEXT_LIMIT:
        raise Unprocessable(f"the {what} has more than {TEXT_LIMIT} characters")
    if "\x00" in value:
        raise Unprocessable(f"the {what} contains a NUL character")
    return value
