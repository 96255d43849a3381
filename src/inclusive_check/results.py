"""Read a stored run back as the documented JSON shape (the findings contract). Every report renders from this.

Shape::

    {"schema": "inclusive-check/results/1", "run": {...}, "summary": {...},
     "submissions": [{"submission_id", "insurer", "kind", "period", "document_key", "revision", "source",
                      "sha256", "warnings", "score", "findings": [finding, ...]}]}

A score is null (nothing stored) or {compliance (a decimal string, or null: not scored), not_scored
({en, zh} reason, when compliance is null), blocking, band (good, fair, poor or none: the display band the
scoring stored, poor whenever blocking), variety, coverage, protection, service, breakdown}.

A finding carries rule_id, clause, strength, severity, status, subject (JSON Pointer), key, expected,
actual (as stored, in English), evidence {en, zh: {expected, actual}} (the same in each language), margin (a
decimal string or null), message {en, zh}, parameters {name: {value, effective_from,
citation, interpretation}}, title {en, zh}, dispensation and fingerprint (stable across runs).
``dispensations`` lists every dispensation the run considered, with status applied, expired or unused,
the failures it covered, and days to expiry (``expiring_soon`` within ``expiry_warning_days``);
with ``insurer``, only that insurer's.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Connection, func, select

from . import rules
from .figures import finding_item, finding_texts
from .rules.base import STATUSES, RuleModule, number
from .ruleset import RuleEntry, Ruleset, RulesetError, RulesetFile, load_stored_ruleset, with_legacy_policy
from .store import tables as t
from .store.queries import insurer_names_as_filed
from .wording import localize

RESULTS_SCHEMA = "inclusive-check/results/1"


def known_rule(rule_id: str) -> RuleModule | None:
    """The rule of a stored finding (a retired ID resolves to its successor); None for a rule this version
    no longer has, whose stored findings still render, with their ID for a title."""
    try:
        return rules.get(rule_id)
    except rules.UnknownRule:
        return None


def fingerprint(insurer: str, kind: str, document_key: str, rule_id: str, subject: str, key: str) -> str:
    """Stable identity of a finding across runs: who, which document, which rule, which subject.

    The rule is named by its current ID (``rules.ALIASES``), so that a renamed rule's findings keep theirs.
    Pass ``subject`` through ``stable_subject`` first, so that a product keeps its identity when the
    products before it in the list change.
    """
    text = "\x1f".join([insurer, kind, document_key, rules.canonical(rule_id), subject, key])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def stable_subject(subject: str, pointer: str | None, code: str | None) -> str:
    """/products/3/premium_rate -> products[P-CODE]/premium_rate: positions shift, product codes do not.

    ``pointer`` is the product the subject names ('/products/3'), ``code`` that product's code (None: keep).
    """
    if pointer is None or code is None:
        return subject
    return f"products[{code}]" + subject[len(pointer):]


def message(rule_id: str, status: str, finding: dict[str, Any], lang: str) -> str:
    """The rule's message for a finding in ``lang``, with its evidence in that language, and a note when the
    verdict rests on parameters that are readings of ours (``interpretation: true`` in the ruleset)."""
    rule = known_rule(rule_id)
    templates = rule.MESSAGES if rule else {}
    template = templates.get(status) or templates.get("fail") or {"en": "{actual}", "zh": "{actual}"}
    evidence = finding["evidence"][lang]
    values = {"subject": finding["subject"] or ("(document)" if lang == "en" else "（文件）"), "key": finding["key"],
              "expected": evidence["expected"], "actual": evidence["actual"],
              "dispensation": finding.get("dispensation") or ""}
    readings = [name for name, p in finding.get("parameters", {}).items()
                if p.get("interpretation") and p.get("value") is not None]
    note = ""
    if readings and status != "not_applicable":
        note = (f" (Rests on our reading of the guidance: {', '.join(readings)}.)" if lang == "en"
                else f"（该结论依据本工具对指导意见的解释：{'、'.join(readings)}。）")
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


def run_results(conn: Connection, run_id: int, *, insurer: str | None = None, status: str | None = None,
                include_passes: bool = True, expiry_warning_days: int = 90) -> dict[str, Any]:
    run = conn.execute(select(t.runs).where(t.runs.c.id == run_id)).first()
    if run is None:
        raise LookupError(f"no run {run_id}")
    ruleset = _ruleset(run.ruleset_text)
    s, rs, i = t.submissions.c, t.run_submissions.c, t.insurers.c
    subs = select(s.id, s.insurer_id, s.kind, s.period, s.document_key, s.revision, s.source, s.sha256, i.code,
                  i.name,
                  rs.binding_date, rs.warnings, rs.context_submission_id).join(
        t.run_submissions, rs.submission_id == s.id).join(t.insurers, i.id == s.insurer_id).where(rs.run_id == run_id)
    if insurer:
        subs = subs.where(i.code == insurer)
    out_subs: dict[int, dict[str, Any]] = {}
    rows = conn.execute(subs.order_by(i.code, s.kind.desc(), s.document_key)).all()
    # Each document under the insurer name it was filed with (a later revision's new name rewrites no old run).
    as_filed = insurer_names_as_filed(conn, [(r.id, r.insurer_id, r.code, r.id if r.kind == "submission"
                                              else r.context_submission_id) for r in rows])
    for row in rows:
        out_subs[row.id] = {
            "submission_id": row.id, "insurer": {"code": row.code, "name": as_filed.get(row.id, row.name)},
            "kind": row.kind,
            "period": row.period, "document_key": row.document_key, "revision": row.revision, "source": row.source,
            "sha256": row.sha256, "binding_date": row.binding_date.isoformat(),
            "context_submission_id": row.context_submission_id, "warnings": json.loads(row.warnings),
            "score": None, "findings": [],
        }
    f, p = t.findings.c, t.products.c
    # Each finding with the product it is about.
    query = (select(t.findings, p.pointer.label("product_pointer"), p.code.label("product_code"),
                    p.name.label("product_name"), p.position.label("product_position"),
                    p.dedicated_inclusive.label("product_dedicated"))
             .outerjoin(t.products, p.id == f.product_id)
             .where(f.run_id == run_id).order_by(f.submission_id, f.id))
    if status:
        query = query.where(f.status == status)
    elif not include_passes:  # a list, not NOT IN: the findings index's status column then filters rows unread
        query = query.where(f.status.in_([s for s in STATUSES if s not in ("pass", "not_applicable")]))
    params_cache: dict[tuple[str, date], dict[str, Any]] = {}
    for finding in conn.execute(query):
        sub = out_subs.get(finding.submission_id)
        if sub is None:
            continue
        item: dict[str, Any] = finding_item(finding)
        rule = known_rule(finding.rule_id)
        item["title"] = rule.TITLE if rule else {"en": finding.rule_id, "zh": finding.rule_id}
        bound = date.fromisoformat(sub["binding_date"])
        cache_key = (finding.rule_id, bound)
        if cache_key not in params_cache:
            params_cache[cache_key] = (ruleset.parameters_at(rule, bound) if ruleset and rule
                                       and rule.ID in ruleset.data.rules else {})
        item["parameters"] = params_cache[cache_key]
        texts = {"en": (item["expected"], item["actual"]), "zh": finding_texts(finding, "zh")}
        item["evidence"] = {lang: {"expected": _localized(texts[lang][0], lang),
                                   "actual": _localized(texts[lang][1], lang)} for lang in ("en", "zh")}
        item["message"] = {lang: message(finding.rule_id, finding.status, item, lang) for lang in ("en", "zh")}
        # Only a dedicated product of a submission's list is named by its code (as fingerprints always have).
        named = finding.product_dedicated and finding.product_pointer.startswith("/products/")
        stable = stable_subject(finding.subject, finding.product_pointer if named else None, finding.product_code)
        item["fingerprint"] = fingerprint(sub["insurer"]["code"], sub["kind"], sub["document_key"], finding.rule_id,
                                          stable, finding.key)
        sub["findings"].append(item)
    for score in conn.execute(select(t.scores).where(t.scores.c.run_id == run_id)):
        if score.submission_id in out_subs:
            breakdown = json.loads(score.breakdown)
            comp = breakdown.get("compliance") or {}
            out_subs[score.submission_id]["score"] = {
                "compliance": _margin(score.compliance), "blocking": score.blocking,
                # the band the score is shown in, as scoring stored it ("poor" when blocking, "none" when
                # not scored); runs scored before bands were stored show "none"
                "band": comp.get("band", "none"),
                "not_scored": comp.get("not_scored") if score.compliance is None else None,
                "variety": _margin(score.variety), "coverage": _margin(score.coverage),
                "protection": _margin(score.protection), "service": _margin(score.service),
                "breakdown": breakdown,
            }
    submissions = list(out_subs.values())
    # The summary counts every finding of the selection, also the ones a filter left out of the list.
    # Statuses are counted from the findings' index alone; severities only over the open ones.
    mine = (f.run_id == run_id, f.submission_id.in_(out_subs))
    statuses: Counter[str] = Counter(dict(conn.execute(select(f.status, func.count()).where(*mine)
                                                       .group_by(f.status)).all()))
    severities: Counter[str] = Counter(dict(conn.execute(
        select(f.severity, func.count()).where(*mine, f.status.in_(("fail", "indeterminate")))
        .group_by(f.severity)).all()))
    return {
        "schema": RESULTS_SCHEMA,
        "run": {"id": run.id, "ruleset": {"id": run.ruleset_id, "version": run.ruleset_version,
                                          "sha256": run.ruleset_sha256},
                "scoring": _scoring(ruleset),
                "tool_version": run.tool_version, "as_of": run.as_of.isoformat(),
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None},
        "summary": {"submissions": len(submissions), "status": dict(sorted(statuses.items())),
                    "listed": "all" if include_passes and not status else "open and waived only" if not status
                    else f"status {status} only",
                    "open_by_severity": dict(sorted(severities.items()))},
        "submissions": submissions,
        # Scoped like the submissions: a report for one insurer never shows another insurer's dispensations.
        "dispensations": [d for d in _run_dispensations(conn, run_id, run.as_of, expiry_warning_days)
                          if insurer is None or d["insurer"] == insurer],
    }


def _run_dispensations(conn: Connection, run_id: int, as_of: date, warn_days: int) -> list[dict[str, Any]]:
    """Every dispensation the run considered, as it was applied, with its days to expiry from ``as_of``
    (``expiring_soon``: within ``warn_days``)."""
    rd = t.run_dispensations.c
    out = []
    for r in conn.execute(select(t.run_dispensations).where(rd.run_id == run_id).order_by(rd.id)):
        record = json.loads(r.record)
        days = (r.expires - as_of).days
        out.append({**record, "status": r.status, "covered": r.covered, "expires_in_days": days,
                    "expiring_soon": 0 <= days <= warn_days})
    return out


def worst_severity(results: dict[str, Any]) -> str | None:
    """The most severe open finding (fail or indeterminate); waived and passes never count."""
    from .engine import SEVERITY_RANK

    open_ = results["summary"]["open_by_severity"]
    return max(open_, key=SEVERITY_RANK.__getitem__) if open_ else None
