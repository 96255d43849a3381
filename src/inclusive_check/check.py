"""`check`: validate files, store them in an in-memory SQLite database and run the same engine there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .contract.dispensations import Dispensation
from .contract.load import Loaded, Problem, load_file
from .contract.models import ProductFiling, Submission
from .contract.outputs import Results
from .engine import OutOfScope, Selection, execute_run
from .periods import period_bounds
from .results import run_results
from .ruleset import Ruleset
from .store.db import MEMORY_URL, open_store
from .store.ingest import store_document


@dataclass
class CheckOutcome:
    problems: list[Problem] = field(default_factory=list)
    results: Results | None = None


class ContextMismatch(Exception):
    pass


def check_documents(
    loaded: list[Loaded],
    ruleset: Ruleset,
    as_of: date,
    context: Loaded | Sequence[Loaded] | None = None,
    dispensations: Sequence[Dispensation] = (),
    engine_url: str = MEMORY_URL,
    expiry_warning_days: int = 90,
) -> CheckOutcome:
    """Check already-parsed documents; ``context`` is the insurer submissions for product filings (one or more).

    Each filing takes the context submission of its own insurer, so that a repository holding several
    insurers' filings is checked in one call; contexts are used, never checked themselves.
    ``expiry_warning_days``: dispensations expiring within that many days of ``as_of`` are marked
    ``expiring_soon`` in the results. Documents that are not valid are left out and their problems returned
    beside the results of the others; ``results`` is None only when no checked document is valid.
    """
    contexts = [] if context is None else [context] if isinstance(context, Loaded) else list(context)
    problems = [p for item in [*loaded, *contexts] for p in item.problems]
    valid = [item for item in loaded if not item.problems]
    if not valid:
        return CheckOutcome(problems=problems)
    # A context that is not valid is listed with its problems; its insurer's filings are judged without it.
    used = _contexts_for(valid, [c for c in contexts if not c.problems], strict=not any(c.problems for c in contexts))
    engine = open_store(engine_url)
    try:
        ids = []
        with engine.begin() as conn:
            for item in used:
                store_document(conn, item)
            for item in valid:
                ids.append(store_document(conn, item).submission_id)
        selection = Selection(submission_ids=tuple(i for i in ids if i is not None))
        try:
            run_id = execute_run(engine, ruleset, selection, as_of, dispensations, reusable=False)  # thrown away
        except OutOfScope as exc:
            raise ContextMismatch(str(exc)) from None
        with engine.connect() as conn:
            results = run_results(conn, run_id, expiry_warning_days=expiry_warning_days, locate=True)
    finally:
        engine.dispose()
    # The in-memory run is not kept: it has no id a later command could name.
    return CheckOutcome(
        problems=problems, results=results.model_copy(update={"run": results.run.model_copy(update={"id": None})})
    )


def _contexts_for(loaded: list[Loaded], contexts: list[Loaded], strict: bool = True) -> list[Loaded]:
    """The context submission each checked filing's insurer needs (its latest period), without duplicates.

    Raises ContextMismatch when a context is not a submission, or when contexts were given and a filing's
    insurer has none among them (its insurer-level rules would silently go undecided); not when ``strict`` is
    false (a given context was not valid and is reported as such).
    """
    by_code: dict[str, Loaded] = {}
    for item in contexts:
        if not isinstance(item.document, Submission):
            raise ContextMismatch(f"{item.source}: --insurer must be a submission document")
        code = item.document.insurer.code
        known = by_code.get(code)
        if known is None or _period_end(item) > _period_end(known):
            by_code[code] = item
    if not contexts:
        return []
    checked = {item.sha256 for item in loaded}
    used: dict[str, Loaded] = {}
    for item in loaded:
        if not isinstance(item.document, ProductFiling):
            continue
        code = item.document.insurer_code
        if code not in by_code and not strict:
            continue
        if code not in by_code:
            given = "; ".join(f"{c.source} is {k}" for k, c in sorted(by_code.items()))
            raise ContextMismatch(
                f"{item.source}: filing is for insurer {code}, but no --insurer submission is for it ({given})"
            )
        if by_code[code].sha256 not in checked:
            used[code] = by_code[code]
    return list(used.values())


def _period_end(item: Loaded) -> date:
    assert isinstance(item.document, Submission)
    return period_bounds(item.document.reporting_period)[1]


def check_paths(
    paths: list[Path],
    ruleset: Ruleset,
    as_of: date,
    insurer_file: Path | None = None,
    dispensations: Sequence[Dispensation] = (),
    max_bytes: int = 64 * 2**20,
    expiry_warning_days: int = 90,
) -> CheckOutcome:
    loaded = [load_file(p, max_bytes) for p in paths]
    context = load_file(insurer_file, max_bytes) if insurer_file else None
    return check_documents(loaded, ruleset, as_of, context, dispensations, expiry_warning_days=expiry_warning_days)
