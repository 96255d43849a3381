"""Reports: one module per format, each rendering the ``Results`` of a stored run (results.run_results).

``render_results`` is the one entry point the CLI uses for the formats of `check` and `run`.
Format modules are imported only when used, so that choosing a format costs nothing for the others.
Beside them, ``views`` renders what the other commands list (validation, ingest, stored documents, runs,
findings, rules) and ``matrix`` the guidance traceability matrix: the CLI only wires options to them.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ..contract.outputs import Results, Validation
from .common import source_root

# Formats of `check` and `run` (stdout's --format and --output FORMAT=PATH), in the order shown in --help.
RESULT_FORMATS = ("text", "json", "junit", "sarif", "github")
# Formats whose output points at a line (see common.Locator): the findings carry it (run_results(locate=True)).
LOCATED_FORMATS = frozenset({"junit", "sarif", "github"})


def render_results(
    fmt: str,
    results: Results,
    lang: str = "en",
    show_passes: bool = False,
    *,
    fail_on: str = "error",
    base_dir: Path | None = None,
) -> str:
    """The results in one of RESULT_FORMATS, each finding located as the results say. ``fail_on`` is the
    severity from which junit marks a finding as a failure (below it the test case passes, the finding kept as
    its output); ``base_dir`` the folder junit, sarif and github name files relative to (``common.source_root``).
    The one function for stdout and every --output file, so that a format's content never depends on where it
    goes. Files that were not valid (``results.validation``, `check`) are shown beside the findings."""
    if fmt == "json":
        from ..contract.outputs import dump_json

        return dump_json(results)
    root = source_root(base_dir)
    if fmt == "text":
        from . import text

        rendered = text.render(results, lang, show_passes)
    elif fmt in LOCATED_FORMATS:
        module = import_module(f"{__name__}.{fmt}")
        rendered = (
            module.render(results, lang, fail_on=fail_on, base_dir=root)
            if fmt == "junit"
            else module.render(results, lang, base_dir=root)
        )
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(RESULT_FORMATS)}")
    if results.validation is None:
        return rendered
    from .partial import add_problems

    return add_problems(fmt, rendered, results, results.run.tool_version, root, lang)


def render_problems(fmt: str, validation: Validation, tool_version: str, base_dir: Path | None = None) -> str:
    """Input that was not valid, in one of RESULT_FORMATS: nothing was checked. JSON is the ``Validation`` shape
    that `validate` prints; the other formats list the problems (files named as in ``render_results``)."""
    if fmt == "json":
        from ..contract.outputs import dump_json

        return dump_json(validation)
    problems = [p.model_dump() for f in validation.files for p in f.problems]
    if fmt == "text":
        lines = []
        for p in problems:
            where = p["file"] if p.get("line") is None else f"{p['file']}:{p['line']}:{p['column']}"
            lines.append(f"{where}: {p['pointer'] or '(document)'}: {p['message']}")
        return "\n".join([*lines, f"input not valid: {len(problems)} problem(s); nothing was checked"])
    if fmt == "sarif":
        from . import sarif

        return sarif.render_problems(problems, tool_version, source_root(base_dir))
    if fmt == "junit":
        from . import junit

        return junit.render_problems(problems, source_root(base_dir))
    if fmt == "github":
        from . import github

        return github.render_problems(problems, source_root(base_dir))
    raise ValueError(f"unknown format {fmt!r}")
