"""Incremental runs: a run judges again only the documents whose inputs changed (a new revision, another insurer
context, another ruleset, other dispensations or another expiry state) and takes over the rest from an earlier
run, yet its results are those of a full run.

Randomized: two stores receive the same documents and the same runs, one run incrementally and one in full; after
every step both runs' results (findings with their texts and positions, scores, warnings, dispensations) must be
identical. Seeded, so that a failure names the seed and the steps that led to it.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from inclusive_check.cli import cli
from inclusive_check.dispensations import parse_dispensations
from inclusive_check.engine import Selection, execute_run
from inclusive_check.results import run_results
from inclusive_check.ruleset import load_ruleset, load_ruleset_text
from inclusive_check.store import tables as t
from inclusive_check.store.db import open_store
from inclusive_check.store.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = sorted((ROOT / "samples" / "submissions").glob("*.json"))
FILINGS = sorted((ROOT / "samples" / "filings").iterdir())
LETTERS = ROOT / "samples" / "dispensations" / "2025-supervisor-letters.yaml"
AS_OF = [date(2025, 6, 1), date(2026, 1, 15), date(2026, 6, 30), date(2026, 7, 1), date(2027, 3, 1)]


def _ruleset(min_weight: float | None) -> Any:
    if min_weight is None:
        return load_ruleset(None)
    raw = yaml.safe_load((files("inclusive_check.rulesets") / "nfra-2024-inclusive.yaml").read_text("utf-8"))
    raw["rules"]["IC10-KPI-WEIGHT"]["params"]["min_weight"]["values"] = [{"from": "2024-05-29", "value": min_weight}]
    return load_ruleset_text(yaml.safe_dump(raw, allow_unicode=True), f"min-weight-{min_weight}.yaml")


def _revise(doc: dict[str, Any], rng: random.Random) -> None:
    """Change one fact a rule judges: a product's premium or fee rate, or the assessment weight."""
    products = [p for p in doc["products"] if p.get("dedicated_inclusive") and p.get("comparable")]
    what = rng.choice(["premium", "fee", "weight"] if products else ["weight"])
    if what == "weight":
        doc["governance"]["inclusive_kpi_weight"] = rng.choice([0.03, 0.0499, 0.05, 0.06])
        return
    product = rng.choice(products)
    field = "premium_rate" if what == "premium" else "intermediary_fee_rate"
    reference = product["comparable"].get(field) or 0.05
    product[field] = round(reference * rng.choice([0.5, 0.99, 1.0, 1.2]), 6)


def _letters(rng: random.Random) -> tuple[Any, ...]:
    items = parse_dispensations(LETTERS.read_text("utf-8"), str(LETTERS))
    chosen = [d for d in items if rng.random() < 0.7]
    # Move an expiry across the as-of dates sometimes: the same dispensation, live or expired.
    return tuple(
        replace(d, expires=rng.choice(AS_OF) + timedelta(days=rng.choice([-1, 0, 1]))) if rng.random() < 0.4 else d
        for d in chosen
    )


def _comparable(engine: Any, run_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        data = run_results(conn, run_id, include_passes=True, locate=True).model_dump(mode="json", by_alias=True)
    for key in ("id", "started_at", "finished_at", "judged"):  # what differs by design
        data["run"].pop(key)
    return data


def _judged(engine: Any, run_id: int) -> int:
    rs = t.run_submissions.c
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(rs.run_id == run_id, rs.findings_run_id == run_id)).scalar_one()
        )


@pytest.fixture
def second_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend: an SQLite file, or a PostgreSQL database made for the test."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'full.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(db_url)
    name = f"{parsed.database}_full"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("seed", range(6))
