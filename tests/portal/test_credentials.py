"""Issue 25: credentials with a lifecycle, on both backends. Tokens expire (default and maximum from the
configuration), carry a name and a last-used time and can be revoked; a disabled user loses its sessions and
tokens at once; every change is audited; a supervisor does the same through the API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from portal_helpers import PASSWORD
from sqlalchemy import select, update

from inclusive_check.cli import cli
from inclusive_check.portal import credentials, service
from inclusive_check.portal.config import PortalConfig
from inclusive_check.store import tables as t


def _cli(portal: Any, *args: str, stdin: str | None = None) -> Any:
    result = CliRunner().invoke(cli, ["--db", portal.url, *args], input=stdin)
    assert result.exit_code != 70 and "Traceback" not in result.output, result.output
    return result


def _sign_in(portal: Any, name: str, password: str = PASSWORD) -> int:
    client = portal.client
    client.cookies.clear()
    client.get("/login")
    csrf = client.cookies.get("ic_csrf")
    client.post("/login", data={"name": name, "password": password, "csrf": csrf})
    return int(client.get("/", follow_redirects=False).status_code)


def _audit(portal: Any) -> list[tuple[str, dict[str, Any]]]:
    a = t.portal_audit_log.c
    with portal.app.state.portal.engine.connect() as conn:
        return [(r.action, json.loads(r.detail)) for r in conn.execute(select(a.action, a.detail).order_by(a.id))]


def test_a_token_expires_after_its_days_and_the_maximum_holds(portal: Any) -> None:
    engine = portal.app.state.portal.engine
    config = PortalConfig(token_days=30, token_max_days=60)
    token = credentials.create_token(engine, "zs", config, name="ci uploader")
    (info,) = [x for x in credentials.list_tokens(engine, "zs") if x.name == "ci uploader"]
    assert timedelta(days=29, hours=23) < info.expires_at - info.created_at <= timedelta(days=30)
    headers = {"Authorization": f"Bearer {token}"}
    assert portal.client.get("/api/me", headers=headers).status_code == 200
    with engine.begin() as conn:  # a month later
        conn.execute(update(t.portal_tokens).where(t.portal_tokens.c.id == info.id).values(expires_at=service.now()))
    assert portal.client.get("/api/me", headers=headers).status_code == 401
    with pytest.raises(service.Unprocessable, match="1 to 60 days"):
        credentials.create_token(engine, "zs", config, days=61)
    refused = _cli(portal, "tokens", "create", "zs", "--days", "4000")
    assert refused.exit_code == 2 and "4000" in refused.output


def test_a_token_records_its_last_use(portal: Any) -> None:
    engine = portal.app.state.portal.engine
    before = {x.id: x.last_used_at for x in credentials.list_tokens(engine, "zs")}
    assert set(before.values()) == {None}
    assert portal.client.get("/api/me", headers=portal.api("zs")).status_code == 200
    after = [x for x in credentials.list_tokens(engine, "zs")]
    assert all(x.last_used_at is not None for x in after)


def test_tokens_list_and_revoke_from_the_cli_end_the_token_at_once(portal: Any) -> None:
    listed = _cli(portal, "tokens", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    mine = [x for x in json.loads(listed.output) if x["user"] == "zs"]
    assert [x["state"] for x in mine] == ["active"] and mine[0]["expires_at"]
    revoked = _cli(portal, "tokens", "revoke", str(mine[0]["id"]))
    assert revoked.exit_code == 0, revoked.output
    assert portal.client.get("/api/me", headers=portal.api("zs")).status_code == 401
    assert portal.client.get("/api/me", headers=portal.api("kn")).status_code == 200
    again = json.loads(_cli(portal, "tokens", "list", "--user", "zs", "--format", "json").output)
    assert again[0]["state"] == "revoked" and again[0]["revoked_at"]
    assert ("token.revoke", {"user": "zs", "token": mine[0]["id"], "name": None}) in _audit(portal)
    assert _cli(portal, "tokens", "revoke", "2147483647").exit_code == 2
    assert _cli(portal, "tokens", "revoke", "99999999999999999999").exit_code == 2


def test_disabling_a_user_ends_its_sessions_and_tokens_at_once_and_enabling_restores_login(portal: Any) -> None:
    assert _sign_in(portal, "zs") == 200
    disabled = _cli(portal, "users", "disable", "zs")
    assert disabled.exit_code == 0, disabled.output
    assert portal.client.get("/", follow_redirects=False).status_code in (303, 307)  # the session is gone
    assert portal.client.get("/api/me", headers=portal.api("zs")).status_code == 401
    assert _sign_in(portal, "zs") in (303, 307)  # no login while disabled
    users = json.loads(_cli(portal, "users", "list", "--format", "json").output)
    assert next(u for u in users if u["name"] == "zs")["disabled_at"]
    with pytest.raises(service.Unprocessable, match="disabled"):
        credentials.create_token(portal.app.state.portal.engine, "zs")
    assert _cli(portal, "users", "enable", "zs").exit_code == 0
    assert _sign_in(portal, "zs") == 200
    assert portal.client.get("/api/me", headers=portal.api("zs")).status_code == 401  # revoked tokens stay so
    actions = [a for a, _ in _audit(portal)]
    assert "user.disable" in actions and "user.enable" in actions
    detail = next(d for a, d in _audit(portal) if a == "user.disable")
    assert detail["user"] == "zs" and detail["sessions"] == 1 and detail["tokens"] == 1


def test_set_password_ends_sessions_and_the_old_password(portal: Any) -> None:
    assert _sign_in(portal, "kn") == 200
    result = _cli(portal, "users", "set-password", "kn", stdin="a new long secret\n")
    assert result.exit_code == 0, result.output
    assert portal.client.get("/", follow_redirects=False).status_code in (303, 307)
    assert _sign_in(portal, "kn") in (303, 307)
    assert _sign_in(portal, "kn", "a new long secret") == 200
    assert _cli(portal, "users", "set-password", "kn", stdin="short\n").exit_code == 2
    assert _cli(portal, "users", "disable", "nobody").exit_code == 2
    assert "user.password" in [a for a, _ in _audit(portal)]


def test_a_supervisor_manages_accounts_through_the_api_and_a_filer_cannot(portal: Any) -> None:
    client, sup, zs = portal.client, portal.api("sup"), portal.api("zs")
    assert client.get("/api/users", headers=zs).status_code == 404
    assert client.post("/api/users/kn/disable", headers=zs).status_code == 404
    listed = client.get("/api/users", headers=sup)
    assert listed.status_code == 200 and {u["name"] for u in listed.json()} == {"zs", "kn", "sup"}
    done = client.post("/api/users/kn/disable", headers=sup)
    assert done.status_code == 200 and done.json()["disabled_at"]
    assert client.get("/api/me", headers=portal.api("kn")).status_code == 401
    assert client.post("/api/users/kn/enable", headers=sup).json()["disabled_at"] is None
    tokens = client.get("/api/tokens", headers=sup).json()
    zs_token = next(x for x in tokens if x["user"] == "zs")
    revoked = client.post(f"/api/tokens/{zs_token['id']}/revoke", headers=sup)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert client.get("/api/me", headers=zs).status_code == 401
    assert client.put("/api/users/kn/password", headers=sup, json={"password": "another secret"}).status_code == 200
    assert client.put("/api/users/kn/password", headers=sup, json={"password": "short"}).status_code == 422
    actors = {(a, d.get("user")) for a, d in _audit(portal)}
    assert {("user.disable", "kn"), ("user.enable", "kn"), ("token.revoke", "zs"), ("user.password", "kn")} <= actors


def test_the_api_does_not_take_the_session_cookie(portal: Any) -> None:
    assert _sign_in(portal, "zs") == 200
    assert portal.client.get("/api/me").status_code == 401


def test_tokens_create_refuses_a_configuration_out_of_range_or_not_a_file(portal: Any, tmp_path: Any) -> None:
    config = tmp_path / "portal.toml"
    config.write_text("token_max_days = 99999\n", encoding="utf-8")
    result = _cli(portal, "tokens", "create", "zs", "--config", str(config))
    assert result.exit_code == 3 and "token_max_days must be a whole number from 1 to 3650" in result.output
    assert _cli(portal, "tokens", "create", "zs", "--config", "/dev/zero").exit_code == 3
