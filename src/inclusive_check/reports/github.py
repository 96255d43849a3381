"""GitHub Actions workflow commands: one annotation per open finding (fail or indeterminate), and a ``::notice``
for each item not covered (an encouraged obligation not met: scored, never a breach).

``::error file=F,line=L,col=C,title=T::message`` for severity error, ``::warning`` for warning and
``::notice`` for info and for every not-covered item. ``line`` and ``col`` are given where the document's
text is known. The message is followed by the evidence (expected, actual, margin); values are escaped as
the runner expects (``%``, CR and LF in messages; also ``:`` and ``,`` in properties). A last plain line sums up.

Data never makes a line of its own: every text from a document, a file name or a stored run is
passed through ``safetext.clean`` first, so its newlines and other control characters are shown
escaped (``\n``) and cannot start a workflow command such as ``::add-mask::`` or ``::stop-commands::``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..contract.outputs import Results
from ..i18n import cite
from ..safetext import clean
from .common import NOT_COVERED, Locator, display_path, document_label, is_open, margin_text, source_root

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property (file, title) of a command: one line of cleaned data, escaped as the runner expects."""
    return escape_data(clean(text)).replace(":", "%3A").replace(",", "%2C")


def render(
    typed: Results, lang: str = "en", texts: Mapping[str, str] | None = None, base_dir: Path | None = None
) -> str:
    """Annotations naming files relative to ``base_dir`` (default ``common.source_root()``: the repository root,
    as the runner resolves them)."""
    results = typed.model_dump(mode="json")  # this format reads the published JSON form
    locator = Locator(texts)
    base = source_root(base_dir)
    lines: list[str] = []
    counts: Counter[str] = Counter()
    not_covered = 0
    for sub in results["submissions"]:
        for finding in sub["findings"]:
            uncovered = finding["status"] == NOT_COVERED
            if not is_open(finding) and not uncovered:
                continue
            props = [f"file={escape_property(display_path(sub['source'], base))}"]
            position = locator.find(sub, finding["subject"])
            if position is not None:
                props += [f"line={position[0]}", f"col={position[1]}"]
            undecided = {"indeterminate": " — indeterminate", NOT_COVERED: " — not covered"}.get(finding["status"], "")
            title = (
                f"{finding['rule_id']} (guidance {cite(finding['clause'], 'en')}{undecided}) — "
                f"{document_label(sub)}: {finding['title'][lang]}"
            )
            props.append(f"title={escape_property(title)}")
            detail = [
                finding["message"][lang],
                f"expected: {finding['evidence'][lang]['expected']}",
                f"actual: {finding['evidence'][lang]['actual']}",
            ]
            if finding["margin"] is not None:
                detail.append(f"margin: {margin_text(finding, lang)}")
            detail.append(f"subject: {finding['subject'] or '/'}" + (f" [{finding['key']}]" if finding["key"] else ""))
            detail = [clean(line) for line in detail]  # data's own newlines escaped; the lines joined below are ours
            command = "notice" if uncovered else COMMAND[finding["severity"]]
            lines.append(f"::{command} {','.join(props)}::{escape_data(chr(10).join(detail))}")
            if uncovered:
                not_covered += 1
            else:
                counts[finding["severity"]] += 1
    summary = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info") if counts[s]) or "none"
    lines.append(
        f"inclusive-check: {len(results['submissions'])} document(s), open findings: {summary}; "
        f"not covered: {not_covered}"
    )
    return "\n".join(lines)


def render_problems(problems: list[dict[str, Any]], base_dir: Path | None = None) -> str:
    """Input that is not valid (``Problem.as_dict()``): one ``::error`` per problem, at its line and column."""
    lines = []
    base = source_root(base_dir)
    for p in problems:
        props = [f"file={escape_property(display_path(p['file'], base))}"]
        if p.get("line") is not None:
            props.append(f"line={p['line']}")
            if p.get("column") is not None:
                props.append(f"col={p['column']}")
        props.append(f"title={escape_property('input not valid: ' + (p['pointer'] or '(document)'))}")
        lines.append(f"::error {','.join(props)}::{escape_data(clean(p['message']))}")
    lines.append(f"inclusive-check: input not valid: {len(problems)} problem(s); nothing was checked")
    return "\n".join(lines)
