"""Dispensations: every stored text has its column's length limit in the published schema, and no NUL.

So that PostgreSQL is never the first to say no (it refuses NUL in text and strings over a VARCHAR's length,
where SQLite stores them), an import is refused as invalid input (exit 3, located) on both backends alike.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from inclusive_check.cli import cli
from inclusive_check.contract.dispensations import schema
from inclusive_check.store import tables as t

LETTERS = Path(__file__).resolve().parents[1] / "samples" / "dispensations" / "2025-supervisor-letters.yaml"
ITEM = schema()["properties"]["dispensations"]["items"]["properties"]


def test_every_limited_column_has_its_limit_in_the_schema() -> None:
    columns = {"rule": "rule_id", "subject": "subject", "approved_by": "approved_by", "reference": "reference"}
    for field, column in columns.items():
        assert ITEM[field]["maxLength"] == t.dispensations.c[column].type.length, field
    assert "{0,79}" in ITEM["id"]["pattern"] and t.dispensations.c.dispensation_id.type.length == 80
    assert "{1,39}" in ITEM["insurer"]["pattern"] and t.dispensations.c.insurer_code.type.length == 40


@pytest.mark.parametrize(
    ("old", "new", "pointer"),
    [
        ("approved_by: 某监管局人身保险监管处（示例）", "approved_by: " + "监" * 501, "/dispensations/0/approved_by"),
        ("approved_by: 某监管局人身保险监管处（示例）", 'approved_by: "监管\\0处"', "/dispensations/0/approved_by"),
        ("subject: /products/0", "subject: /products/" + "0" * 300, "/dispensations/0/subject"),
        ("reference: 监管函〔2025〕第12号（示例）", 'reference: "\\0"', "/dispensations/0/reference"),
    ],
)
def test_overlong_or_nul_text_is_invalid_input_on_both_backends(
    store: Any, db_url: str, tmp_path: Path, old: str, new: str, pointer: str
) -> None:
    text = LETTERS.read_text("utf-8")
    assert old in text
    path = tmp_path / "letters.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    result = CliRunner().invoke(cli, ["--db", db_url, "dispensations", "import", str(path)])
    assert result.exit_code == 3, result.output
    assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: {pointer}: ", result.output, re.MULTILINE), result.output
    assert "Traceback" not in result.output
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.dispensations)).scalar_one() == 0
