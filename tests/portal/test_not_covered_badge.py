"""The portal's revision page agrees with the results on items not covered: each has its own badge (never the
failure's), asks for no answer, and their count is the results' count for the document."""

from __future__ import annotations

import re
from typing import Any

from portal_helpers import PERIOD, ZS, zs_bytes
from test_pages import sign_in


def test_revision_page_badges_each_item_not_covered_apart(portal: Any) -> None:
    client = portal.client
    csrf = sign_in(client, "zs")
    page = client.post("/file", data={"csrf": csrf}, files={"file": ("zs.json", zs_bytes())})
    assert page.status_code == 200
    api = client.get(f"/api/filings/{ZS}/{PERIOD}/revisions/1", headers=portal.api("zs"))
    assert api.status_code == 200, api.text
    findings = api.json()["document"]["findings"]
    uncovered = [f for f in findings if f["status"] == "not_covered"]
    assert uncovered and all(f["strength"] == "encouraged" for f in uncovered)  # the ZS sample misses two
    for lang, word in (("en", "not covered"), ("zh", "未覆盖")):
        shown = client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang={lang}").text
        assert shown.count(f'<span class="badge not_covered">{word}</span>') == len(uncovered)
        for f in uncovered:
            row = re.search(rf'<tr id="f-{f["fingerprint"]}".*?</tr>', shown, re.S)
            assert row is not None
            assert "badge info" not in row[0] and "<textarea" not in row[0]  # no failure's badge, nothing to answer
