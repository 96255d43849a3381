"""`check` over several files when some were not valid: the findings of the valid ones and, beside them, the
located problems of the others, in one output of each format.

JSON needs nothing here: the results carry the validation report (``Results.validation``). Text lists the
problems after the findings; GitHub adds an ``::error`` per problem; JUnit adds a suite per invalid file whose
cases are errors; SARIF adds the problems as error results of the ``INPUT-NOT-VALID`` rule to the same run.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ..contract.outputs import Results
from ..safetext import clean


def problems_of(results: Results) -> list[dict[str, Any]]:
    """Every problem of the files that were not valid (none when every file was)."""
    if results.validation is None:
        return []
    return [p.model_dump() for f in results.validation.files if not f.valid for p in f.problems]


def not_checked_line(results: Results, lang: str = "en") -> str:
    """The closing line: how many files were not valid and so not checked."""
    assert results.validation is not None
    n, problems = results.validation.invalid, len(problems_of(results))
    if lang == "zh":
        return f"{n} 个文件无效（{problems} 处问题），未予检查；其余文件已检查"
    return f"{n} file(s) not valid ({problems} problem(s)) and not checked; the other files were checked"


def add_problems(fmt: str, rendered: str, results: Results, tool_version: str, base_dir: Path, lang: str) -> str:
    """``rendered`` (the results in ``fmt``) with the problems of the files that were not valid added."""
    problems = problems_of(results)
    if not problems:
        return rendered
    if fmt == "text":
        lines = []
        for p in problems:
            where = p["file"] if p.get("line") is None else f"{p['file']}:{p['line']}:{p['column']}"
            lines.append(clean(f"{where}: {p['pointer'] or '(document)'}: {p['message']}"))
        return "\n".join([rendered.rstrip("\n"), "", *lines, not_checked_line(results, lang)])
    if fmt == "github":
        from . import github

        shown = github.render_problems(problems, base_dir).split("\n")[:-1]  # its own closing line says less
        return "\n".join([rendered.rstrip("\n"), *shown, f"inclusive-check: {not_checked_line(results)}"])
    if fmt == "junit":
        return _junit(rendered, problems, base_dir)
    if fmt == "sarif":
        return _sarif(rendered, problems, tool_version, base_dir)
    return rendered


def _junit(rendered: str, problems: list[dict[str, Any]], base_dir: Path) -> str:
    from . import junit

    root = ET.fromstring(rendered.encode("utf-8"))
    extra = ET.fromstring(junit.render_problems(problems, base_dir).encode("utf-8"))
    for suite in extra.findall("testsuite"):
        for case in suite.findall("testcase"):
            for failure in case.findall("failure"):
                failure.tag = "error"  # the file could not be checked: an error of the run, not a failed rule
        suite.set("errors", suite.get("failures", "0"))
        suite.set("failures", "0")
        root.append(suite)
    for name in ("tests", "errors"):
        root.set(name, str(int(root.get(name, "0")) + len(problems)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _sarif(rendered: str, problems: list[dict[str, Any]], tool_version: str, base_dir: Path) -> str:
    from . import sarif

    log = json.loads(rendered)
    run = log["runs"][0]
    extra = sarif.problems_log(problems, tool_version, base_dir)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    index = len(rules)
    rules.append(extra["tool"]["driver"]["rules"][0])
    for result in extra["results"]:
        run["results"].append({**result, "ruleIndex": index})
    run["invocations"][0]["executionSuccessful"] = False  # not every file could be checked
    return json.dumps(log, ensure_ascii=False, indent=2)
