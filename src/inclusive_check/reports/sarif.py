"""SARIF 2.1.0 (OASIS) for code-scanning tools, e.g. GitHub's upload-sarif.

One SARIF run per checker run. ``tool.driver.rules`` lists every rule with its title, help text and
guidance item; the guidance items are also a SARIF taxonomy, which each rule relates to. Results are
the findings that need attention or were waived:

- ``fail`` -> kind ``fail`` with level error / warning / note from the finding's severity;
- ``indeterminate`` -> kind ``open`` (the rule could not decide), level ``none`` as SARIF requires for
  a kind other than ``fail``; the finding's severity stays in ``properties.severity``;
- ``waived`` -> kind ``fail`` with an accepted external suppression naming the dispensation;
- ``not_covered`` (an encouraged obligation not met: scored, never a breach) -> level ``note`` whatever its
  severity (kind ``fail``, as SARIF requires of a level other than ``none``), ``properties.status`` saying so.

``tool.driver.rules`` are the rules the run stored texts for (``results.run.rules``), never the code's: an old
run's log names its rules as they were.

Every result states its level (SARIF 2.1.0 §3.27.10). A rule's ``defaultConfiguration.level`` (§3.50) is
the level its ``fail`` results carry (the most common one, should a dated severity give some of them
another), so that a viewer that shows the rule's default shows what its results say; a rule with no
failure in the log states none, as its severity comes from the ruleset, not from the rule.

Passing and not-applicable checks are left out (a code-scanning alert list is for problems). Each
result is located at its document and, when the document's text is known, at the line and column of its
subject. Documents under the source root (``--base-dir``, by default the git repository holding the
working directory) are named relative to it, with ``uriBaseId`` ``SRCROOT``, which ``originalUriBaseIds``
declares; others by an absolute ``file:`` URI. ``partialFingerprints`` carry the finding's fingerprint,
which is stable across runs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..contract.outputs import Results, RuleText
from ..i18n import cite
from .common import SRCROOT, Locator, artifact_uri, citations, source_root

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TAXONOMY = "NFRA-2024-inclusive-insurance-guidance"
FINGERPRINT_KEY = "inclusiveCheckFinding/v1"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
GUIDANCE = "国家金融监督管理总局关于推进普惠保险高质量发展的指导意见 (NFRA, 2024-05-29)"


def _rule_descriptor(rule: RuleText, level: str | None, strength: str | None) -> dict[str, Any]:
    """A rule's descriptor. Its strength is ruleset data: the one its listed findings carry (none listed: none)."""
    rule_id, title, clause, doc = rule.id, rule.title, rule.clause, rule.help
    summary = doc.split("\n\n", 1)[0].replace("\n", " ")
    stated = f"; strength: {strength}" if strength else ""
    item = cite(clause, "en")
    help_text = f"{title['en']}\n{title['zh']}\n\nGuidance {item} of {GUIDANCE}{stated}.\n\n{doc}"
    help_markdown = (
        f"**{title['en']}** / {title['zh']}\n\nGuidance **{item}** of {GUIDANCE}"
        f"{f'; strength: *{strength}*' if strength else ''}.\n\n{doc}"
    )
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title["en"]},
        "fullDescription": {"text": summary},
        "help": {"text": help_text, "markdown": help_markdown},
        "relationships": [{"target": {"id": str(clause), "toolComponent": {"name": TAXONOMY}}, "kinds": ["relevant"]}],
        "properties": {
            "guidance_item": clause,
            **({"strength": strength} if strength else {}),
            "title_zh": title["zh"],
            "tags": ["inclusive-insurance", f"guidance-item-{clause}", *([strength] if strength else [])],
        },
    }
    if level is not None:
        descriptor["defaultConfiguration"] = {"level": level}
    return descriptor


def _level(finding: dict[str, Any]) -> str:
    """none for an undecided check, note for an item not covered, else the finding's severity's level."""
    status = finding["status"]
    return "none" if status == "indeterminate" else "note" if status == "not_covered" else LEVEL[finding["severity"]]


