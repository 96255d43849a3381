"""JUnit XML for CI test reporters (Jenkins, GitLab, Azure, GitHub test-report actions).

One ``<testsuite>`` per checked document and one ``<testcase>`` per rule and subject (the key, e.g.
a quarter, is part of the name where a rule judges a subject more than once):

- ``pass`` -> a passing test case;
- ``fail`` at or above ``--fail-on`` -> ``<failure type="<severity>">`` whose message is the finding's
  message and whose body is the evidence: expected, actual, margin, citations and the fingerprint;
- ``indeterminate`` at or above ``--fail-on`` -> ``<error type="indeterminate">`` (the check could not be
  carried out);
- ``fail`` or ``indeterminate`` below ``--fail-on`` -> a passing test case, as the build passes: the finding
  is kept as the case's properties (status, severity, fingerprint) and its ``<system-out>`` (message and
  evidence), so a reporter shows it without turning the build red;
- ``not_covered`` (an encouraged obligation not met: scored, never a breach) -> a passing test case whatever
  ``--fail-on`` says, the finding kept as its properties and ``<system-out>`` as above; each suite counts them
  in its ``not_covered`` property;
- ``waived`` and ``not_applicable`` -> ``<skipped>`` with the reason.

``file`` and ``line`` attributes point at the subject in its document where the text is known
(several reporters turn them into annotations); files are named relative to ``base_dir`` (by default the
repository root, ``common.source_root``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ..contract.outputs import Results
from .common import Locator, case_name, display_path, document_label, evidence, source_root

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}  # as engine.SEVERITY_RANK; reports import no engine

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters, even escaped."""
    return _NOT_XML.sub("\ufffd", text)


def _timestamp(value: str) -> str:
    return datetime.fromisoformat(value).replace(microsecond=0).isoformat()


def _seconds(run: dict[str, Any]) -> str:
    if not run.get("finished_at"):
        return "0"
    spent = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
    return f"{max(spent.total_seconds(), 0):.3f}"


def _testcase(
    suite: ET.Element, sub: dict[str, Any], finding: dict[str, Any], locator: Locator, lang: str, where: _Where
) -> str:
    status = finding["status"]
    attrs = {
        "name": _clean(case_name(finding)),
        "classname": _clean(f"{sub['insurer']['code']}.{sub['kind']}.{sub['document_key']}"),
        "time": "0",
        "file": _clean(display_path(sub["source"], where.base)),
    }
    position = locator.find(sub, finding["subject"])
    if position is not None:
        attrs["line"] = str(position[0])
    case = ET.SubElement(suite, "testcase", attrs)
    message = _clean(finding["message"][lang])
    body = _clean("\n".join(evidence(finding, lang)))
    below = status in ("fail", "indeterminate") and SEVERITY_RANK[finding["severity"]] < where.fail_rank
    if below or status == "not_covered":
        props = ET.SubElement(case, "properties")
        for name in ("status", "severity", "strength", "fingerprint"):
            ET.SubElement(props, "property", {"name": name, "value": _clean(finding[name])})
        ET.SubElement(case, "system-out").text = f"{message}\n{body}"
        return "not_covered" if status == "not_covered" else "passed"
    if status == "fail":
        ET.SubElement(case, "failure", {"message": message, "type": finding["severity"]}).text = body
        return "failures"
    if status == "indeterminate":
        ET.SubElement(case, "error", {"message": message, "type": "indeterminate"}).text = body
        return "errors"
    if status in ("waived", "not_applicable"):
        ET.SubElement(case, "skipped", {"message": message, "type": status})
        return "skipped"
    return "passed"


def _compliance(score: dict[str, Any]) -> str | None:
    """The compliance score, 'not scored' when the run stored none, None without a score at all."""
    if not score:
        return None
    return "not scored" if score.get("compliance") is None else str(score["compliance"])


def _reason(pair: dict[str, str] | None, lang: str) -> str | None:
    return pair.get(lang) if pair else None


def _blocking_reasons(score: dict[str, Any]) -> list[dict[str, str]]:
    reasons: list[dict[str, str]] = ((score.get("breakdown") or {}).get("compliance") or {}).get(
        "blocking_reasons"
    ) or []
    return reasons


