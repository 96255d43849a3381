"""The board of a period from the register and the calendar: who is on it, each status, late only where due and
missing or signed after the due date (extensions honoured); the CLI's `board` and the portal's board agree; CSV and
XLSX exports. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from portal_helpers import KN, PERIOD, ZS, breach_bytes, zs_bytes
from test_api import base, finding, upload
from test_pages import sign_in

from inclusive_check.cli import cli

JSON = {"Content-Type": "application/json"}


def _register() -> dict[str, Any]:
    def insurer(code: str, files: str, en: str, zh: str) -> dict[str, Any]:
        return {
            "code": code,
            "name": {"zh": zh, "en": en},
            "group": "property",
            "ownership": "state",
            "size_class": "medium",
            "files": files,
        }

    return {
        "insurers": [
            insurer(ZS, "both", "Zhongshan P&C", "中山财险"),
            insurer(KN, "quarterly", "Kangning Health", "康宁健康"),
            insurer("ANNUAL-ONLY", "annual", "Annual Only Mutual", "年报互助"),
            insurer("MISSING-Q", "quarterly", "Missing Quarterly Co.", "缺报保险"),
            insurer("EXT-Q", "quarterly", "Extended Co.", "延期保险"),
        ]
    }


def _calendar(due: str, extended: str) -> dict[str, Any]:
    return {
        "periods": [
            {
                "period": PERIOD,
                "opens": "2026-01-01",
                "due": {"quarterly_submission": due},
                "extensions": [
                    {"insurer": "EXT-Q", "kind": "quarterly_submission", "due": extended, "reference": "EXT-2026-1"}
                ],
            }
        ]
    }


def _import(url: str, tmp_path: Path, command: str, data: Any) -> None:
    path = tmp_path / f"{command}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", url, command, "import", str(path)])
    assert result.exit_code == 0, result.output


def _board(url: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, "board", "--period", PERIOD, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _statuses(url: str, as_of: str) -> dict[str, tuple[str, bool]]:
    out = json.loads(_board(url, "--format", "json", "--as-of", as_of))
    return {r["insurer"]: (r["status"], r["late"]) for r in out["insurers"]}


def test_board_lists_who_must_file_and_late_only_where_due(portal: Any, tmp_path: Path) -> None:
    url = portal.url
    _import(url, tmp_path, "insurers", _register())
    _import(url, tmp_path, "calendar", _calendar("2099-01-31", "2099-03-31"))
    assert upload(portal, breach_bytes()).status_code == 201  # ZS: a blocking error

    before = _statuses(url, "2099-01-31")  # the due day itself: nobody is late yet
    assert before == {
        ZS: ("has_errors", False),
        KN: ("not_filed", False),
        "MISSING-Q": ("not_filed", False),
        "EXT-Q": ("not_filed", False),
    }  # ANNUAL-ONLY files no quarter: not on the board
    after = _statuses(url, "2099-02-01")
    assert after == {
        ZS: ("late", True),
        KN: ("late", True),
        "MISSING-Q": ("late", True),
        "EXT-Q": ("not_filed", False),  # its extension runs to 2099-03-31
    }
    assert _statuses(url, "2099-03-31")["EXT-Q"] == ("not_filed", False)  # its due day
    assert _statuses(url, "2099-04-01")["EXT-Q"] == ("late", True)

    # ZS fixes, answers and signs (today, before the 2099 due date): signed, not late
    rev2 = upload(portal, zs_bytes()).json()
    kpi = finding(rev2, "IC10-KPI-WEIGHT")
    portal.client.put(base(2) + f"/responses/{kpi['fingerprint']}", json={"text": "ok"}, headers=portal.api("zs"))
    assert (
        portal.client.post(base(2) + "/signature", json={"attest": True}, headers=portal.api("zs")).status_code == 201
    )
    assert _statuses(url, "2099-02-01")[ZS] == ("signed", False)
    text = _board(url, "--as-of", "2099-02-01")
    assert "signed 1" in text and "late 2" in text and "Zhongshan P&C" in text and "ANNUAL-ONLY" not in text
    assert "EXT-2026-1" in text
    zh = _board(url, "--as-of", "2099-02-01", "--lang", "zh", "--status", "late")
    assert "康宁健康" in zh and "缺报保险" in zh and "中山财险" not in zh

    # the calendar changes (a new version): the due date is now behind the signature, which is then late
    _import(url, tmp_path, "calendar", _calendar("2026-01-31", "2026-03-31"))
    assert _statuses(url, "2026-12-31")[ZS] == ("signed", True)
    rows = list(csv.DictReader(io.StringIO(_board(url, "--format", "csv", "--as-of", "2026-12-31"))))
    assert [r["insurer"] for r in rows] == ["EXT-Q", KN, "MISSING-Q", ZS]
    assert rows[-1]["status"] == "signed" and rows[-1]["late"] == "True" and rows[-1]["sequence"] == "2"
    assert rows[-1]["name_zh"] == "中山财险" and rows[0]["extension"] == "EXT-2026-1"


def test_a_period_not_in_the_calendar_is_refused_by_the_cli(portal: Any, tmp_path: Path) -> None:
    _import(portal.url, tmp_path, "insurers", _register())
    result = CliRunner().invoke(cli, ["--db", portal.url, "board", "--period", PERIOD])
    assert result.exit_code == 2 and "not in the filing calendar" in result.output
    bad = CliRunner().invoke(cli, ["--db", portal.url, "board", "--period", "2025-Q5"])
    assert bad.exit_code == 2 and "not a period" in bad.output


def test_the_portal_board_is_the_same_query_with_counts_filter_and_exports(portal: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    _import(portal.url, tmp_path, "insurers", _register())
    _import(portal.url, tmp_path, "calendar", _calendar("2026-01-31", "2099-03-31"))  # past due today (2026-12)
    assert upload(portal, breach_bytes()).status_code == 201
    api = portal.client.get(f"/api/board?period={PERIOD}", headers=portal.api("sup")).json()
    assert {r["insurer"]: r["status"] for r in api} == {
        ZS: "late",
        KN: "late",
        "MISSING-Q": "late",
        "EXT-Q": "not_filed",
    }
    assert {r["insurer"]: r["name_en"] for r in api}[KN] == "Kangning Health"
    cli_rows = json.loads(_board(portal.url, "--format", "json"))["insurers"]
    assert [(r["insurer"], r["status"]) for r in cli_rows] == [(r["insurer"], r["status"]) for r in api]

    client = portal.client
    sign_in(client, "sup")
    page = client.get(f"/board?period={PERIOD}&lang=en")
    assert page.status_code == 200 and "Kangning Health" in page.text and "ANNUAL-ONLY" not in page.text
    assert 'data-status="late"><a href="/board?period=2025-Q4&amp;status=late">3</a>' in page.text
    assert "Insurers per status" in page.text and "Export XLSX" in page.text and 'id="no-calendar"' not in page.text
    chinese = client.get(f"/board?period={PERIOD}&lang=zh&status=not_filed")
    assert "延期保险" in chinese.text and "中山财险" not in chinese.text and "各状态机构数" in chinese.text
    exported = client.get(f"/board/export.csv?period={PERIOD}&status=late")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["insurer"] for r in rows] == [KN, "MISSING-Q", ZS]
    book = client.get(f"/board/export.xlsx?period={PERIOD}")
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][:4] == ("insurer", "name_zh", "name_en", "status") and len(values) == 5
    assert {v[0]: v[3] for v in values[1:]}["EXT-Q"] == "not_filed"

    client.cookies.clear()
    sign_in(client, "zs")  # a filer has no board
    assert client.get(f"/board/export.csv?period={PERIOD}").status_code == 404


def test_without_a_calendar_the_portal_board_says_so(portal: Any) -> None:
    client = portal.client
    sign_in(client, "sup")
    page = client.get(f"/board?period={PERIOD}&lang=en")
    assert page.status_code == 200 and 'id="no-calendar"' in page.text and "filing calendar" in page.text
