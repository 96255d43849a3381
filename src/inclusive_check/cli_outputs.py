"""What `check` and `run` add to their results before and after printing them: the audit reports of `report`
(``--output html=FILE``, ``xlsx=FILE``, ``csv=FILE``) written from the run in hand, and the validation report of
the files `check` could not judge. Imports nothing of cli.py (no import circle)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from .contract.load import Loaded
from .contract.outputs import Results

# The formats of `report`, also written by `check` and `run` with --output FORMAT=PATH.
REPORT_OUTPUTS = ("html", "xlsx", "csv")


class _Unwritable(click.ClickException):
    exit_code = 2  # as cli.DomainError: the path given cannot be written


def split(outputs: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The --output pairs of the printed formats, and those of the report formats."""
    printed = [(f, p) for f, p in outputs if f not in REPORT_OUTPUTS]
    return printed, [(f, p) for f, p in outputs if f in REPORT_OUTPUTS]


def write_reports(results: Results, outputs: Sequence[tuple[str, str]], expiry_warning_days: int = 90) -> None:
    """Each report as `report --format FORMAT` writes it for a stored run (HTML in both languages)."""
    from .reports.stored import ReportError, write_report

    for fmt, path in outputs:
        try:
            write_report(results, fmt, Path(path), "both", expiry_warning_days)
        except ReportError as exc:
            raise _Unwritable(f"cannot write --output {fmt}={path}: {exc}") from None


def with_validation(results: Results, read: Sequence[Loaded], lang: str = "en") -> Results:
    """``results`` carrying the validation report of every file read, when some were not valid (its problems in
    ``lang``)."""
    from .reports.views import validation

    report = validation(list(read), lang=lang)
    return results if not report.invalid else results.model_copy(update={"validation": report})
