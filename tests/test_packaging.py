"""What a new user meets first: the README's set-up commands, `python -m inclusive_check`, and a clean build."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import inclusive_check

ROOT = Path(__file__).resolve().parent.parent


def _readme_command(marker: str) -> str:
    """The command .ci/run would run: the first line of the code block after the marker."""
    done = subprocess.run(
        [
            "awk",
            f"/<!-- {marker} -->/{{getline; while ($0 !~ /^```/) getline; getline; print; exit}}",
            str(ROOT / "README.md"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize("marker", ["ci:demo", "ci:test"])
def test_readme_commands_make_and_activate_a_virtual_environment_first(marker: str) -> None:
    steps = [s.strip() for s in _readme_command(marker).split("&&")]
    assert steps[:2] == ["python3 -m venv .venv", ". .venv/bin/activate"]
    assert not any(s.startswith(("pip", "python3 -m pip")) for s in steps), "pip must be the venv's"


def test_ci_run_extracts_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- ci:test -->" in script and 'bash -c "$cmd"' in script
    assert "pytest" in _readme_command("ci:test")


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "inclusive_check", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"inclusive-check, version {inclusive_check.__version__}")


def test_the_changelog_has_an_entry_for_the_current_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(inclusive_check.__version__)}\] - \d{{4}}-\d\d-\d\d$", changelog, re.M)


@pytest.mark.slow
def test_build_is_clean_and_carries_version_and_license(tmp_path: Path) -> None:
    """sdist and wheel from the tracked files (copied, so the build writes nothing into the checkout)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False).stdout
    if not files:
        pytest.skip("not a git checkout")
    source = tmp_path / "src"
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # else setuptools says so
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    warnings = [line for line in log.splitlines() if re.search(r"warning", line, re.I)]
    assert warnings == [], "\n".join(warnings)
    version = inclusive_check.__version__
    [wheel] = (tmp_path / "dist").glob(f"inclusive_check-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        listing = archive.namelist()
    assert f"inclusive_check-{version}.dist-info/licenses/LICENSE" in listing
    assert {
        "inclusive_check/__main__.py",
        "inclusive_check/contract/schemas/submission.schema.json",
        "inclusive_check/reports/templates/report.html.j2",
        "inclusive_check/migrations/script.py.mako",
        "inclusive_check/rulesets/nfra-2024-inclusive.yaml",
    } <= set(listing)
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"inclusive_check-{version}.dist-info/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata


def test_the_readme_completion_line_completes_commands_in_bash() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = re.search(r'^eval "\$\(_INCLUSIVE_CHECK_COMPLETE=bash_source inclusive-check\)"', readme, re.M)
    assert line is not None
    complete = "COMP_WORDS=(inclusive-check fin); COMP_CWORD=1; _inclusive_check_completion inclusive-check"
    complete += '; echo "${COMPREPLY[@]}"'
    script = f"{line.group(0)}\n{complete}"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert done.returncode == 0 and done.stdout.split() == ["findings"], done.stdout + done.stderr


def test_packaging_metadata_names_authors_licence_and_classifiers() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["authors"] and all(a.get("name") for a in project["authors"])
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in project["classifiers"])
