"""`inclusive-check findings` and `inclusive-check diff`: the findings of a stored run, filtered by status and
severity, as a table with a header, JSON or CSV; and what changed between two runs, changes only unless
``--all``, failing with ``--fail-on`` when new open findings at or above a severity appear.

Registered on cli.py's group by ``register``; this module imports nothing of cli.py (no import circle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .cli_types import RUN_ID
from .safetext import clean

_EXIT_FINDINGS, _EXIT_USAGE, _EXIT_ENVIRONMENT = 1, 2, 4
# contract.outputs.Status (a test holds them equal); not_covered: an encouraged obligation not met, never a failure
STATUSES = ("pass", "fail", "indeterminate", "waived", "not_applicable", "not_covered")
OPEN = ("fail", "indeterminate")
SEVERITIES = ("error", "warning", "info")


class _Refused(click.ClickException):
    exit_code = _EXIT_USAGE

    def format_message(self) -> str:
        return "\n".join(clean(line) for line in self.message.split("\n"))


class _Unusable(_Refused):
    exit_code = _EXIT_ENVIRONMENT


def _reader(ctx: click.Context) -> Any:
    from .store.db import DatabaseError, open_reader

    try:
        return open_reader(ctx.find_root().obj["db_url"])
    except DatabaseError as exc:
        raise _Unusable(str(exc)) from None


def register(group: click.Group, db_option: Callable[[Any], Any]) -> None:
    """Add `findings` and `diff` to ``group``; ``db_option`` is cli.py's ``--db`` after the command."""
    group.add_command(db_option(findings))
    group.add_command(db_option(diff))


@click.command()
@click.option("--run", "run_id", type=RUN_ID, help="Run id (default: the latest `run`, not a portal upload's).")
@click.option("--insurer", help="Only this insurer code.")
@click.option(
    "--status",
    "statuses",
    type=click.Choice([*STATUSES, "open"]),
    multiple=True,
    help="Only findings of this status (repeatable); open: fail and indeterminate; not_covered: encouraged "
    "obligations not met (scored, never a failure).",
)
@click.option(
    "--severity",
    "severities",
    type=click.Choice(SEVERITIES),
    multiple=True,
    help="Only findings of this severity (repeatable), whatever their status.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.pass_context
def findings(
    ctx: click.Context,
    run_id: int | None,
    insurer: str | None,
    statuses: tuple[str, ...],
    severities: tuple[str, ...],
    fmt: str,
    lang: str,
) -> None:
    """Findings of a stored run: a table with a header (text), the results contract (json) or one row per finding
    with every contract field (csv, as `report --format csv`)."""
    from .results import run_results
    from .store.queries import latest_run_id

    engine = _reader(ctx)
    if run_id is None:
        run_id = latest_run_id(engine)
    if run_id is None:
        raise _Refused("no runs stored yet; `inclusive-check run` makes one")
    wanted = {s for s in statuses if s != "open"} | (set(OPEN) if "open" in statuses else set())
    one = next(iter(wanted)) if len(wanted) == 1 else None  # one status: the database filters
    with engine.connect() as conn:
        try:
            results = run_results(conn, run_id, insurer=insurer, status=one, locate=True)
        except LookupError as exc:
            raise _Refused(str(exc)) from None
    results = _only(results, wanted, set(severities))
    if fmt == "json":
        from .contract.outputs import dump_json

        click.echo(dump_json(results))
    elif fmt == "csv":
        from .reports.tabular import render_csv

        click.echo(render_csv(results), nl=False)
    else:
        from .reports.views import findings_text

        click.echo(findings_text(results, lang))


def _only(results: Any, statuses: set[str], severities: set[str]) -> Any:
    """``results`` listing only the findings of those statuses and severities (all when a set is empty)."""
    if not statuses and not severities:
        return results
    submissions = [
        sub.model_copy(
            update={
                "findings": [
                    f
                    for f in sub.findings
                    if (not statuses or f.status in statuses) and (not severities or f.severity in severities)
                ]
            }
        )
        for sub in results.submissions
    ]
    return results.model_copy(update={"submissions": submissions})


@click.command()
@click.argument("run_ids", nargs=-1, type=RUN_ID, metavar="[RUN_A RUN_B]")
@click.option("--insurer", help="Only this insurer code.")
@click.option(
    "--all", "show_all", is_flag=True, help="Text: list persisting findings too (by default only what changed)."
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="none",
    show_default=True,
    help="Exit 1 when RUN_B has new open findings at or above this severity (items not covered never count).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option(
    "--expiry-warning-days",
    type=click.IntRange(min=0),
    default=90,
    show_default=True,
    help="Mark dispensations that expire within this many days of the run's as-of date.",
)
@click.pass_context
def diff(
    ctx: click.Context,
    run_ids: tuple[int, ...],
    insurer: str | None,
    show_all: bool,
    fail_on: str,
    fmt: str,
    lang: str,
    expiry_warning_days: int,
) -> None:
    """What changed from RUN_A to RUN_B (default: the last two runs): findings new, fixed or waived (and, with
    --all, persisting), matched by fingerprint, the score change of each document, and the dispensations of RUN_B
    that expire within --expiry-warning-days. JSON always lists every finding with its change."""
    from .engine import SEVERITY_RANK
    from .reports.diff import render_text
    from .results import DiffError, diff_runs

    if len(run_ids) not in (0, 2):
        raise _Refused("give two run ids (RUN_A RUN_B), or none for the last two runs")
    try:
        before, after = run_ids if run_ids else (None, None)
        result = diff_runs(_reader(ctx), before, after, insurer=insurer, expiry_warning_days=expiry_warning_days)
    except DiffError as exc:
        raise _Refused(str(exc)) from None
    if fmt == "json":
        from .contract.outputs import dump_json

        click.echo(dump_json(result))
    else:
        click.echo(render_text(result, lang, changes_only=not show_all))
    if fail_on != "none" and any(
        f.change == "new" and f.status in OPEN and SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on]
        for f in result.findings
    ):
        ctx.exit(_EXIT_FINDINGS)
