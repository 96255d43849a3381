"""What the file says, the portal believes; signing only when it can succeed. On SQLite and PostgreSQL.

The filer sends only the file: insurer, period and kind are the document's. Another insurer's document, a period
the calendar does not open, a product filing sent to a period's filing: refused, located, nothing stored. A
blocking revision shows no sign form; blocking findings come first with a badge; the receipt names what judged
the revision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from portal_helpers import KN, PERIOD, ROOT, ZS, breach_bytes, zs_bytes, zs_document
from test_pages import sign_in

from inclusive_check import __version__
from inclusive_check.cli import cli
from inclusive_check.ruleset import load_ruleset

JSON = {"Content-Type": "application/json"}


def post(portal: Any, raw: bytes, who: str = "zs", yaml_body: bool = False) -> Any:
    kind = {"Content-Type": "application/yaml"} if yaml_body else JSON
    return portal.client.post("/api/revisions", content=raw, headers={**portal.api(who), **kind})


def _stored(portal: Any) -> int:
    filings = portal.client.get("/api/filings", headers=portal.api("sup")).json()
    return len(filings)


def _calendar(portal: Any, tmp_path: Path, periods: list[dict[str, Any]]) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(yaml.safe_dump({"periods": periods}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", portal.url, "calendar", "import", str(path)])
    assert result.exit_code == 0, result.output


def test_insurer_and_period_come_from_the_document(portal: Any) -> None:
    made = post(portal, zs_bytes())
    assert made.status_code == 201
    rev = made.json()
    assert (rev["insurer"], rev["period"], rev["sequence"], rev["state"]) == (ZS, PERIOD, 1, "awaiting_signature")
    again = post(portal, json.dumps(zs_document()).encode())
    assert again.json()["sequence"] == 2


def test_another_insurers_document_is_refused_at_insurer_code_and_nothing_stored(portal: Any) -> None:
    kn = (ROOT / "samples/submissions/kn-health-2025.json").read_bytes()
    refused = post(portal, kn)  # zs sends KN's submission
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()["errors"][0]
    assert problem["pointer"] == "/insurer/code" and problem["line"] is not None and KN in problem["message"]
    assert "nothing was stored" in refused.json()["detail"]
    assert _stored(portal) == 0
    actions = [e["action"] for e in portal.client.get("/api/audit", headers=portal.api("sup")).json()]
    assert "revision.upload" not in actions


def test_a_product_filing_sent_to_a_periods_filing_is_refused_at_kind(portal: Any) -> None:
    """Product filings have their own filings (test_product_filings.py); a period's filing takes a submission."""
    filing = (ROOT / "samples/filings/kn-health-fee-breach.json").read_bytes()
    refused = portal.client.post(
        f"/api/filings/{KN}/{PERIOD}/revisions", content=filing, headers={**portal.api("kn"), **JSON}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/kind"
    assert _stored(portal) == 0


def test_an_invalid_document_is_a_revision_when_it_says_whose_it_is_else_refused(portal: Any) -> None:
    broken = zs_document()
    broken["products"][0]["premium_rate"] = "cheap"
    rev = post(portal, json.dumps(broken, ensure_ascii=False, indent=2).encode())
    assert rev.status_code == 201 and rev.json()["state"] == "invalid" and rev.json()["problems"]
    nameless = post(portal, b'{\n  "kind": "submission",\n  oops\n}')
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["line"] == 3
    assert len(portal.client.get(f"/api/filings/{ZS}/{PERIOD}", headers=portal.api("zs")).json()["revisions"]) == 1


def test_a_period_the_calendar_does_not_open_is_refused_with_the_reason(portal: Any, tmp_path: Path) -> None:
    _calendar(portal, tmp_path, [{"period": "2025", "opens": "2026-01-01", "due": {"annual_submission": "2026-04-30"}}])
    refused = post(portal, zs_bytes())
    assert refused.status_code == 422
    problem = refused.json()["errors"][0]
    assert problem["pointer"] == "/reporting_period" and "calendar does not list it" in problem["message"]
    _calendar(
        portal, tmp_path, [{"period": PERIOD, "opens": "2099-01-01", "due": {"quarterly_submission": "2099-01-31"}}]
    )
    later = post(portal, zs_bytes())
    assert later.status_code == 422 and "opens on 2099-01-01" in later.json()["errors"][0]["message"]
    assert _stored(portal) == 0
    _calendar(
        portal, tmp_path, [{"period": PERIOD, "opens": "2026-01-01", "due": {"quarterly_submission": "2099-01-31"}}]
    )
    assert post(portal, zs_bytes()).status_code == 201


def test_pages_refuse_located_no_sign_form_when_blocking_and_a_receipt_naming_the_ruleset(portal: Any) -> None:
    client = portal.client
    csrf = sign_in(client, "zs")
    kn = (ROOT / "samples/submissions/kn-health-2025.json").read_bytes()
    refused = client.post("/file?lang=en", data={"csrf": csrf}, files={"file": ("kn.json", kn)})
    assert refused.status_code == 422 and "Upload refused" in refused.text and "/insurer/code" in refused.text
    chinese = client.post("/file?lang=zh", data={"csrf": csrf}, files={"file": ("kn.json", kn)})
    assert "上传被拒绝" in chinese.text and "未保存任何内容" in chinese.text

    page = client.post("/file", data={"csrf": csrf}, files={"file": ("a.json", breach_bytes())})
    assert f"/filings/{ZS}/{PERIOD}/revisions/1" in str(page.url)
    english = client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=en")
    assert (
        'id="sign-blocked"' in english.text and 'id="sign"' not in english.text and 'name="attest"' not in english.text
    )
    rows = english.text.split("<tbody>", 2)[1].split("<tr ")[1:]
    assert (
        'class="blocking"' in rows[0] and "IC10-INTERNAL-CONTROL" in rows[0] and 'badge blocking">blocking' in rows[0]
    )
    assert "阻断" in client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=zh").text

    page = client.post("/file", data={"csrf": csrf}, files={"file": ("b.json", zs_bytes())})
    assert 'id="sign"' in page.text and 'id="sign-blocked"' not in page.text
    revision = client.get(f"/api/filings/{ZS}/{PERIOD}/revisions/2", headers=portal.api("zs")).json()
    kpi = next(f for f in revision["document"]["findings"] if f["rule_id"] == "IC10-KPI-WEIGHT")
    client.post(
        f"/filings/{ZS}/{PERIOD}/revisions/2/respond",
        data={"csrf": csrf, "fingerprint": kpi["fingerprint"], "text": "noted"},
    )
    signed = client.post(f"/filings/{ZS}/{PERIOD}/revisions/2/sign?lang=en", data={"csrf": csrf, "attest": "yes"})
    ruleset = load_ruleset()
    assert signed.status_code == 200 and 'id="receipt"' in signed.text
    assert ruleset.sha256 in signed.text and f"inclusive-check {__version__}" in signed.text
    receipt = client.get(f"/api/filings/{ZS}/{PERIOD}/revisions/2", headers=portal.api("zs")).json()["receipt"]
    assert (receipt["ruleset_sha256"], receipt["tool_version"]) == (ruleset.sha256, __version__)
    assert receipt["insurer_name"] and receipt["ruleset_id"] and receipt["ruleset_version"] == ruleset.version
    css = client.get("/static/portal.css").text
    assert "@media print" in css and "header.top" in css.split("@media print", 1)[1]


def test_the_old_upload_form_with_a_typed_period_is_gone(portal: Any) -> None:
    client = portal.client
    csrf = sign_in(client, "zs")
    old = client.post("/upload", data={"csrf": csrf, "period": PERIOD}, files={"file": ("a.json", zs_bytes())})
    assert old.status_code in (404, 405)
    assert _stored(portal) == 0
    assert 'name="period"' not in client.get("/").text