class _Where:
    """What places a test case: the folder files are named from and the severity from which findings fail."""

    def __init__(self, base: Path, fail_on: str) -> None:
        self.base = base
        self.fail_rank = SEVERITY_RANK[fail_on]


def render(
    typed: Results,
    lang: str = "en",
    texts: Mapping[str, str] | None = None,
    fail_on: str = "error",
    base_dir: Path | None = None,
) -> str:
    """The JUnit XML of ``typed``: findings below ``fail_on`` are passed test cases (see the module docstring)."""
    results = typed.model_dump(mode="json")  # this format reads the published JSON form
    locator = Locator(texts)
    where = _Where(source_root(base_dir), fail_on)
    run = results["run"]
    root = ET.Element("testsuites", {"name": "inclusive-check"})
    totals: Counter[str] = Counter()
    for sub in results["submissions"]:
        suite = ET.Element(
            "testsuite",
            {
                "name": _clean(f"{document_label(sub)} (rev {sub['revision']}) — {sub['source']}"),
                "timestamp": _timestamp(run["started_at"]),
                "hostname": "inclusive-check",
                "time": "0",
                "file": _clean(display_path(sub["source"], where.base)),
            },
        )
        props = ET.SubElement(suite, "properties")
        score = sub["score"] or {}
        for name, value in (
            ("insurer", sub["insurer"]["code"]),
            ("document_kind", sub["kind"]),
            ("document_key", sub["document_key"]),
            ("revision", sub["revision"]),
            ("sha256", sub["sha256"]),
            ("ruleset", f"{run['ruleset']['id']} {run['ruleset']['version']}"),
            ("compliance_score", _compliance(score)),
            ("not_scored", _reason(score.get("not_scored"), lang)),
            ("blocking", score.get("blocking")),
            ("blocking_reasons", "; ".join(r[lang] for r in _blocking_reasons(score)) or None),
            ("fail_on", fail_on),
        ):
            if value is not None:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                ET.SubElement(props, "property", {"name": name, "value": _clean(text)})
        counts: Counter[str] = Counter()
        for finding in sub["findings"]:
            counts[_testcase(suite, sub, finding, locator, lang, where)] += 1
        tests = sum(counts.values())
        ET.SubElement(props, "property", {"name": "not_covered", "value": str(counts["not_covered"])})
        suite.attrib.update(
            {
                "tests": str(tests),
                "failures": str(counts["failures"]),
                "errors": str(counts["errors"]),
                "skipped": str(counts["skipped"]),
            }
        )
        if not len(props):
            suite.remove(props)
        root.append(suite)
        totals.update(counts)
    root.attrib.update(
        {
            "tests": str(sum(totals.values())),
            "failures": str(totals["failures"]),
            "errors": str(totals["errors"]),
            "skipped": str(totals["skipped"]),
            "time": _seconds(run),
        }
    )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_problems(problems: list[dict[str, Any]], base_dir: Path | None = None) -> str:
    """Input that is not valid (``Problem.as_dict()``): one suite per file, one failing case per problem."""
    base = source_root(base_dir)
    root = ET.Element(
        "testsuites",
        {
            "name": "inclusive-check",
            "tests": str(len(problems)),
            "failures": str(len(problems)),
            "errors": "0",
            "skipped": "0",
            "time": "0",
        },
    )
    by_file: dict[str, list[dict[str, Any]]] = {}
    for p in problems:
        by_file.setdefault(p["file"], []).append(p)
    for source, items in by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _clean(f"input validation — {source}"),
                "tests": str(len(items)),
                "failures": str(len(items)),
                "errors": "0",
                "skipped": "0",
                "time": "0",
                "file": _clean(display_path(source, base)),
            },
        )
        for p in items:
            attrs = {
                "name": _clean(f"valid {p['pointer'] or '(document)'}"),
                "classname": "input.validation",
                "time": "0",
                "file": _clean(display_path(source, base)),
            }
            if p.get("line") is not None:
                attrs["line"] = str(p["line"])
            case = ET.SubElement(suite, "testcase", attrs)
            where = f"{source}:{p['line']}:{p['column']}" if p.get("line") is not None else source
            ET.SubElement(case, "failure", {"message": _clean(p["message"]), "type": "invalid"}).text = _clean(
                f"{where}: {p['pointer'] or '(document)'}: {p['message']}"
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
