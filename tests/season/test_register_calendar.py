"""The register and the calendar as data: import with history, published schemas, located errors (exit 3, nothing
stored), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from inclusive_check.cli import cli
from inclusive_check.store import tables as t
from inclusive_check.store.db import make_engine, upgrade
from inclusive_check.store.season import calendar_period, current_register, register_history

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "season"


def _run(db_url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", db_url, *args])


def _write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    plain = json.loads(json.dumps(data, default=str))  # no shared objects: no YAML anchors
    path.write_text(yaml.safe_dump(plain, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


def _count(db_url: str, table: Any) -> int:
    engine = make_engine(db_url)
    upgrade(engine)  # an invalid first import may not even have created the database
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(n)


def test_samples_hold_to_the_published_schemas() -> None:
    for kind in ("insurers", "calendar"):
        printed = CliRunner().invoke(cli, ["schema", kind])
        assert printed.exit_code == 0
        schema = json.loads(printed.output)
        jsonschema.Draft202012Validator.check_schema(schema)
        sample = yaml.safe_load((SAMPLES / f"{kind}.yaml").read_text("utf-8"))
        sample = json.loads(json.dumps(sample, default=str))  # YAML dates as the ISO strings the schema reads
        jsonschema.validate(sample, schema, format_checker=jsonschema.FormatChecker())


def test_register_import_keeps_history(db_url: str, tmp_path: Path) -> None:
    first = _run(db_url, "insurers", "import", str(SAMPLES / "insurers.yaml"))
    assert first.exit_code == 0, first.output
    assert "4 new, 0 changed" in first.output
    again = _run(db_url, "insurers", "import", str(SAMPLES / "insurers.yaml"))
    assert "0 new, 0 changed (new version), 4 unchanged" in again.output
    data = yaml.safe_load((SAMPLES / "insurers.yaml").read_text("utf-8"))
    data["insurers"][1]["files"] = "both"  # DEMO-LIFE now files annually too
    data["insurers"][1]["name"]["en"] = "Demo Life Assurance Co."
    changed = _run(db_url, "insurers", "import", _write(tmp_path, "r.yaml", data))
    assert "0 new, 1 changed (new version), 3 unchanged" in changed.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        history = register_history(conn, "DEMO-LIFE")
        current = {x.code: x for x in current_register(conn)}
    engine.dispose()
    assert [(v, x.files, x.name_en) for v, x, _ in history] == [
        (1, "quarterly", "Demo Life Insurance Co."),
        (2, "both", "Demo Life Assurance Co."),
    ]
    assert current["DEMO-LIFE"].files == "both" and current["DEMO-LIFE"].name_zh == "示例人寿保险股份有限公司"
    assert len(current) == 4


def test_calendar_import_keeps_history_and_extensions(db_url: str, tmp_path: Path) -> None:
    assert _run(db_url, "calendar", "import", str(SAMPLES / "calendar.yaml")).exit_code == 0
    data = yaml.safe_load((SAMPLES / "calendar.yaml").read_text("utf-8"))
    data["periods"][1]["extensions"].append(
        {"insurer": "DEMO-LIFE", "kind": "quarterly_submission", "due": "2026-02-10", "reference": "EXT-9"}
    )
    out = _run(db_url, "calendar", "import", _write(tmp_path, "c.yaml", data), "--format", "json")
    assert json.loads(out.output) == {"total": 3, "new": 0, "changed": 1, "unchanged": 2}
    engine = make_engine(db_url)
    with engine.connect() as conn:
        q4 = calendar_period(conn, "2025-Q4")
        assert calendar_period(conn, "2024-Q4") is None
    engine.dispose()
    assert q4 is not None
    assert str(q4.due_for("DEMO-LIFE", "quarterly_submission")) == "2026-02-10"
    assert str(q4.due_for("DEMO-HEALTH", "quarterly_submission")) == "2026-02-28"
    assert str(q4.due_for("DEMO-PC", "quarterly_submission")) == "2026-01-31"
    assert q4.due_for("DEMO-PC", "annual_submission") is None  # a quarter has no annual submission due
    assert _count(db_url, t.calendar_periods) == 4  # three periods, one of them in two versions


_INSURER = {
    "code": "X-1",
    "name": {"zh": "甲", "en": "A"},
    "group": "life",
    "ownership": "state",
    "size_class": "small",
    "files": "annual",
}
_PERIOD = {"period": "2025-Q4", "opens": "2026-01-01", "due": {"quarterly_submission": "2026-01-31"}}


@pytest.mark.parametrize(
    ("kind", "data", "pointer", "words"),  # kind: the command; a file with a valid entry too stores neither
    [
        (
            "insurers",
            {"insurers": [_INSURER, {**_INSURER, "code": "X-2", "files": "monthly"}]},
            "/insurers/1/files",
            "is not one of",
        ),
        ("insurers", {"insurers": [_INSURER, {**_INSURER}]}, "/insurers/1/code", "already listed at /insurers/0"),
        ("insurers", {"insurers": [{**_INSURER, "code": "bad code"}]}, "/insurers/0/code", "does not match"),
        ("calendar", {"periods": [{**_PERIOD, "period": "2025-Q5"}]}, "/periods/0/period", "does not match"),
        (
            "calendar",
            {"periods": [{**_PERIOD, "due": {"annual_submission": "2026-01-31"}}]},
            "/periods/0/due/annual_submission",
            "is a quarter",
        ),
        (
            "calendar",
            {"periods": [{**_PERIOD, "due": {"quarterly_submission": "2025-12-31"}}]},
            "/periods/0/due/quarterly_submission",
            "before the period opens",
        ),
        (
            "calendar",
            {
                "periods": [
                    {
                        **_PERIOD,
                        "extensions": [
                            {"insurer": "X-1", "kind": "quarterly_submission", "due": "2026-01-30", "reference": "r"}
                        ],
                    }
                ]
            },
            "/periods/0/extensions/0/due",
            "earlier than the due date",
        ),
        (
            "calendar",
            {
                "periods": [
                    {
                        **_PERIOD,
                        "extensions": [
                            {"insurer": "X-1", "kind": "product_filings", "due": "2026-03-01", "reference": "r"}
                        ],
                    }
                ]
            },
            "/periods/0/extensions/0/kind",
            "nothing to extend",
        ),
        ("calendar", {"periods": [_PERIOD, _PERIOD]}, "/periods/1/period", "already listed"),
    ],
)
def test_an_invalid_file_is_located_exit_3_and_stores_nothing(
    db_url: str, tmp_path: Path, kind: str, data: Any, pointer: str, words: str
) -> None:
    result = _run(db_url, kind, "import", _write(tmp_path, "bad.yaml", data))
    assert result.exit_code == 3, result.output
    assert pointer in result.output and words in result.output
    assert "bad.yaml:" in result.output  # file:line:column
    assert "Traceback" not in result.output
    assert "nothing was stored" in result.output
    assert _count(db_url, t.register_insurers) == 0 and _count(db_url, t.calendar_periods) == 0


def test_not_yaml_and_not_utf8_are_located_errors(db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("insurers: [\n  {code: X\n", encoding="utf-8")
    result = _run(db_url, "insurers", "import", str(broken))
    assert result.exit_code == 3 and "broken.yaml:" in result.output and "not valid YAML/JSON" in result.output
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("periods: []  # é".encode("latin-1"))
    result = _run(db_url, "calendar", "import", str(latin))
    assert result.exit_code == 3 and "not UTF-8" in result.output


def test_json_register_is_read_too(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"insurers": [_INSURER]}, ensure_ascii=False), encoding="utf-8")
    result = _run(db_url, "insurers", "import", str(path))
    assert result.exit_code == 0 and "1 new" in result.output
    path.write_text('{"insurers": [{"code": "X-1"}]}', encoding="utf-8")
    result = _run(db_url, "insurers", "import", str(path))
    assert result.exit_code == 3 and "r.json:1:" in result.output and "/insurers/0" in result.output


def test_migration_0017_downgrades_and_upgrades(db_url: str) -> None:
    from sqlalchemy import inspect

    from inclusive_check.store.db import current, downgrade, head

    assert _run(db_url, "insurers", "import", str(SAMPLES / "insurers.yaml")).exit_code == 0
    engine = make_engine(db_url)
    downgrade(engine, "0011")
    assert current(engine) == "0011"
    assert not {"register_insurers", "calendar_periods"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current(engine) == head()  # not a literal: later migrations follow 0017
    engine.dispose()
    assert _run(db_url, "insurers", "import", str(SAMPLES / "insurers.yaml")).exit_code == 0
    assert _count(db_url, t.register_insurers) == 4


def test_the_portal_toml_keeps_only_server_settings(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from inclusive_check.portal.config import ConfigError, load_config

    good = tmp_path / "portal.toml"
    good.write_text("session_hours = 4\nmax_upload_mib = 8\n", encoding="utf-8")
    assert load_config(good).session_hours == 4
    old = tmp_path / "old.toml"
    old.write_text("[windows.2025]\nopens = 2026-01-01\ndue = 2026-04-30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="calendar import"):
        load_config(old)
    result = CliRunner().invoke(cli, ["serve", "--config", str(old)])
    assert result.exit_code == 3 and "calendar import" in result.output
