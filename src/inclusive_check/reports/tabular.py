"""CSV and XLSX: one row per finding, with every field of the JSON contract and the document it belongs to.

``message`` and ``title`` are flattened per language (``message_en``, ``message_zh``...), the evidence's
Chinese as ``expected_zh`` and ``actual_zh``; ``parameters``
is JSON text. In CSV numbers stay as the run stored them (margin is an exact decimal string). A waived
finding keeps its row, with status ``waived`` and the id of the dispensation that covers it in ``dispensation``;
an encouraged obligation not met has status ``not_covered``, never ``fail``;
XLSX also has a ``dispensations`` sheet (one row per dispensation of the run, with its status).

CSV is UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese text right. A text
cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR,
and not a number) is written with a leading apostrophe.

XLSX cells are typed, so that a spreadsheet sorts and sums them: the figures (``value``, ``threshold``,
``margin``, the scores) and the integer columns are numeric cells, ``expires`` and the run's ``as_of`` date
cells, its ``started_at`` and ``finished_at`` date-time cells, and everything else a text cell (typed as
text, so it keeps its value exactly and never runs as a formula; a numeric or date cell holds a number,
which cannot be a formula). A figure that is not a finite decimal or has more than 15 significant digits (more
than a spreadsheet's number keeps), and "not scored", stay text. Characters
XML cannot hold (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; lone surrogates) are written as U+FFFD.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..contract.outputs import Results
from ..figures import EXACT

FINDING_COLUMNS = (
    "run_id",
    "ruleset_id",
    "ruleset_version",
    "submission_id",
    "insurer_code",
    "insurer_name",
    "kind",
    "period",
    "document_key",
    "revision",
    "source",
    "sha256",
    "rule_id",
    "clause",
    "strength",
    "severity",
    "status",
    "subject",
    "key",
    "line",
    "column",
    "expected",
    "actual",
    "margin",
    "value",
    "threshold",
    "unit",
    "product_code",
    "product_name",
    "product_position",
    "dispensation",
    "fingerprint",
    "title_en",
    "title_zh",
    "message_en",
    "message_zh",
    "expected_zh",
    "actual_zh",
    "parameters",
)
SCORE_COLUMNS = (
    "run_id",
    "submission_id",
    "insurer_code",
    "insurer_name",
    "kind",
    "period",
    "document_key",
    "revision",
    "compliance",
    "band",
    "not_scored",
    "blocking",
    "blocking_reasons",
    "variety",
    "coverage",
    "protection",
    "service",
    "breakdown",
)
DISPENSATION_COLUMNS = (
    "run_id",
    "id",
    "status",
    "covered",
    "rule",
    "insurer",
    "subject",
    "period",
    "expires",
    "expires_in_days",
    "expiring_soon",
    "approved_by",
    "reference",
    "reason",
)
NOT_SCORED = "not scored"
# XLSX: figures (decimal strings in the JSON contract) as numeric cells, dates and times as date cells. A figure
# of more than 15 significant digits (a double's) is a text cell holding every digit: 0.049999999999999999 as a
# number would read 0.05.
NUMBER_COLUMNS = frozenset(
    {"value", "threshold", "margin", "compliance", "variety", "coverage", "protection", "service"}
)
DATE_COLUMNS = frozenset({"expires", "as_of"})
DATETIME_COLUMNS = frozenset({"started_at", "finished_at"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 (and so XLSX) cannot hold, even escaped: most C0 controls, lone surrogates, U+FFFE and U+FFFF.
# openpyxl refuses the first and writes the others into a file that spreadsheet programs call corrupt.
_ILLEGAL_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def finding_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    run = results["run"]
    rows = []
    for sub in results["submissions"]:
        base = {
            "run_id": run["id"],
            "ruleset_id": run["ruleset"]["id"],
            "ruleset_version": run["ruleset"]["version"],
            "submission_id": sub["submission_id"],
            "insurer_code": sub["insurer"]["code"],
            "insurer_name": sub["insurer"]["name"],
            "kind": sub["kind"],
            "period": sub["period"],
            "document_key": sub["document_key"],
            "revision": sub["revision"],
            "source": sub["source"],
            "sha256": sub["sha256"],
        }
        for f in sub["findings"]:
            rows.append(
                {
                    **base,
                    **{
                        k: f[k]
                        for k in (
                            "rule_id",
                            "clause",
                            "strength",
                            "severity",
                            "status",
                            "subject",
                            "key",
                            "line",
                            "column",
                            "expected",
                            "actual",
                            "margin",
                            "value",
                            "threshold",
                            "unit",
                            "dispensation",
                            "fingerprint",
                        )
                    },
                    **{f"product_{k}": (f["product"] or {}).get(k) for k in ("code", "name", "position")},
                    "title_en": f["title"]["en"],
                    "title_zh": f["title"]["zh"],
                    "message_en": f["message"]["en"],
                    "message_zh": f["message"]["zh"],
                    "expected_zh": f["evidence"]["zh"]["expected"],
                    "actual_zh": f["evidence"]["zh"]["actual"],
                    "parameters": json.dumps(f["parameters"], ensure_ascii=False, sort_keys=True),
                }
            )
    return rows


def score_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for sub in results["submissions"]:
        score = sub["score"] or {}
        rows.append(
            {
                "run_id": results["run"]["id"],
                "submission_id": sub["submission_id"],
                "insurer_code": sub["insurer"]["code"],
                "insurer_name": sub["insurer"]["name"],
                "kind": sub["kind"],
                "period": sub["period"],
                "document_key": sub["document_key"],
                "revision": sub["revision"],
                **{k: score.get(k) for k in ("blocking", "variety", "coverage", "protection", "service")},
                # a document the run did not score says so, with the reason, instead of a number
                "compliance": score.get("compliance")
                if score.get("compliance") is not None or not score
                else NOT_SCORED,
                "band": score.get("band"),
                "not_scored": (score.get("not_scored") or {}).get("en"),
                "blocking_reasons": "; ".join(
                    r["en"] for r in (score.get("breakdown") or {}).get("compliance", {}).get("blocking_reasons", [])
                )
                or None,
                "breakdown": json.dumps(score.get("breakdown"), ensure_ascii=False, sort_keys=True) if score else None,
            }
        )
    return rows


def dispensation_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"run_id": results["run"]["id"], **{k: d.get(k) for k in DISPENSATION_COLUMNS if k != "run_id"}}
        for d in results.get("dispensations", [])
    ]


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def render_csv(results: Results) -> str:
    """The findings as CSV text (write it with encoding ``utf-8-sig``)."""
    data = results.model_dump(mode="json")  # the rows are of the published JSON form
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FINDING_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in finding_rows(data):
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def write_csv(results: Results, path: str) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(render_csv(results))


def _typed(name: str, value: Any) -> Any:
    """The value of an XLSX cell of column ``name``: a figure as a Decimal, a date or time as such; else as is."""
    if not isinstance(value, str):
        return value
    try:
        if name in NUMBER_COLUMNS:
            number = Decimal(value)  # a spreadsheet's number holds 15 significant digits: more stay text
            return number if number.is_finite() and len(number.normalize(EXACT).as_tuple().digits) <= 15 else value
        if name in DATE_COLUMNS:
            return date.fromisoformat(value)
        if name in DATETIME_COLUMNS:
            return datetime.fromisoformat(value)
    except (InvalidOperation, ValueError):
        pass  # not a figure or a date (e.g. "not scored"): text
    return value


def _sheet(workbook: Any, title: str, columns: tuple[str, ...], rows: list[dict[str, Any]], first: bool) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(columns, start=1):
            value = _typed(name, row[name])
            cell = sheet.cell(row=r, column=c)
            if value is None:
                continue
            if isinstance(value, bool | int | Decimal | date):  # numeric or date cells: a number, never a formula
                cell.value = value
            else:
                cell.value = _ILLEGAL_XLSX.sub("\ufffd", str(value))
                cell.data_type = "s"  # never a formula, whatever the text starts with
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 1)}"
    for c, name in enumerate(columns, start=1):
        width = max([len(name)] + [len(str(row[name] or "")) for row in rows[:200]])
        sheet.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)


def write_xlsx(results: Results, path: str) -> None:
    """Sheets ``findings`` (one row per finding), ``scores`` (one row per document), ``dispensations`` (one row per
    dispensation the run considered) and ``run`` (with the findings counted by status, ``status.not_covered``
    apart from ``status.fail``)."""
    from openpyxl import Workbook

    data = results.model_dump(mode="json")  # the rows are of the published JSON form

    workbook = Workbook()
    _sheet(workbook, "findings", FINDING_COLUMNS, finding_rows(data), first=True)
    _sheet(workbook, "scores", SCORE_COLUMNS, score_rows(data), first=False)
    _sheet(workbook, "dispensations", DISPENSATION_COLUMNS, dispensation_rows(data), first=False)
    run = {k: v for k, v in data["run"].items() if k != "rules"}  # the rules' texts are in the findings' rows
    info = [
        {"field": k, "value": json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else _typed(k, v)}
        for k, v in run.items()
    ]
    # The findings by status as the summary counts them: not covered apart from fail.
    info += [{"field": f"status.{k}", "value": n} for k, n in data["summary"]["status"].items()]
    _sheet(workbook, "run", ("field", "value"), info, first=False)
    workbook.save(path)