def _result(
    sub: dict[str, Any],
    finding: dict[str, Any],
    rule_index: dict[str, int],
    artifact_index: int,
    locator: Locator,
    lang: str,
    root: Path,
) -> dict[str, Any]:
    status = finding["status"]
    uri, base = artifact_uri(sub["source"], root)
    artifact: dict[str, Any] = {"uri": uri, "index": artifact_index}
    if base:
        artifact["uriBaseId"] = base
    physical: dict[str, Any] = {"artifactLocation": artifact}
    position = locator.find(sub, finding["subject"])
    if position is not None:
        physical["region"] = {"startLine": position[0], "startColumn": position[1]}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding["subject"]:
        location["logicalLocations"] = [{"fullyQualifiedName": finding["subject"], "kind": "element"}]
    result: dict[str, Any] = {
        "ruleId": finding["rule_id"],
        "kind": "open" if status == "indeterminate" else "fail",
        "level": _level(finding),
        "message": {"text": finding["message"][lang]},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding["fingerprint"]},
        "properties": {
            "status": status,
            "severity": finding["severity"],
            "strength": finding["strength"],
            "guidance_item": finding["clause"],
            "subject": finding["subject"],
            "key": finding["key"],
            "expected": finding["expected"],
            "actual": finding["actual"],
            "margin": finding["margin"],
            "citations": citations(finding),
            "parameters": finding["parameters"],
            "message": finding["message"],
            "insurer": sub["insurer"]["code"],
            "document_kind": sub["kind"],
            "document_key": sub["document_key"],
            "revision": sub["revision"],
        },
    }
    if finding["rule_id"] in rule_index:
        result["ruleIndex"] = rule_index[finding["rule_id"]]
    if status == "waived":
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f"dispensation {finding['dispensation']}"}
        ]
    return result


def _original_uri_base_ids(root: Path) -> dict[str, Any]:
    """§3.14.14: SRCROOT as the absolute URI of the source root, ending in a slash."""
    uri = root.as_uri()
    return {
        SRCROOT: {
            "uri": uri if uri.endswith("/") else uri + "/",
            "description": {"text": "The source root: --base-dir, else the git repository's root."},
        }
    }


