"""docs/ci.md works when pasted: its workflow passes actionlint, and its pre-commit configuration, run by
pre-commit itself in a throwaway filing repository holding two insurers' filings and submissions, blocks a
commit with a breach and lets the fix through."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import inclusive_check

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CI_DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def _yaml_block(after_heading: str) -> str:
    """The first ```yaml block of docs/ci.md after the given heading."""
    section = CI_DOC[CI_DOC.index(after_heading) :]
    match = re.search(r"^```yaml\n(.*?)^```", section, re.M | re.S)
    assert match, f"no yaml block after {after_heading!r}"
    return match.group(1)


def _tool(name: str) -> str:
    """A command of the dev extras: on PATH, or beside this interpreter when the venv is not activated."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} not found: pip install -e '.[dev]'"
    return found


def test_workflow_passes_actionlint(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "inclusive-check.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(_yaml_block("## GitHub Actions"), encoding="utf-8")
    done = subprocess.run(
        [_tool("actionlint"), "-no-color", str(workflow)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_installs_a_tagged_release_from_the_repository() -> None:
    install = re.search(r"pip install (\"[^\"]+\")", _yaml_block("## GitHub Actions"))
    assert install is not None
    assert install.group(1).endswith(f'@v{inclusive_check.__version__}"')  # a tag the README says how to create
    assert " @ git+https://" in install.group(1)  # from the repository: inclusive-check is on no index


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("INCLUSIVE_CHECK_DATABASE_URL", None)
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _tagged_copy_of_this_checkout(dest: Path) -> None:
    """This checkout's tracked files as they are now, committed and tagged v<version> in a new repository."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False).stdout
    if not files:
        pytest.skip("not a git checkout")
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "release")
    _git(dest, "tag", f"v{inclusive_check.__version__}")


@pytest.mark.slow
def test_pre_commit_hook_blocks_a_breach_and_passes_the_fix(tmp_path: Path) -> None:
    checker, repo = tmp_path / "inclusive-check", tmp_path / "filings-repo"
    _tagged_copy_of_this_checkout(checker)
    (repo / "filings").mkdir(parents=True)
    (repo / "submissions").mkdir()
    for name in ("hx-life-2025.json", "kn-health-2025.json"):  # two insurers
        shutil.copy(SAMPLES / "submissions" / name, repo / "submissions" / name)
    shutil.copy(SAMPLES / "filings" / "hx-life-rural-accident.json", repo / "filings")
    config = _yaml_block("### From a remote repository")
    assert re.search(r"^    rev: (\S+)$", config, re.M).group(1) == f"v{inclusive_check.__version__}"  # type: ignore[union-attr]
    config = re.sub(r"^  - repo: .*$", f"  - repo: {checker}", config, flags=re.M)
    (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the insurers' submissions and a compliant filing")  # before the hook
    done = subprocess.run([_tool("pre-commit"), "install"], cwd=repo, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    breach = json.loads((SAMPLES / "filings" / "kn-health-fee-breach.json").read_text(encoding="utf-8"))
    filing = repo / "filings" / "kn-health-fee-breach.json"
    filing.write_text(json.dumps(breach, ensure_ascii=False, indent=2), encoding="utf-8")
    _git(repo, "add", "-A")
    blocked = _git(repo, "commit", "-m", "a filing above the comparable fee rate", check=False)
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "IC12-FEE-RATE" in blocked.stdout + blocked.stderr
    assert "KN-HLTH-006" in blocked.stdout + blocked.stderr

    breach["product"]["intermediary_fee_rate"] = 0.10  # below the comparable product's 0.12
    filing.write_text(json.dumps(breach, ensure_ascii=False, indent=2), encoding="utf-8")
    _git(repo, "add", "-A")
    passed = _git(repo, "commit", "-m", "the fee rate fixed", check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^inclusive-check .*Passed$", passed.stdout + passed.stderr, re.M)


def _filing_repo(repo: Path) -> None:
    """A throwaway filing repository: two insurers' submissions and a compliant filing, committed."""
    (repo / "filings").mkdir(parents=True)
    (repo / "submissions").mkdir()
    for name in ("hx-life-2025.json", "kn-health-2025.json"):
        shutil.copy(SAMPLES / "submissions" / name, repo / "submissions" / name)
    shutil.copy(SAMPLES / "filings" / "hx-life-rural-accident.json", repo / "filings")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the insurers' submissions and a compliant filing")


def test_local_pre_commit_configuration_works_as_pasted(tmp_path: Path) -> None:
    """The `repo: local` snippet, unchanged, blocks a breach and lets the fix through (inclusive-check installed
    in the environment that commits, as this test's is)."""
    repo = tmp_path / "filings-repo"
    _filing_repo(repo)
    config = _yaml_block("### From a local clone")
    assert "OWNER" not in config
    (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    breach = json.loads((SAMPLES / "filings" / "kn-health-fee-breach.json").read_text(encoding="utf-8"))
    filing = repo / "filings" / "kn-health-fee-breach.json"
    filing.write_text(json.dumps(breach, ensure_ascii=False, indent=2), encoding="utf-8")
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("INCLUSIVE_CHECK_DATABASE_URL", None)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_tool("pre-commit"), "run"], cwd=repo, capture_output=True, text=True, env=env, check=False, timeout=600
        )

    blocked = run()
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "IC12-FEE-RATE" in blocked.stdout and "KN-HLTH-006" in blocked.stdout
    breach["product"]["intermediary_fee_rate"] = 0.10  # below the comparable product's 0.12
    filing.write_text(json.dumps(breach, ensure_ascii=False, indent=2), encoding="utf-8")
    _git(repo, "add", "-A")
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^inclusive-check\.+Passed$", passed.stdout, re.M), passed.stdout


def test_the_ci_command_works_as_pasted(tmp_path: Path) -> None:
    """The first ```bash block, unchanged, in a filing repository: annotations on stdout, SARIF and JUnit
    written, exit 1 on the breach."""
    repo = tmp_path / "filings-repo"
    _filing_repo(repo)
    shutil.copy(SAMPLES / "filings" / "kn-health-fee-breach.json", repo / "filings")
    match = re.search(r"^```bash\n(.*?)^```", CI_DOC, re.M | re.S)
    assert match is not None
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("INCLUSIVE_CHECK_DATABASE_URL", None)
    done = subprocess.run(
        ["bash", "-c", match.group(1)], cwd=repo, capture_output=True, text=True, env=env, check=False, timeout=600
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "::error " in done.stdout and "IC12-FEE-RATE" in done.stdout
    assert json.loads((repo / "inclusive-check.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert "<testsuites" in (repo / "inclusive-check.xml").read_text(encoding="utf-8")
