"""Fixtures for the report tests: the samples checked in memory (the path of `check`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import AS_OF, KN_FILING, SUBMISSIONS, sarif_schema_path


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(sarif_schema_path().read_text(encoding="utf-8"))
    return schema


@pytest.fixture
def cli_runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def sample_results() -> Any:
    """Every sample submission and the KN filing, checked through the in-memory path of `check` (``Results``)."""
    from inclusive_check.check import check_paths
    from inclusive_check.ruleset import load_ruleset

    outcome = check_paths([*SUBMISSIONS, KN_FILING], load_ruleset(None), AS_OF)
    assert outcome.results is not None, outcome.problems
    return outcome.results


@pytest.fixture(scope="session")
def sample_data(sample_results: Any) -> dict[str, Any]:
    """``sample_results`` in their published JSON form."""
    data: dict[str, Any] = sample_results.model_dump(mode="json")
    return data
