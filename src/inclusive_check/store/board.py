"""The board of a period: each insurer's filing status from its latest portal revision, against its due date.

One query serves the CLI (`inclusive-check board`) and the portal's supervisor board. When the calendar lists the
period, the insurers on it are those the register expects for it (``expected``): a quarter's quarterly filers,
a year's annual filers; an insurer that need not file is not on it, and each one's due date honours an extension
granted to it. Statuses: not_filed, has_errors, awaiting_signature, signed, late, returned, accepted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ..contract.season import CalendarPeriod
from . import tables as t
from .season import calendar_period, current_register

STATUSES = ("not_filed", "has_errors", "awaiting_signature", "signed", "late", "returned", "accepted")
COLUMNS = ("insurer", "name_zh", "name_en", "status", "late", "sequence", "compliance", "signed_at", "due", "extension")


def submission_kind(period: str) -> str:
    """What a period's submission is: a quarter's quarterly, a year's annual."""
    return "quarterly_submission" if "-Q" in period else "annual_submission"


@dataclass(frozen=True)
class Expected:
    code: str
    name_zh: str | None
    name_en: str | None
    due: date
    extension: str | None  # the reference of the extension that moved its due date


def expected(conn: Connection, period: str) -> list[Expected] | None:
    """Who must file ``period``'s submission and by when (register + calendar); None: the calendar lacks it."""
    entry = calendar_period(conn, period)
    if entry is None:
        return None
    kind = submission_kind(period)
    out = []
    for insurer in current_register(conn):
        due = entry.due_for(insurer.code, kind)
        if due is None or not insurer.files_kind(kind):
            continue
        out.append(Expected(insurer.code, insurer.name_zh, insurer.name_en, due, _extension(entry, insurer.code, kind)))
    return out


def _extension(entry: CalendarPeriod, code: str, kind: str) -> str | None:
    granted = sorted((x.due, x.reference) for x in entry.extensions if x.insurer == code and x.kind == kind)
    return granted[-1][1] if granted else None


def status_rows(
    conn: Connection, period: str, codes: Iterable[str], due_of: Callable[[str], date], today: date
) -> list[dict[str, Any]]:
    """The status of each insurer in ``codes`` for ``period``, from its latest revision, on ``today``.

    Late: nothing signed by the due date. A filing never signed is shown ``late`` once past due; one signed
    after its due date keeps its status (signed, returned, accepted) with ``late`` set.
    """
    codes = list(codes)
    r, c, v = t.portal_revisions.c, t.portal_receipts.c, t.portal_reviews.c
    latest = (
        select(r.insurer_code, func.max(r.sequence).label("sequence"))
        .where(r.period == period, r.insurer_code.in_(codes))
        .group_by(r.insurer_code)
        .subquery()
    )
    rows = {
        x.insurer_code: x
        for x in conn.execute(
            select(r.id, r.insurer_code, r.sequence, r.run_id, r.blocking, r.compliance, c.signed_at)
            .join(latest, (latest.c.insurer_code == r.insurer_code) & (latest.c.sequence == r.sequence))
            .outerjoin(t.portal_receipts, c.revision_id == r.id)
            .where(r.period == period)
        )
    }
    ids = [x.id for x in rows.values()]
    reviews = dict(conn.execute(select(v.revision_id, v.action).where(v.revision_id.in_(ids)).order_by(v.id)).all())
    out = []
    for code in codes:
        x, due = rows.get(code), due_of(code)
        past_due = today > due
        if x is None:
            status, late = ("late", True) if past_due else ("not_filed", False)
        elif x.signed_at is not None:
            status, late = reviews.get(x.id, "signed"), x.signed_at.date() > due
        else:
            status = "has_errors" if x.run_id is None or x.blocking else "awaiting_signature"
            status, late = ("late", True) if past_due else (status, False)
        out.append(
            {
                "insurer": code,
                "status": status,
                "late": late,
                "sequence": None if x is None else x.sequence,
                "compliance": None if x is None or x.compliance is None else str(x.compliance),
                "blocking": None if x is None else x.blocking,
                "signed_at": None if x is None else x.signed_at,
                "due": due,
            }
        )
    return out


def season_board(conn: Connection, period: str, today: date) -> list[dict[str, Any]] | None:
    """The board of ``period`` from the register and the calendar (None: the calendar does not list it)."""
    wanted = expected(conn, period)
    if wanted is None:
        return None
    by_code = {x.code: x for x in wanted}
    rows = status_rows(conn, period, sorted(by_code), lambda code: by_code[code].due, today)
    for row in rows:
        x = by_code[row["insurer"]]
        row.update(name_zh=x.name_zh, name_en=x.name_en, extension=x.extension)
    return rows


def counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many insurers are in each status (every status, zero included)."""
    out = dict.fromkeys(STATUSES, 0)
    for row in rows:
        out[row["status"]] += 1
    return out


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def board_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The board as CSV (UTF-8 text; one line per insurer, the columns of ``COLUMNS``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_safe(_cell(row.get(k))) for k in COLUMNS])
    return buffer.getvalue()


def _csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def board_xlsx(rows: Iterable[dict[str, Any]], period: str) -> bytes:
    """The board as an XLSX workbook (one sheet, ``COLUMNS``)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(period)
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_csv_safe(_cell(row.get(k))) for k in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
