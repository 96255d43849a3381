"""What several report formats share: which findings are open, their evidence, and where a subject is in its file.

Reports only render what a run stored (results.run_results). The one thing they look up is the
position of a finding's subject (a JSON Pointer) in the document's text, so that CI annotations
point at a line. The text comes from the caller (``texts``: SHA-256 -> text, e.g. the bytes `check`
just read or ``submissions.raw`` of a stored run) or, failing that, from the source file on disk
when its SHA-256 still matches what was checked; otherwise the finding is located at the file only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from ..contract.locate import SourceMap, locate
from ..figures import shown_margin
from ..i18n import cite
from ..wording import SEVERITY, STATUS, STRENGTH

OPEN_STATUSES = ("fail", "indeterminate")
# An encouraged obligation not met: listed and counted apart, never open, never a failure (results.run_results).
NOT_COVERED = "not_covered"
SEVERITIES = ("error", "warning", "info")


def is_open(finding: dict[str, Any]) -> bool:
    """A finding that still needs action: a failure or a check that could not be decided."""
    return finding["status"] in OPEN_STATUSES


def each_finding(results: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(submission, finding) pairs in the order the results list them."""
    for sub in results["submissions"]:
        for finding in sub["findings"]:
            yield sub, finding


def document_label(sub: dict[str, Any]) -> str:
    """`KN-HLTH-006 2025` for a submission, `KN-HLTH-006 filing KNH-CI-01` for a product filing."""
    code = sub["insurer"]["code"]
    if sub["kind"] == "submission":
        return f"{code} {sub['period']}"
    return f"{code} filing {sub['document_key']}"


def case_name(finding: dict[str, Any]) -> str:
    """One name per rule and subject: `IC19-SOLVENCY-GATE /solvency [2025-Q3]`."""
    name = f"{finding['rule_id']} {finding['subject'] or '/'}"
    return f"{name} [{finding['key']}]" if finding["key"] else name


CN_NUMERALS = (
    "",
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
    "十三",
    "十四",
    "十五",
    "十六",
    "十七",
    "十八",
    "十九",
    "二十",
)


def item_text(clause: int, lang: str = "en") -> str:
    """The guidance item as cited: `Guidance item 8` or `指导意见第（八）项`."""
    return ("指导意见" if lang == "zh" else "Guidance ") + cite(clause, lang)


def citations(finding: dict[str, Any], lang: str = "en") -> list[str]:
    """The guidance item, then each parameter the check used with its citation and effective date."""
    zh = lang == "zh"
    out = [
        item_text(finding["clause"], lang)
        + ("（2024年普惠保险指导意见）" if zh else " (2024 NFRA inclusive-insurance guidance)")
    ]
    for name, param in sorted(finding["parameters"].items()):
        reading = ("（本工具解释）" if zh else " (our interpretation)") if param.get("interpretation") else ""
        value = "" if name == "in_force" else f" = {_short(param.get('value'))}"
        since = f"，自{param.get('effective_from')}起适用" if zh else f", in force from {param.get('effective_from')}"
        out.append(f"{name}{value}: {param.get('citation')}{reading}{since}")
    return out


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


EVIDENCE_LABELS = {
    "en": {
        "rule": "rule",
        "status": "status",
        "severity": "severity",
        "subject": "subject",
        "expected": "expected",
        "actual": "actual",
        "margin": "margin",
        "dispensation": "dispensation",
        "citation": "citation",
        "fingerprint": "fingerprint",
    },
    "zh": {
        "rule": "规则",
        "status": "状态",
        "severity": "严重程度",
        "subject": "对象",
        "expected": "要求",
        "actual": "实际",
        "margin": "差距",
        "dispensation": "豁免",
        "citation": "依据",
        "fingerprint": "指纹",
    },
}


def margin_text(finding: dict[str, Any], lang: str = "en") -> str | None:
    """A finding's margin in its unit, as people read it (``figures.shown_margin``); None when it has none."""
    return shown_margin(finding["margin"], finding["unit"], lang, finding["value"], finding["threshold"])


