"""Read a stored run back as typed ``Results`` (contract/outputs.py, published as `schema results`): every
report renders from them. Also the diff of two runs (``diff_results``), computed here so that reports/diff.py
only renders it.

Titles and messages come from the texts the run stored (run_texts), so that an old run reads as it was; runs
stored before those were kept read with the code's. A stored ruleset that no longer loads is a warning in
``run.warnings``, never silence.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from .contract.locate import locate
from .contract.outputs import (
    DiffFinding,
    DiffResult,
    DiffRun,
    DiffSummary,
    DimensionChange,
    Finding,
    LangText,
    Parameter,
    Results,
    Score,
    ScoreChange,
    SubmissionResult,
)
from .figures import finding_item, finding_texts, number, threshold_text
from .ruleset import RuleEntry, Ruleset, RulesetError, RulesetFile, load_stored_ruleset, with_legacy_policy
from .run_texts import RunTexts, canonical
from .store import run_reads
from .wording import localize


def fingerprint(insurer: str, kind: str, document_key: str, rule_id: str, subject: str, key: str) -> str:
    """Stable identity of a finding across runs: who, which document, which rule, which subject.

    The rule is named by its current ID (``rules.ALIASES``), so that a renamed rule's findings keep theirs.
    Pass ``subject`` through ``stable_subject`` first, so that a product keeps its identity when the
    products before it in the list change.
    """
    text = "\x1f".join([insurer, kind, document_key, canonical(rule_id), subject, key])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def stable_subject(subject: str, pointer: str | None, code: str | None) -> str:
    """/products/3/premium_rate -> products[P-CODE]/premium_rate: positions shift, product codes do not.

    ``pointer`` is the product the subject names ('/products/3'), ``code`` that product's code (None: keep).
    """
    if pointer is None or code is None:
        return subject
    return f"products[{code}]" + subject[len(pointer) :]


def message(rule_id: str, status: str, finding: dict[str, Any], lang: str, texts: RunTexts | None = None) -> str:
    """The rule's message for a finding in ``lang``, with its evidence in that language, and a note when the
    verdict rests on parameters that are readings of ours (``interpretation: true`` in the ruleset). The templates
    are the run's stored ones (``texts``); without them, the code's. ``status`` is the stored one (a not-covered
    item reads with its rule's failure message)."""
    templates = (texts or RunTexts(None)).messages(rule_id)
    template = templates.get(status) or templates.get("fail") or {"en": "{actual}", "zh": "{actual}"}
    evidence = finding["evidence"][lang]
    values = {
        "subject": finding["subject"] or ("(document)" if lang == "en" else "（文件）"),
        "key": finding["key"],
        "expected": evidence["expected"],
        "actual": evidence["actual"],
        "dispensation": finding.get("dispensation") or "",
        "threshold": threshold_text(finding, lang),
    }
    readings = [
        name
        for name, p in finding.get("parameters", {}).items()
        if p.get("interpretation") and p.get("value") is not None
    ]
    note = ""
    if readings and status != "not_applicable":
        note = (
            f" (Rests on our reading of the guidance: {', '.join(readings)}.)"
            if lang == "en"
            else f"（该结论依据本工具对指导意见的解释：{'、'.join(readings)}。）"
        )
    return template[lang].format(**values) + note


@lru_cache(maxsize=65536)
def _localized(text: str, lang: str) -> str:
    return localize(text, lang)


@lru_cache(maxsize=8)
def _ruleset(text: str) -> Ruleset | None:
    try:
        return load_stored_ruleset(text, "stored run")
    except RulesetError:
        return _rules_only(text)


def _rules_only(text: str) -> Ruleset | None:
    """The rules of a stored ruleset that no longer loads whole (e.g. one stored before its ``scoring`` section
    was dated and banded): its findings keep their parameters and citations; its scoring is left out (None)."""
    try:
        raw = with_legacy_policy(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        entries = {rule_id: RuleEntry.model_validate(entry) for rule_id, entry in raw["rules"].items()}
    except (yaml.YAMLError, ValidationError, TypeError, KeyError, AttributeError):
        return None
    fields: dict[str, Any] = {"id": str(raw.get("id")), "version": str(raw.get("version")), "rules": entries}
    data = RulesetFile.model_construct(**fields)  # no scoring: _scoring() reports None
    return Ruleset(data, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _scoring(ruleset: Ruleset | None) -> dict[str, Any] | None:
    """The scoring method of the run's stored ruleset (its date, citation and display bands); None when the
    stored text no longer loads."""
    if ruleset is None or getattr(ruleset.data, "scoring", None) is None:
        return None
    from .scoring import method

    return method(ruleset)


def _margin(value: Decimal | float | None) -> str | None:
    return None if value is None else number(value)


def _listed(listed: bool, include_passes: bool, status: str | None) -> str:
    if not listed:
        return "none (counted only)"
    if status:
        return f"status {status} only"
    return "all" if include_passes else "open and waived only"


def run_results(
    conn: Connection,
    run_id: int,
    *,
    insurer: str | None = None,
    status: str | None = None,
    include_passes: bool = True,
    expiry_warning_days: int = 90,
    locate: bool = False,
    listed: bool = True,
) -> Results:
    """The results of a stored run, optionally of one insurer's documents and one status (``not_covered``
    included), or open, not covered and waived only (``include_passes=False``); dispensations expiring within
    ``expiry_warning_days`` of the run's as-of date are marked ``expiring_soon``.

    A finding's status is its outcome (``store.run_reads.OUTCOME``): a failure of an encouraged obligation is
    ``not_covered``, counted apart from the failures in the summary and never among the open findings.

    ``locate``: give each finding the line and column of its subject in the stored text of its document
    (otherwise null). Each document with findings listed is read and scanned once (see ``contract.locate``),
    so outputs that show no position leave it off. ``listed=False``: no finding is read, only counted (summary)."""
    run = run_reads.run(conn, run_id)
    if run is None:
        raise LookupError(f"no run {run_id}")
    ruleset = _ruleset(run.ruleset_text)
    texts = RunTexts(run.texts)
    out_subs: dict[int, dict[str, Any]] = {}
    for doc in run_reads.documents(conn, run_id, insurer):
        out_subs[doc.id] = {
            "submission_id": doc.id,
            "insurer": {"code": doc.insurer_code, "name": doc.insurer_name},
            "kind": doc.kind,
            "period": doc.period,
            "document_key": doc.document_key,
            "revision": doc.revision,
            "source": doc.source,
            "sha256": doc.sha256,
            "binding_date": doc.binding_date.isoformat(),
            "context_submission_id": doc.context_submission_id,
            "warnings": doc.warnings,
            "score": None,
            "findings": [],
        }
    params_cache: dict[tuple[str, date], dict[str, Any]] = {}
    shared = _Shared()
    rows = run_reads.findings(conn, run_id, status, include_passes) if listed else iter(())
    for finding in rows:
        sub = out_subs.get(finding.submission_id)
        if sub is None:
            continue
        item: dict[str, Any] = finding_item(finding)
        item["status"] = finding.outcome
        item["title"] = texts.title(finding.rule_id)
        bound = date.fromisoformat(sub["binding_date"])
        cache_key = (finding.rule_id, bound)
        if cache_key not in params_cache:
            params_cache[cache_key] = texts.parameters(ruleset, finding.rule_id, bound)
        item["parameters"] = params_cache[cache_key]
        texts_en_zh = {"en": (item["expected"], item["actual"]), "zh": finding_texts(finding, "zh")}
        item["evidence"] = {
            lang: {"expected": _localized(texts_en_zh[lang][0], lang), "actual": _localized(texts_en_zh[lang][1], lang)}
            for lang in ("en", "zh")
        }
        item["message"] = {lang: message(finding.rule_id, finding.status, item, lang, texts) for lang in ("en", "zh")}
        # Only a dedicated product of a submission's list is named by its code (as fingerprints always have).
        named = finding.product_dedicated and finding.product_pointer.startswith("/products/")
        stable = stable_subject(finding.subject, finding.product_pointer if named else None, finding.product_code)
        item["fingerprint"] = fingerprint(
            sub["insurer"]["code"], sub["kind"], sub["document_key"], finding.rule_id, stable, finding.key
        )
        sub["findings"].append(shared.finding(item, cache_key))
    if locate:
        for sub in out_subs.values():
            if sub["findings"]:
                _locate(conn, sub)
    for score in run_reads.scores(conn, run_id):
        if score.submission_id in out_subs:
            comp = score.breakdown.get("compliance") or {}
            out_subs[score.submission_id]["score"] = {
                "compliance": _margin(score.compliance),
                "blocking": score.blocking,
                # the band the score is shown in, as scoring stored it ("poor" when blocking, "none" when
                # not scored); runs scored before bands were stored show "none"
                "band": comp.get("band", "none"),
                "not_scored": comp.get("not_scored") if score.compliance is None else None,
                "variety": _margin(score.variety),
                "coverage": _margin(score.coverage),
                "protection": _margin(score.protection),
                "service": _margin(score.service),
                "breakdown": score.breakdown,
            }
    submissions = list(out_subs.values())
    # The summary counts every finding of the selection, also the ones a filter left out of the list.
    statuses, severities = run_reads.outcome_counts(conn, run_id, list(out_subs))
    warnings = (
        []
        if ruleset is not None
        else [
            f"the ruleset stored with run {run.id} ({run.ruleset_id} {run.ruleset_version}) can no longer be read: "
            "findings are shown without their parameters and citations, and the scoring method is unknown"
        ]
    )
    # Validated once, in pydantic's core: faster than building each model in Python (model_construct).
    return Results.model_validate(
        {
            "run": {
                "id": run.id,
                "ruleset": {"id": run.ruleset_id, "version": run.ruleset_version, "sha256": run.ruleset_sha256},
                "scoring": _scoring(ruleset),
                "tool_version": run.tool_version,
                "as_of": run.as_of.isoformat(),
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "judged": run_reads.judged(conn, run_id, out_subs),
                "warnings": warnings,
                "rules": [
                    {"id": r, "clause": texts.clause(r), "title": texts.title(r), "help": texts.help(r)}
                    for r in texts.rule_ids()
                ],
            },
            "summary": {
                "submissions": len(submissions),
                "status": dict(sorted(statuses.items())),
                "listed": _listed(listed, include_passes, status),
                "open_by_severity": dict(sorted(severities.items())),
            },
            "submissions": submissions,
            # Scoped like the submissions: a report for one insurer never shows another insurer's dispensations.
            "dispensations": [
                d
                for d in _run_dispensations(conn, run_id, run.as_of, expiry_warning_days)
                if insurer is None or d["insurer"] == insurer
            ],
        }
    )


def _run_dispensations(conn: Connection, run_id: int, as_of: date, warn_days: int) -> list[dict[str, Any]]:
    """Every dispensation the run considered, as it was applied, with its days to expiry from ``as_of``
    (``expiring_soon``: within ``warn_days``)."""
    out = []
    for r in run_reads.dispensations(conn, run_id):
        days = (r.expires - as_of).days
        out.append(
            {
                **r.record,
                "status": r.status,
                "covered": r.covered,
                "expires_in_days": days,
                "expiring_soon": 0 <= days <= warn_days,
            }
        )
    return out


class _Shared:
    """Findings built as they are read, not validated (the values are the database's; tests hold every output to
    the published schema), each rule's title and each (rule, date)'s parameters made once and shared: a market's
    findings then cost few objects, which the garbage collector would otherwise walk."""

    def __init__(self) -> None:
        self._titles: dict[str, LangText] = {}
        self._parameters: dict[tuple[str, date], dict[str, Parameter]] = {}

    def finding(self, item: dict[str, Any], params_key: tuple[str, date]) -> Finding:
        title = self._titles.setdefault(item["rule_id"], item["title"])
        parameters = self._parameters.get(params_key)
        if parameters is None:
            parameters = self._parameters[params_key] = {
                name: Parameter.model_validate(p) for name, p in item["parameters"].items()
            }
        return Finding(**{**item, "title": title, "parameters": parameters, "line": None, "column": None})


def _locate(conn: Connection, sub: dict[str, Any]) -> None:
    """Fill in the line and column of each finding of ``sub`` from its document's stored text, scanned once."""
    text = run_reads.document_text(conn, sub["submission_id"])
    if text is None:
        return
    findings: list[Finding] = sub["findings"]
    named = {index for f in findings if (index := _product_index(f.subject)) is not None}
    offsets = run_reads.product_offsets
    elements = offsets(conn, sub["submission_id"], named) if named and sub["kind"] == "submission" else {}
    positions = locate(text, sub["source"], {f.subject for f in findings}, elements)
    for f in findings:
        position = positions.find(f.subject)
        if position is not None:  # set once on a finding nobody has seen yet (a frozen dataclass, built unlocated)
            object.__setattr__(f, "line", position[0])
            object.__setattr__(f, "column", position[1])


def _product_index(subject: str) -> int | None:
    """The index of the product a subject lies in (``/products/3/premium_rate`` -> 3), else None."""
    parts = subject.split("/", 3)
    return int(parts[2]) if len(parts) > 2 and parts[1] == "products" and parts[2].isdecimal() else None


def worst_severity(results: Results) -> str | None:
    """The most severe open finding (fail or indeterminate); waived and passes never count."""
    from .engine import SEVERITY_RANK

    open_ = results.summary.open_by_severity
    return max(open_, key=SEVERITY_RANK.__getitem__) if open_ else None


# --- diff of two runs ------------------------------------------------------------------------------------

OPEN_STATUSES = ("fail", "indeterminate")
WAIVED = "waived"
NOT_COVERED = run_reads.NOT_COVERED  # counted apart (``DiffSummary.not_covered``), never new, persisting or fixed
CHANGES = ("new", "fixed", "waived", "persisting", "not_rechecked")
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


class DiffError(Exception):
    """The runs to compare cannot be found; the message says which."""


def last_two_runs(engine: Engine) -> tuple[int, int]:
    ids = run_reads.last_two_runs(engine)
    if len(ids) < 2:
        raise DiffError(f"diff needs two stored runs; the database has {len(ids)}")
    return ids[1], ids[0]


def _doc_key(sub: SubmissionResult) -> tuple[str, str, str]:
    return sub.insurer.code, sub.kind, sub.document_key


def _change(before: str | None, after: str | None) -> str | None:
    if before is None or after is None:
        return None
    delta = Decimal(after) - Decimal(before)
    text = format(delta.normalize(), "f") if delta else "0"
    return text if delta <= 0 else "+" + text


def _dimension(score: Score | None, name: str) -> str | None:
    value: str | None = None if score is None else getattr(score, name)
    return value


def _diff_run(results: Results) -> DiffRun:
    run = results.run
    return DiffRun(
        id=run.id, ruleset=run.ruleset, as_of=run.as_of, started_at=run.started_at, documents=len(results.submissions)
    )


def _entry(change: str, sub: SubmissionResult, before: Finding | None, after: Finding | None) -> DiffFinding:
    """One change. What is shown (severity, status, message) is one state, never a mix: the earlier run's for a
    finding that is fixed or not rechecked, the later run's otherwise."""
    shown = before if change in ("fixed", "not_rechecked") else after
    assert shown is not None
    return DiffFinding(
        change=change,
        fingerprint=shown.fingerprint,
        insurer=sub.insurer.code,
        kind=sub.kind,
        document_key=sub.document_key,
        rule_id=shown.rule_id,
        clause=shown.clause,
        subject=shown.subject,
        key=shown.key,
        severity=shown.severity,
        status=shown.status,
        status_before=before.status if before else None,
        status_after=after.status if after else None,
        expected=shown.expected,
        actual_before=before.actual if before else None,
        actual_after=after.actual if after else None,
        dispensation_before=before.dispensation if before else None,
        dispensation_after=after.dispensation if after else None,
        message=shown.message,
    )


def diff_results(before: Results, after: Results, expiry_warning_days: int | None = None) -> DiffResult:
    """What changed from the earlier run's results (passes included) to the later one's.

    Findings are matched by their fingerprint (insurer, document kind and key, rule, subject and key), never
    by their position in a list, so a breach in one product cannot hide or stand in for a breach in another.
    Open findings (fail, indeterminate) and waived ones are compared:

    - ``new``: open in the later run, and not open in the earlier one (passed, was absent, the document was not
      checked then, or it was waived and its dispensation has lapsed);
    - ``fixed``: open in the earlier run; the later run checked the same document and the finding is no longer
      open and not waived (it passes or is not applicable, or the subject is gone);
    - ``waived``: waived by a dispensation in the later run, whatever it was before. A waived breach is not
      fixed;
    - ``persisting``: open in both (the status may move between fail and indeterminate);
    - ``not_rechecked``: open in the earlier run, but the later run did not check that document at all, so
      nothing can be said (it is not counted as fixed).

    Not covered items (an encouraged obligation not met) are not open: they are counted apart, as the later
    run's ``summary.not_covered``; an open finding that becomes not covered is fixed.

    ``expiring_dispensations`` are the later run's dispensations marked ``expiring_soon``;
    ``expiry_warning_days`` is the window they were judged with, only recorded.
    """
    docs_before = {_doc_key(s): s for s in before.submissions}
    docs_after = {_doc_key(s): s for s in after.submissions}
    findings: list[DiffFinding] = []
    scores: list[ScoreChange] = []
    order = sorted(set(docs_before) | set(docs_after), key=lambda k: (k[0], k[1] != "submission", k[2]))
    for key in order:
        sub_b, sub_a = docs_before.get(key), docs_after.get(key)
        by_fp_b = {f.fingerprint: f for f in sub_b.findings} if sub_b else {}
        by_fp_a = {f.fingerprint: f for f in sub_a.findings} if sub_a else {}
        entries = []
        if sub_a is not None:
            for fp, f in by_fp_a.items():
                old = by_fp_b.get(fp)
                if f.status == WAIVED:
                    entries.append(_entry(WAIVED, sub_a, old, f))
                elif f.status in OPEN_STATUSES:
                    was_open = old is not None and old.status in OPEN_STATUSES
                    entries.append(_entry("persisting" if was_open else "new", sub_a, old, f))
        if sub_b is not None:
            for fp, old in by_fp_b.items():
                if old.status not in OPEN_STATUSES:
                    continue
                now = by_fp_a.get(fp)
                if sub_a is None:
                    entries.append(_entry("not_rechecked", sub_b, old, None))
                elif now is None or now.status not in (*OPEN_STATUSES, WAIVED):
                    entries.append(_entry("fixed", sub_a, old, now))
        entries.sort(key=lambda e: (CHANGES.index(e.change), e.clause, e.rule_id, e.subject, e.key))
        findings.extend(entries)
        score_b = sub_b.score if sub_b else None
        score_a = sub_a.score if sub_a else None
        scores.append(
            ScoreChange(
                insurer=key[0],
                kind=key[1],
                document_key=key[2],
                in_before=sub_b is not None,
                in_after=sub_a is not None,
                blocking_before=score_b.blocking if score_b else None,
                blocking_after=score_a.blocking if score_a else None,
                # a document checked but not scored (compliance null, with the reason) is not a missing document
                not_scored_before=score_b.not_scored if score_b and score_b.compliance is None else None,
                not_scored_after=score_a.not_scored if score_a and score_a.compliance is None else None,
                **{
                    name: DimensionChange(
                        before=_dimension(score_b, name),
                        after=_dimension(score_a, name),
                        change=_change(_dimension(score_b, name), _dimension(score_a, name)),
                    )
                    for name in DIMENSIONS
                },
            )
        )
    return DiffResult(
        before=_diff_run(before),
        after=_diff_run(after),
        summary=DiffSummary(
            **{change: sum(1 for f in findings if f.change == change) for change in CHANGES},
            not_covered=sum(1 for s in after.submissions for f in s.findings if f.status == NOT_COVERED),
        ),
        findings=findings,
        scores=scores,
        expiry_warning_days=expiry_warning_days,
        expiring_dispensations=[d for d in after.dispensations if d.expiring_soon],
    )


def diff_runs(
    engine: Engine,
    run_before: int | None = None,
    run_after: int | None = None,
    insurer: str | None = None,
    expiry_warning_days: int = 90,
) -> DiffResult:
    """Diff two stored runs (default: the last two), optionally for one insurer; dispensations of the later run
    expiring within ``expiry_warning_days`` are listed."""
    if run_before is None or run_after is None:
        run_before, run_after = last_two_runs(engine)
    with engine.connect() as conn:
        try:
            before = run_results(conn, run_before, insurer=insurer, expiry_warning_days=expiry_warning_days)
            after = run_results(conn, run_after, insurer=insurer, expiry_warning_days=expiry_warning_days)
        except LookupError as exc:
            raise DiffError(str(exc).replace("no run", "no stored run")) from None
    return diff_results(before, after, expiry_warning_days)