def test_incremental_runs_equal_full_runs(db_url: str, second_url: str, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    incremental, full = open_store(db_url), open_store(second_url)  # the full runs go to the second store
    docs = {path.name: json.loads(path.read_text("utf-8")) for path in SUBMISSIONS}
    for engine in (incremental, full):
        assert not ingest_paths(engine, [*SUBMISSIONS, *FILINGS], 64 * 2**20).quarantined
    state: dict[str, Any] = {"ruleset": None, "as_of": AS_OF[1], "letters": _letters(rng), "insurer": None}
    steps: list[str] = []
    for step in range(8):
        action = "first" if step == 0 else rng.choice(["revise", "revise", "letters", "as_of", "ruleset", "insurer"])
        if action == "revise":
            name = rng.choice(sorted(docs))
            doc = docs[name] = copy.deepcopy(docs[name])
            _revise(doc, rng)
            path = tmp_path / f"step{step}-{name}"
            path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
            for engine in (incremental, full):
                assert not ingest_paths(engine, [path], 64 * 2**20).quarantined
            action += f" {name}"
        elif action == "letters":
            state["letters"] = _letters(rng)
        elif action == "as_of":
            state["as_of"] = rng.choice(AS_OF)
        elif action == "ruleset":
            state["ruleset"] = rng.choice([None, 0.0499, 0.06])
        elif action == "insurer":
            state["insurer"] = rng.choice([None, "KN-HLTH-006", "ZS-PROP-002"])
        steps.append(action)
        ruleset, selection = _ruleset(state["ruleset"]), Selection(insurer=state["insurer"])
        ran = [
            execute_run(engine, ruleset, selection, state["as_of"], state["letters"], incremental=engine is incremental)
            for engine in (incremental, full)
        ]
        assert _comparable(incremental, ran[0]) == _comparable(full, ran[1]), f"seed {seed}, steps {steps}"
        if action == "first":  # nothing to take over yet
            assert _judged(incremental, ran[0]) == _judged(full, ran[1])
    incremental.dispose()
    full.dispose()


def test_a_run_judges_only_what_changed(store: Any, tmp_path: Path) -> None:
    """A second run judges nothing; a revised submission is judged again, with its insurer's filings (their
    context changed); new dispensations or a later as-of date crossing an expiry reach only their insurer's
    documents; `run --full` judges everything."""
    url = store.url.render_as_string(hide_password=False)
    assert not ingest_paths(store, [*SUBMISSIONS, *FILINGS], 64 * 2**20).quarantined
    ruleset, everything = load_ruleset(None), Selection()
    first = execute_run(store, ruleset, everything, AS_OF[1], (), incremental=True)
    documents = _judged(store, first)
    assert documents == len(SUBMISSIONS) + len(FILINGS)
    again = execute_run(store, ruleset, everything, AS_OF[1], (), incremental=True)
    assert _judged(store, again) == 0
    result = CliRunner().invoke(cli, ["--db", url, "findings", "--format", "json"])
    assert json.loads(result.output)["run"]["judged"] == 0
    listed = json.loads(CliRunner().invoke(cli, ["--db", url, "runs", "--format", "json"]).output)
    assert [(r["documents"], r["judged"]) for r in listed] == [(documents, documents), (documents, 0)]
    assert _comparable(store, again) == _comparable(store, first)

    kn = next(p for p in SUBMISSIONS if p.name.startswith("kn-"))
    doc = json.loads(kn.read_text("utf-8"))
    doc["governance"]["inclusive_kpi_weight"] = 0.06
    revised = tmp_path / kn.name
    revised.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    assert ingest_paths(store, [revised], 64 * 2**20).count("revised") == 1
    kn_filings = sum(1 for p in FILINGS if p.name.startswith("kn-"))
    after = execute_run(store, ruleset, everything, AS_OF[1], (), incremental=True)
    assert _judged(store, after) == 1 + kn_filings

    letters = parse_dispensations(LETTERS.read_text("utf-8"), str(LETTERS))  # all of KN-HLTH-006
    with_letters = execute_run(store, ruleset, everything, AS_OF[1], letters, incremental=True)
    assert _judged(store, with_letters) == 1 + kn_filings
    expired = execute_run(store, ruleset, everything, date(2026, 7, 1), letters, incremental=True)
    # D-2025-001 (of period 2025: KN's submission, not its filing) expired on 2026-06-30: that submission again.
    assert _judged(store, expired) == 1
    later = execute_run(store, ruleset, everything, date(2026, 7, 2), letters, incremental=True)
    assert _judged(store, later) == 0  # no expiry crossed since

    result = CliRunner().invoke(
        cli, ["--db", url, "run", "--exit-zero", "--full", "--as-of", "2026-07-02", "--dispensations", str(LETTERS)]
    )
    assert result.exit_code == 0, result.output
    with store.connect() as conn:
        newest = conn.execute(select(func.max(t.runs.c.id))).scalar_one()
    assert _judged(store, newest) == documents
    assert _comparable(store, newest) == _comparable(store, later)


def test_a_run_gives_postgresql_the_products_statistics_it_plans_with(pg_store: Any) -> None:
    """The rules' joins are planned from the products' statistics: a run into a database whose products were
    never analyzed (or grew far past what was analyzed) refreshes them; one that is up to date leaves them."""
    from sqlalchemy import text

    def reltuples() -> float:
        with pg_store.connect() as conn:
            return float(conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'products'")).scalar_one())

    assert not ingest_paths(pg_store, SUBMISSIONS, 64 * 2**20).quarantined
    assert reltuples() < 0  # never analyzed
    execute_run(pg_store, load_ruleset(None), Selection(), AS_OF[1], ())
    with pg_store.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.products)).scalar_one()
    assert reltuples() == stored


def test_commands_default_to_the_latest_run_of_the_store_not_a_portal_upload(store: Any) -> None:
    """A portal upload is judged in a run of its own document; `findings`, `report`, `diff` and `whatif` without
    a run take the latest `run` of the stored documents."""
    url = store.url.render_as_string(hide_password=False)
    assert not ingest_paths(store, SUBMISSIONS, 64 * 2**20).quarantined
    ruleset = load_ruleset(None)
    first = execute_run(store, ruleset, Selection(), AS_OF[1], ())
    market = execute_run(store, ruleset, Selection(), AS_OF[1], (), incremental=True)
    upload = execute_run(store, ruleset, Selection(submission_ids=(1,)), AS_OF[1], ())  # as the portal does
    assert first < market < upload
    shown = json.loads(CliRunner().invoke(cli, ["--db", url, "findings", "--format", "json"]).output)
    assert shown["run"]["id"] == market and shown["summary"]["submissions"] == len(SUBMISSIONS)
    diff = CliRunner().invoke(cli, ["--db", url, "diff", "--format", "json"])
    assert [json.loads(diff.output)[side]["id"] for side in ("before", "after")] == [first, market]