def evidence(finding: dict[str, Any], lang: str = "en") -> list[str]:
    """The evidence of a finding as lines, in ``lang``: what was expected, what was found, and the law behind it."""
    w = EVIDENCE_LABELS[lang]
    status = STATUS[lang][finding["status"]]
    lines = [
        f"{w['rule']}: {finding['rule_id']} — {finding['title'][lang]}",
        f"{w['status']}: {status} ({STRENGTH[lang][finding['strength']]}, {w['severity']} "
        f"{SEVERITY[lang][finding['severity']]})",
        f"{w['subject']}: {finding['subject'] or '/'}" + (f" [{finding['key']}]" if finding["key"] else ""),
        f"{w['expected']}: {finding['evidence'][lang]['expected']}",
        f"{w['actual']}: {finding['evidence'][lang]['actual']}",
    ]
    if finding["margin"] is not None:
        lines.append(f"{w['margin']}: {margin_text(finding, lang)}")
    if finding["dispensation"] is not None:
        lines.append(f"{w['dispensation']}: {finding['dispensation']}")
    lines.extend(f"{w['citation']}: {c}" for c in citations(finding, lang))
    lines.append(f"{w['fingerprint']}: {finding['fingerprint']}")
    return lines


def source_root(given: Path | None = None) -> Path:
    """The folder CI formats (sarif, junit, github) name files relative to: ``given`` (``--base-dir``), else the
    root of the git work tree holding the working directory (the nearest folder with a ``.git`` entry, as git
    finds it), else the working directory. So a command run from a subfolder of a repository still names files
    as the repository (and GitHub code scanning) does."""
    if given is not None:
        return Path(os.path.abspath(given))
    cwd = Path(os.path.abspath(Path.cwd()))
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def display_path(source: str, base: Path | None = None) -> str:
    """A source path as CI tools want it: relative to ``base`` (default: the working directory) when it lies
    under it; a relative path is read as relative to the working directory."""
    if base is None:
        base = Path.cwd()
    path = Path(os.path.abspath(source))
    try:
        return path.relative_to(os.path.abspath(base)).as_posix()
    except ValueError:
        return source if Path(source).is_absolute() else path.as_posix()


SRCROOT = "SRCROOT"


def artifact_uri(source: str, base: Path | None = None) -> tuple[str, str | None]:
    """A SARIF/URI form of a source path: under ``base`` relative to it (uriBaseId SRCROOT, which the log's
    ``originalUriBaseIds`` declares as ``base``), elsewhere an absolute file: URI."""
    path = Path(display_path(source, base))
    if path.is_absolute():
        return path.as_uri(), None
    return quote(PurePosixPath(*path.parts).as_posix(), safe="/-._~"), SRCROOT


class Locator:
    """Line and column of a finding's subject in its document: as the results carry it (``run_results(...,
    locate=True)``), else from the document's text when it is known (see the module docstring)."""

    def __init__(self, texts: Mapping[str, str] | None = None) -> None:
        self._texts = dict(texts or {})
        self._maps: dict[str, SourceMap | None] = {}

    def _text(self, sub: dict[str, Any]) -> str | None:
        text = self._texts.get(sub["sha256"])
        if text is not None:
            return text
        path = Path(sub["source"])
        try:
            raw = path.read_bytes() if path.is_file() else None
        except OSError:
            return None
        if raw is None or hashlib.sha256(raw).hexdigest() != sub["sha256"]:
            return None  # changed since it was checked: a line from the new text could point anywhere
        return raw.decode("utf-8", "replace")

    def source_map(self, sub: dict[str, Any]) -> SourceMap | None:
        key = sub["sha256"]
        if key not in self._maps:
            findings = sub["findings"]
            if findings and all(f.get("line") is not None for f in findings):
                self._maps[key] = SourceMap({f["subject"]: (f["line"], f["column"]) for f in findings})
            else:
                text = self._text(sub)
                subjects = {f["subject"] for f in findings}
                self._maps[key] = None if text is None else locate(text, sub["source"], subjects)
        return self._maps[key]

    def find(self, sub: dict[str, Any], pointer: str) -> tuple[int, int] | None:
        """(line, column), 1-based, of ``pointer`` (a subject of one of ``sub``'s findings) or its nearest
        ancestor in the source; None when unknown."""
        source_map = self.source_map(sub)
        return None if source_map is None else source_map.find(pointer)
