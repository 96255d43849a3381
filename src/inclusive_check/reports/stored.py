"""`inclusive-check report`: an HTML, CSV or XLSX report of a stored run, written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..contract.outputs import Market, Results
from ..store.run_reads import ClosedCounts as ClosedCounts

REPORT_FORMATS = ("html", "csv", "xlsx")
# The HTML report lists a run's passing and not-applicable checks only up to this many; beyond, it counts them.
HTML_PASSES_UP_TO = 2_000


class ReportError(Exception):
    """The run or insurer asked for is not stored, or the file cannot be written."""


def load_run(
    engine: Engine,
    run_id: int | None,
    insurer: str | None,
    expiry_warning_days: int = 90,
    passes_up_to: int | None = None,
) -> tuple[Results, ClosedCounts | None]:
    """The results of ``run_id`` (default: the latest run), optionally one insurer's documents only, and the
    passes counted instead of listed (None when they are listed).

    Dispensations expiring within ``expiry_warning_days`` of the run's as-of date are marked ``expiring_soon``.
    ``passes_up_to``: list passing and not-applicable findings only when the selection has at most that many;
    otherwise they are counted per document, rule and status, so that a market's passes are counted by the
    database, never loaded (the HTML report). None lists them all (CSV, XLSX). Findings come with their line
    and column (every report format shows them).
    """
    from ..results import run_results
    from ..store.queries import latest_run_id
    from ..store.run_reads import run_texts

    if run_id is None:
        run_id = latest_run_id(engine)
        if run_id is None:
            raise ReportError("no runs stored yet; `inclusive-check run` makes one")
    with engine.connect() as conn:
        try:
            results = run_results(
                conn,
                run_id,
                insurer=insurer,
                expiry_warning_days=expiry_warning_days,
                include_passes=passes_up_to is None,
                locate=True,
            )
        except LookupError:
            raise ReportError(f"no stored run {run_id}; `inclusive-check runs` lists them") from None
        closed = None
        if passes_up_to is not None:
            status = results.summary.status
            if status.get("pass", 0) + status.get("not_applicable", 0) <= passes_up_to:
                results = run_results(
                    conn, run_id, insurer=insurer, expiry_warning_days=expiry_warning_days, locate=True
                )
            else:
                closed = _count_closed(conn, run_id, results, run_texts(conn, run_id))
    if insurer and not results.submissions:
        raise ReportError(f"run {run_id} checked no document of insurer {insurer}")
    return results, closed


def _count_closed(conn: Any, run_id: int, results: Results, texts: str | None) -> ClosedCounts:
    """Each document's passing and not-applicable findings counted per rule and status, from the findings index;
    each rule's guidance item as the run stored it (``texts``: the run's stored texts)."""
    from ..run_texts import RunTexts
    from ..store.run_reads import closed_counts

    return closed_counts(conn, run_id, [sub.submission_id for sub in results.submissions], RunTexts(texts).clause)


def write_report(
    results: Results,
    fmt: str,
    path: Path,
    lang: str = "both",
    expiry_warning_days: int | None = None,
    closed_counts: ClosedCounts | None = None,
    market: Market | None = None,
) -> None:
    """``expiry_warning_days`` is the window ``load_run`` used, ``closed_counts`` the passes it counted; the HTML
    report names the one and shows the other, and shows ``market`` in its market section."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "html":
            from . import html

            html.write(results, path, lang, expiry_warning_days, closed_counts, market)
        elif fmt == "csv":
            from .tabular import write_csv

            write_csv(results, str(path))
        elif fmt == "xlsx":  # built in memory, then written: a failed write leaves no half-closed zip behind
            import io

            from .tabular import write_xlsx

            buffer = io.BytesIO()
            write_xlsx(results, buffer)  # type: ignore[arg-type]  # openpyxl saves to any binary file
            path.write_bytes(buffer.getvalue())
        else:
            raise ValueError(f"unknown report format {fmt!r}")
    except OSError as exc:
        from ..store.db import fault_message

        if fault_message(exc) is not None:  # a full disk, a read-only file system: the machine's (exit 4)
            raise
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
