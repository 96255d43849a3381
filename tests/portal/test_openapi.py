"""The OpenAPI document: served, shipped in step with the code, and held to by the API (schemathesis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from portal_helpers import PERIOD, ROOT, ZS, zs_bytes


def test_the_shipped_openapi_document_is_the_served_one(portal: Any) -> None:
    served = portal.client.get("/openapi.json")
    assert served.status_code == 200 and served.json()["openapi"].startswith("3.1")
    shipped = json.loads((ROOT / "docs/openapi.json").read_text("utf-8"))
    assert shipped == served.json(), (
        "docs/openapi.json is out of step: regenerate it with "
        "python -c 'import json; from inclusive_check.portal.app import create_app; "
        'print(json.dumps(create_app("sqlite://").openapi(), indent=2, ensure_ascii=False, sort_keys=True))\' '
        "> docs/openapi.json"
    )


def test_the_api_holds_to_its_openapi_document(portal: Any, tmp_path: Path) -> None:
    """Generated calls (authenticated as a filer with a filing on record, and as a supervisor): never a 5xx,
    every response as documented."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path / "hypothesis")  # nothing into the checkout
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    upload = portal.client.post(
        f"/api/filings/{ZS}/{PERIOD}/revisions",
        content=zs_bytes(),
        headers={**portal.api("zs"), "Content-Type": "application/json"},
    )
    assert upload.status_code == 201
    schema = schemathesis.openapi.from_asgi("/openapi.json", portal.app)
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]

    def exercise(op: Any, headers: dict[str, str]) -> None:
        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            case.headers = {**(case.headers or {}), **headers}
            case.validate_response(case.call(), checks=checks)

        run()

    failures = []
    for who in ("zs", "sup"):
        for operation in schema.get_all_operations():
            op = operation.ok()
            try:
                exercise(op, portal.api(who))
            except Exception as exc:
                failures.append(f"{who} {op.method.upper()} {op.path}: {str(exc)[:800]}")
    assert not failures, "\n".join(failures)
