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
from .engine import Selection, execute_run
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


def check_documents(loaded: list[Loaded], ruleset: Ruleset, as_of: date, context: Loaded | None = None,
                    dispensations: Sequence[Dispensation] = (), engine_url: str = MEMORY_URL,
                    expiry_warning_days: int = 90) -> CheckOutcome:
    """Check already-parsed documents; ``context`` is an insurer submission for product filings.

    ``expiry_warning_days``: dispensations expiring within that many days of ``as_of`` are marked
    ``expiring_soon`` in the results.
    """
    problems = [p for item in loaded + ([context] if context else []) for p in item.problems]
    if problems:
        return CheckOutcome(problems=problems)
    if context is not None:
        if not isinstance(context.document, Submission):
            raise ContextMismatch(f"{context.source}: --insurer must be a submission document")
        code = context.document.insurer.code
        for item in loaded:
            if isinstance(item.document, ProductFiling) and item.document.insurer_code != code:
                raise ContextMismatch(f"{item.source}: filing is for insurer {item.document.insurer_code}, "
                                      f"but --insurer {context.source} is {code}")
    engine = open_store(engine_url)
    try:
        ids = []
        with engine.begin() as conn:
            if context is not None:
                store_document(conn, context)
            for item in loaded:
                ids.append(store_document(conn, item).submission_id)
        selection = Selection(submission_ids=tuple(i for i in ids if i is not None))
        run_id = execute_run(engine, ruleset, selection, as_of, dispensations)
        with engine.connect() as conn:
            return CheckOutcome(results=run_results(conn, run_id, expiry_warning_days=expiry_warning_days))
    finally:
        engine.dispose()


def check_paths(paths: list[Path], ruleset: Ruleset, as_of: date, insurer_file: Path | None = None,
                dispensations: Sequence[Dispensation] = (), max_bytes: int = 64 * 2**20,
                expiry_warning_days: int = 90) -> CheckOutcome:
    loaded = [load_file(p, max_bytes) for p in paths]
    context = load_file(insurer_file, max_bytes) if insurer_file else None
    return check_documents(loaded, ruleset, as_of, context, dispensations,
                           expiry_warning_days=expiry_warning_days)