def sarif_log(
    typed: Results, lang: str = "en", texts: Mapping[str, str] | None = None, base_dir: Path | None = None
) -> dict[str, Any]:
    """The SARIF log as a dict (see the module docstring); ``base_dir`` defaults to ``common.source_root()``."""
    results = typed.model_dump(mode="json")  # this format reads the published JSON form
    locator = Locator(texts)
    root = source_root(base_dir)
    fail_levels: dict[str, Counter[str]] = {}
    strengths: dict[str, str] = {}
    known = {rule.id: rule for rule in typed.run.rules}
    for sub in results["submissions"]:
        for finding in sub["findings"]:
            rule_id = finding["rule_id"]
            strengths.setdefault(rule_id, finding["strength"])
            # a rule the run stored no text for (a retired ID read with the code's texts): as its findings name it
            known.setdefault(
                rule_id,
                RuleText(id=rule_id, clause=finding["clause"], title=finding["title"], help=finding["title"]["en"]),
            )
            if finding["status"] in ("fail", "waived", "not_covered"):  # the results of kind fail, with their level
                fail_levels.setdefault(rule_id, Counter())[_level(finding)] += 1
    levels = {rule_id: counts.most_common(1)[0][0] for rule_id, counts in fail_levels.items()}
    rule_ids = list(known)
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    clauses = sorted({rule.clause for rule in known.values() if rule.clause})
    artifacts: list[dict[str, Any]] = []
    sarif_results: list[dict[str, Any]] = []
    for sub in results["submissions"]:
        uri, base = artifact_uri(sub["source"], root)
        location: dict[str, Any] = {"uri": uri}
        if base:
            location["uriBaseId"] = base
        artifacts.append(
            {
                "location": location,
                "hashes": {"sha-256": sub["sha256"]},
                "properties": {
                    "insurer": sub["insurer"]["code"],
                    "kind": sub["kind"],
                    "document_key": sub["document_key"],
                    "revision": sub["revision"],
                },
            }
        )
        for finding in sub["findings"]:
            if finding["status"] in ("fail", "indeterminate", "waived", "not_covered"):
                sarif_results.append(_result(sub, finding, rule_index, len(artifacts) - 1, locator, lang, root))
    run = results["run"]
    version = str(run["tool_version"])
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "inclusive-check",
                        "version": version,
                        "semanticVersion": version,
                        "rules": [_rule_descriptor(known[r], levels.get(r), strengths.get(r)) for r in rule_ids],
                        "supportedTaxonomies": [{"name": TAXONOMY}],
                        "properties": {"ruleset": run["ruleset"]},
                    }
                },
                "taxonomies": [
                    {
                        "name": TAXONOMY,
                        "fullName": GUIDANCE,
                        "organization": "National Financial Regulatory Administration (国家金融监督管理总局)",
                        "taxa": [{"id": str(c), "name": f"item {c}"} for c in clauses],
                    }
                ],
                "invocations": [
                    {"executionSuccessful": True, "properties": {"run_id": run["id"], "as_of": run["as_of"]}}
                ],
                "automationDetails": {"id": f"inclusive-check/{run['ruleset']['id']}/"},
                "originalUriBaseIds": _original_uri_base_ids(root),
                "columnKind": "unicodeCodePoints",
                "artifacts": artifacts,
                "results": sarif_results,
            }
        ],
    }


def render(
    results: Results, lang: str = "en", texts: Mapping[str, str] | None = None, base_dir: Path | None = None
) -> str:
    return json.dumps(sarif_log(results, lang, texts, base_dir), ensure_ascii=False, indent=2)


INPUT_RULE = "INPUT-NOT-VALID"


def problems_log(problems: list[dict[str, Any]], tool_version: str, base_dir: Path | None = None) -> dict[str, Any]:
    """Input that is not valid (``Problem.as_dict()``), as SARIF: one error result per problem, nothing checked."""
    results: list[dict[str, Any]] = []
    root = source_root(base_dir)
    for p in problems:
        uri, base = artifact_uri(p["file"], root)
        artifact: dict[str, Any] = {"uri": uri}
        if base:
            artifact["uriBaseId"] = base
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if p.get("line") is not None:
            physical["region"] = {"startLine": p["line"]}
            if p.get("column") is not None:
                physical["region"]["startColumn"] = p["column"]
        location: dict[str, Any] = {"physicalLocation": physical}
        if p["pointer"]:
            location["logicalLocations"] = [{"fullyQualifiedName": p["pointer"], "kind": "element"}]
        results.append(
            {
                "ruleId": INPUT_RULE,
                "ruleIndex": 0,
                "kind": "fail",
                "level": "error",
                "message": {"text": p["message"]},
                "locations": [location],
            }
        )
    rule = {
        "id": INPUT_RULE,
        "name": "InputNotValid",
        "shortDescription": {"text": "Ensure the document parses and is valid against its published JSON Schema"},
        "help": {
            "text": "The document could not be parsed or is not valid against the published JSON Schema "
            "of its kind (see `inclusive-check schema KIND`); nothing was checked."
        },
        "defaultConfiguration": {"level": "error"},
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "inclusive-check",
                        "version": tool_version,
                        "semanticVersion": tool_version,
                        "rules": [rule],
                    }
                },
                "invocations": [{"executionSuccessful": False}],
                "originalUriBaseIds": _original_uri_base_ids(root),
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_problems(problems: list[dict[str, Any]], tool_version: str, base_dir: Path | None = None) -> str:
    return json.dumps(problems_log(problems, tool_version, base_dir), ensure_ascii=False, indent=2)
