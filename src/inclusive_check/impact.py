"""Impact analysis: what a changed ruleset would do to the stored submissions of a run (``what_if``). The runs it
works on are ``impact_runs.py`` and their finding-by-finding comparison ``impact_compare.py`` (both shared with a
reproduction, ``reproduce.py``); its ``--set`` settings are ``impact_settings.py``; what two rulesets state
differently is ``impact_diff.py``.

A what-if and a reproduction evaluate into a *scratch run*: a ``runs`` row with its findings and scores, written
in one transaction that is always rolled back. It is never committed, so no other connection ever sees it: it is
not listed by ``runs``, is never the latest run, and leaves nothing to delete. It takes the base run's
documents as that run recorded them (``run_submissions``: each document, its insurer context, its binding date),
its as-of date and the dispensations it applied (``run_dispensations.record``).

A what-if evaluates again only the rules whose policy differs between the base run's ruleset and the what-if
ruleset (every rule when the severity table differs); the other rules' findings are the base run's, which
scoring borrows (``scoring.score_run(..., borrowed=...)``). A reproduction evaluates every rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, Engine, select

from . import __version__
from . import rules as registry
from .contract.outputs import (
    FindingChange,
    ImpactSummary,
    LangText,
    RuleImpact,
    RulesetRef,
    WhatIf,
)
from .engine import apply_dispensations, evaluate_rules
from .figures import exact, shown
from .impact_compare import POLICY_FIELDS, _changes, compare_findings, compare_scores
from .impact_diff import diff_rulesets
from .impact_runs import BaseRun, ImpactError, _dispensations, _documents, _scratch
from .rules.base import RuleModule
from .ruleset import Ruleset
from .scoring import score_run
from .store import tables as t
from .store.db import writing


def _policy_rules(before: Ruleset, after: Ruleset) -> tuple[list[RuleModule], list[str]]:
    """The rules to evaluate again (policy differs, or new) and the rules the what-if ruleset leaves out."""
    gone = [rule_id for rule_id in before.data.rules if rule_id not in after.data.rules]
    if before.data.severity != after.data.severity:
        return list(after.rules()), gone
    changed = [
        rule
        for rule in after.rules()
        if rule.ID not in before.data.rules or before.entry(rule.ID) != after.entry(rule.ID)
    ]
    return changed, gone


def what_if(
    engine: Engine, base: BaseRun, ruleset: Ruleset, period: str | None = None, effective_from: date | None = None
) -> WhatIf:
    """The base run's documents evaluated under ``ruleset``, compared with the base run; nothing is stored."""
    evaluated, gone = _policy_rules(base.ruleset, ruleset)
    compared = [*(r.ID for r in evaluated), *gone]
    borrowed = [r.ID for r in ruleset.rules() if r not in evaluated]
    with writing(engine).connect() as conn:
        transaction = conn.begin()  # always rolled back: the scratch run is never stored
        try:
            run_id = _scratch(conn, base, ruleset, period)
            documents = _documents(conn, run_id)
            if not documents:
                raise ImpactError(f"run {base.id} checked no document of period {period}")
            evaluate_rules(conn, run_id, ruleset, evaluated)
            apply_dispensations(conn, run_id, base.as_of, _dispensations(conn, base.id))
            score_run(conn, run_id, ruleset, borrowed=(base.id, borrowed))
            pairs, _ = compare_findings(conn, base.id, run_id, documents, compared, POLICY_FIELDS, policy=True)
            findings = _changes(conn, pairs)
            scores, _ = compare_scores(conn, base.id, run_id, documents)
            impacts = _rule_impacts(conn, base.id, run_id, documents, compared, findings)
        finally:
            transaction.rollback()
    marked = ruleset.version == f"{base.ruleset.version}+what-if"
    warnings = []
    if base.tool_version != __version__:
        warnings.append(
            f"run {base.id} was made by version {base.tool_version}; the rules evaluated again here ran as version "
            f"{__version__}, so a flip may come from a change of code too (`run --reproduce {base.id}` shows those)"
        )
    return WhatIf(
        base=base.ref(),
        ruleset=RulesetRef(id=ruleset.id, version=ruleset.version, sha256=ruleset.sha256),
        tool_version=__version__,
        effective_from=None if effective_from is None else effective_from.isoformat(),
        period=period,
        # the version the what-if ruleset is marked with (+what-if) is no change of policy
        policy=[c for c in diff_rulesets(base.ruleset, ruleset).changes if c.path != "version" or not marked],
        rules_evaluated=[r.ID for r in evaluated],
        summary=ImpactSummary(
            newly_fails=sum(1 for f in findings if f.flip == "newly_fails"),
            newly_passes=sum(1 for f in findings if f.flip == "newly_passes"),
            changes=sum(1 for f in findings if f.flip == "changes"),
            scores_changed=len(scores),
        ),
        rules=impacts,
        findings=findings,
        scores=scores,
        warnings=warnings,
    )


