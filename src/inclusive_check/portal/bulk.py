"""Bulk answers: a revision's findings as an XLSX workbook with a response column and a dispensation-reason column,
filled offline and uploaded back; and the supervisor's decision on several requests at once.

An uploaded workbook is applied in one transaction: every row that names an open finding of the revision records
its response and its request; a row naming no finding of the revision is reported and skipped; a row that cannot
be applied (a response to a finding that takes none, a reason for a finding that cannot be dispensed, a text over
the limit) refuses the whole workbook with each bad row located (sheet!cell), and nothing is recorded.

The workbook is bounded before it is opened: its bytes by the upload limit (http.read_upload), its unpacked size
by ``MAX_UNPACKED``, its rows by ``MAX_ROWS``; a file that is not a workbook, or lacks the ``findings`` sheet with
its header, is refused with the reason."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..store import tables as t
from ..store.db import writing
from .answers import record_request, record_response, requested
from .decisions import rejudger
from .dispensation_requests import decide_many
from .errors import Conflict, NotFound, Unprocessable
from .http import read_upload
from .models import TEXT_LIMIT, User
from .revisions import document_of, needs_response, open_revision, principle_fail, revision, visible
from .texts import text
from .web import User as PageUser
from .web import _address, _back, _field, _lang, _portal, form, refused, render

SHEET = "findings"
COLUMNS = ("fingerprint", "rule_id", "item", "severity", "status", "subject", "message", "response", "reason")
RESPONSE, REASON = COLUMNS.index("response"), COLUMNS.index("reason")
MAX_ROWS = 5000
MAX_UPLOAD = 4 * 2**20  # bytes of a workbook (its findings' texts fit many times over)
MAX_UNPACKED = 64 * 2**20  # bytes of all its parts unpacked: a zip bomb is refused before it is opened
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class BulkResult:
    responded: int = 0
    requested: int = 0
    unchanged: int = 0
    unknown: list[str] = field(default_factory=list)  # located rows that name no finding of the revision


def _column_letter(index: int) -> str:
    return chr(ord("A") + index)


def _safe(value: str) -> str:
    """A text a spreadsheet would run as a formula (=, +, -, @) gets an apostrophe in front."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def findings_xlsx(engine: Engine, user: User, insurer: str, period: str, sequence: int, lang: str) -> bytes:
    """Revision ``sequence``'s findings that take an answer, one a row, with the answers recorded so far."""
    from openpyxl import Workbook

    rev = revision(engine, user, insurer, period, sequence)
    if rev.document is None:
        raise Conflict(f"revision {sequence} is not valid; it has no findings to answer")
    reasons = {q.fingerprint: q.reason for q in rev.requests}
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.append(list(COLUMNS))
    for f in rev.document.findings:
        if not needs_response(f):
            continue
        answer = rev.responses.get(f.fingerprint)
        sheet.append(
            [
                f.fingerprint,
                f.rule_id,
                f.clause,
                f.severity,
                f.status,
                f.subject or "/",
                _safe(f.message["zh"] if lang == "zh" else f.message["en"]),
                _safe(answer.text) if answer else None,
                _safe(reasons[f.fingerprint]) if f.fingerprint in reasons else None,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_rows(raw: bytes) -> list[tuple[int, str, str, str]]:
    """(row number, fingerprint, response, reason) of each filled row of the workbook's findings sheet."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
                raise Unprocessable(f"the workbook unpacks to more than {MAX_UNPACKED // 2**20} MiB")
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Unprocessable:
        raise
    except Exception:  # not a zip, not a workbook, a broken part: openpyxl raises many kinds
        raise Unprocessable("the file is not an XLSX workbook (download the findings workbook and fill it)") from None
    try:
        if SHEET not in book.sheetnames:
            raise Unprocessable(f"the workbook has no sheet named {SHEET!r} (its sheets: {', '.join(book.sheetnames)})")
        rows = book[SHEET].iter_rows(values_only=True)
        header = tuple(str(v).strip() if v is not None else "" for v in next(rows, ()))[: len(COLUMNS)]
        if header != COLUMNS:
            raise Unprocessable(f"{SHEET}!A1: the header must be {', '.join(COLUMNS)}")
        out = []
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise Unprocessable(f"the sheet has more than {MAX_ROWS} rows")
            cells = [_text(v) for v in (*values, *[None] * len(COLUMNS))[: len(COLUMNS)]]
            if any(cells[i] for i in (0, RESPONSE, REASON)):
                out.append((number, cells[0], cells[RESPONSE], cells[REASON]))
        return out
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    cell = str(value).strip()
    return cell[1:] if cell.startswith("'") else cell


def apply_answers(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, raw: bytes
) -> BulkResult:
    """Record the workbook's responses and requests on revision ``sequence``: all, or (a bad row) none."""
    with writing(engine).begin() as conn:
        row = open_revision(conn, user, insurer, period, sequence)  # who may act comes first
        rows = read_rows(raw)
        document = document_of(conn, row.run_id)
        findings = {f.fingerprint: f for f in (document.findings if document else [])}
        p = t.portal_responses.c
        answered = {
            str(k): str(v) for k, v in conn.execute(select(p.fingerprint, p.text).where(p.revision_id == row.id))
        }
        result, bad, plan = BulkResult(), [], []
        for number, fingerprint, response, reason in rows:
            f = findings.get(fingerprint)
            if f is None:
                result.unknown.append(
                    f"{SHEET}!A{number}: {fingerprint or '(empty)'} is not a finding of revision {sequence}"
                )
                continue
            for column, value, what in ((RESPONSE, response, "response"), (REASON, reason, "reason")):
                where = f"{SHEET}!{_column_letter(column)}{number}"
                if len(value) > TEXT_LIMIT:
                    bad.append(f"{where}: the {what} has more than {TEXT_LIMIT} characters")
                elif "\x00" in value:
                    bad.append(f"{where}: the {what} contains a NUL character")
            if response and not needs_response(f):
                bad.append(f"{SHEET}!H{number}: finding {f.rule_id} {f.subject} takes no response")
            if reason and not principle_fail(f):
                bad.append(f"{SHEET}!I{number}: {f.rule_id} is not a principle failure; only those may be dispensed")
            elif reason and requested(conn, row.id, fingerprint):
                bad.append(f"{SHEET}!I{number}: a dispensation for this finding was already requested")
            plan.append((f, response, reason))
        if bad:
            raise Unprocessable("nothing was recorded; correct these cells and upload again: " + "; ".join(bad))
        for f, response, reason in plan:
            if response and answered.get(f.fingerprint) == response:
                result.unchanged += 1
            elif response:
                record_response(conn, user, address, row, f, response)
                result.responded += 1
            if reason:
                record_request(conn, user, address, row, f, reason)
                result.requested += 1
    return result


# --- pages ---------------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def _url(insurer: str, period: str, sequence: int) -> str:
    return f"/filings/{insurer}/{period}/revisions/{sequence}"


@router.get("/filings/{insurer}/{period}/revisions/{sequence}/answers.xlsx")
def answers_workbook(request: Request, insurer: str, period: str, sequence: int, user: PageUser) -> Response:
    visible(user, insurer, period)
    body = findings_xlsx(_portal(request).engine, user, insurer, period, sequence, _lang(request))
    name = f"answers-{insurer}-{period}-{sequence}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/filings/{insurer}/{period}/revisions/{sequence}/answers")
async def upload_answers(request: Request, insurer: str, period: str, sequence: int, user: PageUser) -> Response:
    data = await form(request, max_files=1)
    file, back = data.get("file"), _url(insurer, period, sequence)
    if user.supervisor or user.insurer != insurer:
        raise NotFound(f"no filing for {insurer} {period}")
    if not isinstance(file, UploadFile):
        return refused(request, Unprocessable(text("choose_workbook", _lang(request))), back)
    raw = await read_upload(file, min(MAX_UPLOAD, _portal(request).config.max_upload_bytes))
    try:
        result = await run_in_threadpool(
            apply_answers, _portal(request).engine, user, _address(request), insurer, period, sequence, raw
        )
    except (Conflict, Unprocessable) as exc:
        return refused(request, exc, back)
    return render(request, "bulk.html.j2", user=user, result=result, back=back)


@router.post("/requests/decisions")
async def decide_several(request: Request, user: PageUser) -> Response:
    """The supervisor's decision on the requests ticked (``request`` fields), with one reason and expiry."""
    data = await form(request, max_fields=1000, multi=("request",))
    try:
        ids = [int(x) for x in data.get("request", [])]
        expires = date.fromisoformat(_field(data, "expires")) if _field(data, "expires") else None
    except ValueError:
        return refused(request, Unprocessable("the requests or the expiry (YYYY-MM-DD) are not valid"), "/requests")
    p = _portal(request)
    try:
        await run_in_threadpool(
            decide_many,
            p.engine,
            user,
            _address(request),
            ids,
            _field(data, "decision") == "approve",
            expires,
            _field(data, "note"),
            rejudger(p.ruleset, p.as_of),
        )
    except (Conflict, Unprocessable) as exc:
        return refused(request, exc, "/requests")
    return _back("/requests")
