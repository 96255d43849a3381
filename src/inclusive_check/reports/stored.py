"""`inclusive-check report`: an HTML, CSV or XLSX report of a stored run, written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

REPORT_FORMATS = ("html", "csv", "xlsx")


class ReportError(Exception):
    """The run or insurer asked for is not stored, or the file cannot be written."""


def load_run(engine: Engine, run_id: int | None, insurer: str | None,
             expiry_warning_days: int = 90) -> dict[str, Any]:
    """The results of ``run_id`` (default: the latest run), optionally one insurer's documents only.

    Dispensations expiring within ``expiry_warning_days`` of the run's as-of date are marked ``expiring_soon``.
    """
    from ..results import run_results
    from ..store.queries import latest_run_id

    if run_id is None:
        run_id = latest_run_id(engine)
        if run_id is None:
            raise ReportError("no runs stored yet; `inclusive-check run` makes one")
    with engine.connect() as conn:
        try:
            results = run_results(conn, run_id, insurer=insurer, expiry_warning_days=expiry_warning_days)
        except LookupError:
            raise ReportError(f"no stored run {run_id}; `inclusive-check runs` lists them") from None
    if insurer and not results["submissions"]:
        raise ReportError(f"run {run_id} checked no document of insurer {insurer}")
    return results


def write_report(results: dict[str, Any], fmt: str, path: Path, lang: str = "both",
                 expiry_warning_days: int | None = None) -> None:
    """``expiry_warning_days`` is the window ``load_run`` used; the HTML report names it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "html":
            from . import html

            path.write_text(html.render(results, lang, expiry_warning_days), encoding="utf-8")
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