def _insurers(
    conn: Connection, run_id: int, documents: set[int], rules: Sequence[str], statuses: Sequence[str]
) -> dict[str, int]:
    f, s = t.findings.c, t.submissions.c
    query = (
        select(f.rule_id, f.submission_id, s.insurer_id)
        .join(t.submissions, s.id == f.submission_id)
        .where(t.held_by(t.findings, run_id), f.rule_id.in_(rules), f.status.in_(statuses))
        .distinct()
    )
    seen: dict[str, set[int]] = {}
    for rule_id, sid, insurer in conn.execute(query):
        if sid in documents:
            seen.setdefault(rule_id, set()).add(insurer)
    return {rule_id: len(insurers) for rule_id, insurers in seen.items()}


def _threshold(conn: Connection, run_id: int, rule_id: str) -> str | None:
    """The one threshold a rule's findings are held to in a run, as people read it; None when several or none."""
    f = t.findings.c
    rows = conn.execute(
        select(f.threshold, f.unit)
        .where(t.held_by(t.findings, run_id), f.rule_id == rule_id, f.threshold.is_not(None))
        .distinct()
        .limit(2)
    ).all()
    if len(rows) != 1:
        return None
    value = exact(rows[0][0])
    return None if value is None else shown(value, rows[0][1], "en")


def _rule_impacts(
    conn: Connection,
    before_run: int,
    after_run: int,
    documents: set[int],
    rules: Sequence[str],
    findings: list[FindingChange],
) -> list[RuleImpact]:
    judged = _insurers(conn, after_run, documents, rules, ("pass", "fail", "indeterminate", "waived"))
    failing_before = _insurers(conn, before_run, documents, rules, ("fail",))
    failing_after = _insurers(conn, after_run, documents, rules, ("fail",))
    out = []
    for rule_id in rules:
        try:
            rule: RuleModule | None = registry.get(rule_id)
        except registry.UnknownRule:
            rule = None
        mine = [f for f in findings if f.rule_id == rule_id]
        counts = {flip: sum(1 for f in mine if f.flip == flip) for flip in ("newly_fails", "newly_passes", "changes")}
        n, was, now = judged.get(rule_id, 0), failing_before.get(rule_id, 0), failing_after.get(rule_id, 0)
        held_then, held_now = _threshold(conn, before_run, rule_id), _threshold(conn, after_run, rule_id)
        against = {"en": "", "zh": ""}
        if held_now is not None and held_then is not None and held_now != held_then:
            against = {"en": f", held to {held_now} (now {held_then})", "zh": f"，标准为{held_now}（现为{held_then}）"}
        summary = {
            "en": f"{rule_id}: {now} of {n} insurer(s) it judges would fail{against['en']}; {was} fail it now. "
            f"{counts['newly_fails']} finding(s) newly fail, {counts['newly_passes']} newly pass, "
            f"{counts['changes']} change otherwise.",
            "zh": f"{rule_id}：其适用的{n}家机构中将有{now}家未通过{against['zh']}；目前为{was}家。"
            f"新增未通过{counts['newly_fails']}项，新通过{counts['newly_passes']}项，其他变化{counts['changes']}项。",
        }
        out.append(
            RuleImpact(
                rule_id=rule_id,
                clause=rule.CLAUSE if rule is not None else (mine[0].clause if mine else 0),
                insurers_judged=n,
                insurers_failing_before=was,
                insurers_failing_after=now,
                summary=LangText(en=summary["en"], zh=summary["zh"]),
                **counts,
            )
        )
    return out
