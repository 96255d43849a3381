"""What the listing commands show: validation, ingest and import summaries, stored documents, runs and
findings, and the rules, as text (and the JSON shapes that are theirs alone).

Each view returns the whole text; the command prints it. Everything that came in with data is passed
through ``safetext.clean``, so that a document cannot drive the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..i18n import N_, Code, Item, Param, cite, render
from ..safetext import clean
from .text import pad, width

if TYPE_CHECKING:
    from ..contract.load import Loaded, Problem
    from ..contract.outputs import Problem as PublishedProblem
    from ..contract.outputs import Results, Validation
    from ..store.ingest import IngestReport, Outcome


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as columns padded to their widest cell (in terminal columns: a Chinese character takes two), under a
    header; ``(none)`` when there are none."""
    if not rows:
        return "(none)"
    cells = [{c: clean(r.get(c, "")) for c in columns} for r in rows]
    widths = {c: max(width(c), *(width(r[c]) for r in cells)) for c in columns}
    lines = ["  ".join(pad(c, widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(pad(r[c], widths[c]) for c in columns).rstrip() for r in cells]
    return "\n".join(lines)


# --- input: validate, problems, ingest, dispensations import --------------------------------------


def problem_line(p: PublishedProblem, lang: str = "en") -> str:
    """One problem of an input as one line: file:line:column, pointer and message, control characters escaped."""
    where = p.file if p.line is None else f"{p.file}:{p.line}:{p.column}"
    pointer = p.pointer or render("validation.document", lang)
    return f"{clean(where)}: {clean(pointer)}: {clean(p.message)}"


def problems_text(report: Validation, lang: str = "en") -> str:
    """Input that is not valid: each problem (in the language the report was made in), then that nothing was
    checked."""
    problems = [p for f in report.files for p in f.problems]
    return "\n".join(
        [*(problem_line(p, lang) for p in problems), render("validation.not_valid", lang, n=len(problems))]
    )


def validation(items: Sequence[Loaded], other: Sequence[Problem] = (), lang: str = "en") -> Validation:
    """The one shape of a validation report (`validate`, and `check` or `run` on input that is not valid): each
    loaded file with its problems, then the files of ``other`` problems (e.g. a dispensation file's), invalid.
    The problems' messages are rendered in ``lang``."""
    from ..contract.outputs import FileValidation, Validation
    from ..contract.outputs import Problem as Published

    files = [
        FileValidation(
            file=r.source,
            valid=r.ok,
            sha256=r.sha256 if r.raw else None,
            problems=[Published(**p.as_dict(lang)) for p in r.problems],
        )
        for r in items
    ]
    by_file: dict[str, list[Published]] = {}
    for p in other:
        by_file.setdefault(p.source, []).append(Published(**p.as_dict(lang)))
    files += [FileValidation(file=f, valid=False, sha256=None, problems=ps) for f, ps in by_file.items()]
    invalid = sum(not f.valid for f in files)
    return Validation(valid=len(files) - invalid, invalid=invalid, files=files)


def validation_text(report: Validation, lang: str = "en") -> str:
    """``ok`` for each valid file, a line per problem of the others, then the counts."""
    lines = []
    ok = pad(render("validation.ok", lang), 8)
    for f in report.files:
        if f.valid:
            lines.append(f"{ok} {clean(f.file)}")
        lines += [problem_line(p, lang) for p in f.problems]
    problems = sum(len(f.problems) for f in report.files)
    counts = {"files": len(report.files), "valid": report.valid, "invalid": report.invalid}
    lines.append(
        render("validation.counts_problems", lang, **counts, problems=problems)
        if problems
        else render("validation.counts", lang, **counts)
    )
    return "\n".join(lines)


def ingest_json(report: IngestReport) -> dict[str, Any]:
    outcomes: tuple[Outcome, ...] = ("stored", "revised", "unchanged", "quarantined")
    return {"files": [f.__dict__ for f in report.files], "counts": {o: report.count(o) for o in outcomes}}


def ingest_text(report: IngestReport) -> str:
    """Each quarantined file with its reasons, then the counts."""
    lines = []
    for f in report.quarantined:
        lines.append(f"quarantined {clean(f.source)}:")
        lines += [f"    {clean(problem)}" for problem in f.problems]
    lines.append(
        f"{len(report.files)} file(s): {report.count('stored')} stored, {report.count('revised')} new "
        f"revision(s), {report.count('unchanged')} unchanged, {report.count('quarantined')} quarantined"
    )
    return "\n".join(lines)


def dispensations_imported(total: int, counts: Mapping[str, int]) -> str:
    return (
        f"{total} dispensation(s): {counts['new']} new, {counts['changed']} changed (new version), "
        f"{counts['unchanged']} unchanged"
    )


# --- what is stored: submissions, quarantine, runs, findings ---------------------------------------


def submissions_text(rows: Iterable[Mapping[str, Any]]) -> str:
    shown = [{**r, "sha256": r["sha256"][:12]} for r in rows]
    return table(shown, ["id", "code", "kind", "document_key", "revision", "is_latest", "sha256", "source"])


def quarantined_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """Each quarantined file with when, and its problems: line:column in the file (as in JSON), pointer, message."""
    lines = []
    for r in rows:
        lines.append(f"{r['quarantined_at']:%Y-%m-%d %H:%M}  {clean(r['source'])}")
        wheres = [f"{p['line']}:{p['column']} " if p.get("line") is not None else "" for p in r["problems"]]
        width = max(map(len, wheres), default=0)
        lines += [
            f"    {where:<{width}}{clean(p['pointer'] or '(document)')}: {clean(p['message'])}"
            for where, p in zip(wheres, r["problems"], strict=True)
        ]
    lines.append(f"{len(rows)} quarantined file(s)")
    return "\n".join(lines)


def runs_text(rows: Sequence[Mapping[str, Any]]) -> str:
    return table(
        rows,
        [
            "id",
            "ruleset_id",
            "ruleset_version",
            "tool_version",
            "as_of",
            "started_at",
            "documents",
            "judged",
            "failures",
            "not_covered",
        ],
    )


FINDING_HEADER = {
    "en": ("insurer", "document", "status", "severity", "rule", "subject", "message"),
    "zh": ("机构", "文件", "状态", "严重程度", "规则", "对象", "说明"),
}


def findings_text(results: Results, lang: str) -> str:
    """A table of the findings under a header (insurer, document, status, severity, rule, subject, message), then
    the count."""
    from ..contract.outputs import in_lang

    columns = FINDING_HEADER[lang]
    rows = [
        dict(
            zip(
                columns,
                (
                    sub.insurer.code,
                    sub.document_key,
                    f.status,
                    f.severity,
                    f.rule_id,
                    f.subject + (f" [{f.key}]" if f.key else ""),
                    in_lang(f.message, lang),
                ),
                strict=True,
            )
        )
        for sub in results.submissions
        for f in sub.findings
    ]
    run = (
        ""
        if results.run.id is None
        else (f" in run {results.run.id}" if lang == "en" else f"（批次 {results.run.id}）")
    )
    count = f"{len(rows)} finding(s){run}" if lang == "en" else f"{len(rows)} 项检查结果{run}"
    return (table(rows, columns) + "\n" if rows else "") + count


def report_written(fmt: str, results: Results, output: str) -> str:
    count = sum(results.summary.status.values())
    return (
        f"{fmt} report of run {results.run.id}: {len(results.submissions)} document(s), {count} finding(s) -> {output}"
    )


# --- rules ---------------------------------------------------------------------------------------


STRENGTH_IDS = {  # a rule's strength as the catalogue words it
    "mandatory": N_("strength.mandatory"),
    "principle": N_("strength.principle"),
    "encouraged": N_("strength.encouraged"),
    "flag": N_("strength.flag"),
}


def _strength(strength: str, lang: str) -> str:
    return render(STRENGTH_IDS[strength], lang) if strength in STRENGTH_IDS else strength


def rules_text(items: Iterable[Mapping[str, Any]], lang: str = "en") -> str:
    return "\n".join(
        f"{item['id']:<26} {pad(cite(item['clause'], lang), 12)} {pad(_strength(item['strength'], lang), 11)} "
        f"{item['authority']:<13} {item['title']}"
        for item in items
    )


def rule_text(shown: Mapping[str, Any], lang: str = "en") -> str:
    """``rule_json`` for people: title (in English also the Chinese one), description (English only: it is the
    rule's own documentation), then each parameter's dated values. Citations and notes are the ruleset's own
    text, quoted as written."""
    authority = shown["authority"]
    lines = [
        render(
            "rule.heading",
            lang,
            id=Code(shown["id"]),
            item=Item(shown["clause"]),
            strength=Code(_strength(shown["strength"], lang)),
        ),
        f"  {shown['title']['en']}\n  {shown['title']['zh']}" if lang == "en" else f"  {shown['title']['zh']}",
        "  "
        + render(
            "rule.authority",
            lang,
            on=Code(shown["in_force_on"]),
            name=Code(clean(authority[lang])),
            other=Code(clean(authority["zh" if lang == "en" else "en"])),
        )
        + "\n",
    ]
    if lang == "en":
        lines.append(shown["description"] + "\n")
    lines.append(render("rule.parameters", lang))
    for name, p in shown["parameters"].items():
        flag = render("rule.interpretation", lang) if p["interpretation"] else ""
        lines.append(
            "  "
            + render("rule.parameter", lang, name=Param(name), flag=Code(flag), citation=Code(clean(p["citation"])))
        )
        for v in p["values"]:
            value = (
                render("rule.in_force", lang)
                if name == "in_force"
                else json.dumps(v["value"], ensure_ascii=False, default=str)
            )
            key = N_("rule.value_until") if v["until"] else N_("rule.value")
            lines.append(
                "      "
                + render(key, lang, start=Code(v["from"]), until=Code(v["until"] or ""), value=Code(clean(value)))
            )
        if p["note"]:
            lines.append("      " + render("rule.note", lang, note=Code(clean(p["note"]))))
    return "\n".join(lines)
