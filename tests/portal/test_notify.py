"""Notifications, store and inbox: events derived from the record at most once per recipient, the calendar's
reminders, claims that never overlap, the inbox's tenant isolation, read/unread with CSRF, and bad input. On SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from portal_helpers import KN, PERIOD, ZS, zs_bytes
from sqlalchemy import insert, select
from test_api import base, finding, upload
from test_pages import sign_in
from test_season_board import _calendar, _import, _register

from inclusive_check.cli import cli
from inclusive_check.portal import notify_service
from inclusive_check.store import notify as outbox
from inclusive_check.store import tables as t

NOW = datetime(2026, 12, 6, 12, 0)


def _engine(portal: Any) -> Any:
    return portal.app.state.portal.engine


def _rows(portal: Any) -> list[tuple[str, str, str]]:
    """(recipient, kind, event_key) of every outbox row."""
    o, u = t.notify_outbox.c, t.portal_users.c
    with _engine(portal).connect() as conn:
        rows = conn.execute(
            select(u.name, o.kind, o.event_key).join(t.portal_users, u.id == o.recipient_id).order_by(o.id)
        ).all()
    return [tuple(r) for r in rows]


def sign(portal: Any, sequence: int) -> None:
    rev = portal.client.get(base(sequence), headers=portal.api("zs")).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    portal.client.put(
        base(sequence) + f"/responses/{kpi['fingerprint']}", json={"text": "ok"}, headers=portal.api("zs")
    )
    signed = portal.client.post(base(sequence) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert signed.status_code == 201, signed.text


def test_events_come_from_the_record_once_per_recipient(portal: Any) -> None:
    engine = _engine(portal)
    assert upload(portal, zs_bytes()).status_code == 201
    sign(portal, 1)
    review = {"action": "returned", "note": "Explain the weight."}
    assert portal.client.post(f"/api/filings/{ZS}/{PERIOD}/review", json=review, headers=portal.api("sup")).is_success

    added = outbox.enqueue(engine, NOW.date(), (7, 1), NOW)
    rows = _rows(portal)
    assert added == len(rows) == 4
    kinds = sorted((who, kind) for who, kind, _ in rows)
    assert kinds == [
        ("sup", "revision_signed"),
        ("zs", "filing_returned"),
        ("zs", "revision_received"),
        ("zs", "revision_signed"),
    ]  # KN's filer hears nothing of ZS's filing
    # again, and again from "another node": nothing new (the lookback reads the same rows; the key holds)
    assert outbox.enqueue(engine, NOW.date(), (7, 1), NOW) == 0
    assert outbox.enqueue(engine, NOW.date(), (7, 1), NOW + timedelta(minutes=5)) == 0
    assert _rows(portal) == rows
    # an account made afterwards does not receive what happened before it existed
    with engine.begin() as conn:
        conn.execute(
            insert(t.portal_users).values(
                name="zs-late", role="filer", insurer_code=ZS, password_hash="x", created_at=datetime.now()
            )
        )
    assert outbox.enqueue(engine, NOW.date(), (7, 1), NOW) == 0
    # the supervisor's reason travels with the return; without an address a row is for the inbox only
    returned = notify_service.inbox(engine, _user(portal, "zs"), False, "en")[0]
    assert returned["kind"] == "filing_returned" and "Explain the weight." in returned["lines"][0]
    assert returned["email"] == "no_address"


def _user(portal: Any, name: str) -> Any:
    from inclusive_check.portal.service import User

    u = t.portal_users.c
    with _engine(portal).connect() as conn:
        row = conn.execute(select(u.id, u.name, u.role, u.insurer_code).where(u.name == name)).one()
    return User(row.id, row.name, row.role, row.insurer_code)


def test_a_dispensation_decision_reaches_the_filer_with_the_reason(portal: Any) -> None:
    engine = _engine(portal)
    notify_service.set_contact(engine, "zs", "zs@example.org", "zh")
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    asked = portal.client.post(
        base(1) + "/dispensation-requests",
        json={"fingerprint": kpi["fingerprint"], "reason": "raised in 2026"},
        headers=portal.api("zs"),
    ).json()
    decided = portal.client.post(
        f"/api/dispensation-requests/{asked['id']}/decision",
        json={"approve": False, "note": "the weight stays under 5%"},
        headers=portal.api("sup"),
    )
    assert decided.status_code == 200
    outbox.enqueue(engine, NOW.date(), (7,), NOW)
    items = notify_service.inbox(engine, _user(portal, "zs"), False, "zh")
    decision = next(x for x in items if x["kind"] == "dispensation_decided")
    assert decision["detail"]["approved"] is False and decision["email"] == "pending"
    assert "被拒绝" in decision["title"] and "the weight stays under 5%" in decision["lines"][0]
    assert decision["link"] == f"/filings/{ZS}/{PERIOD}/revisions/1"


def test_reminders_before_the_due_date_and_overdue_after_it(portal: Any, tmp_path: Path) -> None:
    engine = _engine(portal)
    _import(portal.url, tmp_path, "insurers", _register())
    _import(portal.url, tmp_path, "calendar", _calendar("2099-01-31", "2099-03-31"))
    upload(portal, zs_bytes())
    sign(portal, 1)  # ZS signed: no reminder for it

    def reminders(day: str) -> list[tuple[str, str, str]]:
        outbox.enqueue(engine, date.fromisoformat(day), (7, 1), NOW)
        return [r for r in _rows(portal) if r[1] in ("due_soon", "overdue")]

    assert reminders("2099-01-20") == []  # 11 days left: no threshold reached
    week = reminders("2099-01-25")  # 6 days left: the 7-day reminder, to KN's filer only (no account elsewhere)
    assert week == [("kn", "due_soon", f"due:{PERIOD}:{KN}:2099-01-31:7")]
    assert reminders("2099-01-26") == week  # once
    day = reminders("2099-01-31")  # the due day: the 1-day reminder
    assert day[1:] == [("kn", "due_soon", f"due:{PERIOD}:{KN}:2099-01-31:1")]
    late = reminders("2099-02-01")
    assert late[2:] == [("kn", "overdue", f"overdue:{PERIOD}:{KN}:2099-01-31")]
    assert reminders("2099-02-05") == late
    assert reminders("2099-06-01") == late  # long past: nothing more
    kn = notify_service.inbox(engine, _user(portal, "kn"), False, "en")
    assert kn[0]["kind"] == "overdue" and "was due on 2099-01-31" in kn[0]["title"]
    assert [x["kind"] for x in notify_service.inbox(engine, _user(portal, "zs"), False, "en")] == [
        "revision_signed",
        "revision_received",
    ]


def _pending(portal: Any, n: int) -> None:
    engine = _engine(portal)
    with engine.begin() as conn:
        zs = conn.execute(select(t.portal_users.c.id).where(t.portal_users.c.name == "zs")).scalar_one()
        conn.execute(
            insert(t.notify_outbox),
            [
                {
                    "event_key": f"test:{i}",
                    "recipient_id": zs,
                    "kind": "revision_received",
                    "insurer_code": ZS,
                    "period": PERIOD,
                    "detail": "{}",
                    "event_at": NOW,
                    "created_at": NOW,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": NOW,
                }
                for i in range(n)
            ],
        )


def test_concurrent_claims_never_share_a_row(portal: Any) -> None:
    engine = _engine(portal)
    _pending(portal, 40)
    got: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        start.wait()
        mine: list[int] = []
        while True:
            claimed, _ = outbox.claim(engine, name, 3, NOW)
            if not claimed:
                break
            mine += [c.id for c in claimed]
        got[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"node{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    every = [i for ids in got.values() for i in ids]
    assert len(every) == len(set(every)) == 40
    assert outbox.outbox_counts(engine)["sending"] == 40
    # a claim never confirmed is given up after the lease, as unknown: never claimed (sent) again
    later, stale = outbox.claim(engine, "node9", 100, NOW + outbox.LEASE + timedelta(seconds=1))
    assert later == [] and stale == 40 and outbox.outbox_counts(engine)["unknown"] == 40


def test_the_inbox_shows_each_user_their_own_and_marks_read_with_csrf(portal: Any) -> None:
    assert upload(portal, zs_bytes()).status_code == 201
    assert upload(portal, zs_bytes(lead_department="x"), who="kn", insurer=KN).status_code in (201, 422)
    client = portal.client
    zs_list = client.get("/api/notifications?lang=en", headers=portal.api("zs")).json()
    assert [x["kind"] for x in zs_list] == ["revision_received"] and zs_list[0]["insurer"] == ZS
    assert zs_list[0]["title"] == f"Revision 1 of the {ZS} {PERIOD} filing was received" and not zs_list[0]["read"]
    mine = zs_list[0]["id"]
    assert all(x["insurer"] == KN for x in client.get("/api/notifications", headers=portal.api("kn")).json())
    assert client.get("/api/notifications", headers=portal.api("sup")).json() == []  # an upload is the filer's

    # another tenant cannot mark it, by API or by page; nor can it be reached without a token
    assert client.post(f"/api/notifications/{mine}/read", headers=portal.api("kn")).status_code == 404
    assert client.post(f"/api/notifications/{mine}/read").status_code == 401
    csrf = sign_in(client, "kn")
    assert client.post(f"/inbox/{mine}/read", data={"csrf": csrf}).status_code == 404
    assert ZS not in client.get("/inbox").text
    client.cookies.clear()

    csrf = sign_in(client, "zs")
    page = client.get("/inbox?lang=zh")
    assert page.status_code == 200 and f"已收到 {ZS} {PERIOD} 报送的第 1 版" in page.text and "未读" in page.text
    assert 'href="/inbox"' in client.get("/").text  # the nav link
    forged = client.post(f"/inbox/{mine}/read", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert not client.get("/api/notifications", headers=portal.api("zs")).json()[0]["read"]
    done = client.post(f"/inbox/{mine}/read", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/notifications", headers=portal.api("zs")).json()[0]["read"]
    assert client.get("/api/notifications?unread=true", headers=portal.api("zs")).json() == []
    assert 'id="no-notifications"' in client.get("/inbox?unread=1&lang=en").text

    # bad input: answered, never a crash
    for path in ("/api/notifications/0/read", "/api/notifications/x/read", "/api/notifications/99999999999/read"):
        assert client.post(path, headers=portal.api("zs")).status_code == 422, path
    assert client.get("/api/notifications?lang=fr", headers=portal.api("zs")).status_code == 422
    assert client.get("/api/notifications?unread=maybe", headers=portal.api("zs")).status_code == 422
    assert client.post("/inbox/x/read", data={"csrf": csrf}).status_code == 422
    assert client.post("/api/notifications/424242/read", headers=portal.api("zs")).status_code == 404


def test_mark_all_read_is_the_callers_only(portal: Any) -> None:
    upload(portal, zs_bytes())
    sign(portal, 1)
    client = portal.client
    assert len(client.get("/api/notifications", headers=portal.api("sup")).json()) == 1
    assert client.post("/api/notifications/read", headers=portal.api("sup")).json() == {"marked": 1}
    zs = client.get("/api/notifications", headers=portal.api("zs")).json()
    assert len(zs) == 2 and not any(x["read"] for x in zs)
    csrf = sign_in(client, "zs")
    assert client.post("/inbox/read-all", data={}).status_code == 403
    assert client.post("/inbox/read-all", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert all(x["read"] for x in client.get("/api/notifications", headers=portal.api("zs")).json())


def test_contacts_and_notify_options_are_checked(portal: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    url = portal.url

    def run(*args: str, stdin: str = "") -> Any:
        return runner.invoke(cli, ["--db", url, *args], input=stdin)

    injected = run(
        "users", "add", "x", "--role", "supervisor", "--email", "a@b.org\r\nBcc: c@d.org", stdin="password1\n"
    )
    assert injected.exit_code == 2 and "e-mail" in injected.output and "Traceback" not in injected.output
    added = run(
        "users",
        "add",
        "sup2",
        "--role",
        "supervisor",
        "--email",
        "sup2@example.org",
        "--lang",
        "en",
        stdin="password1\n",
    )
    assert added.exit_code == 0, added.output
    u = t.portal_users.c
    with _engine(portal).connect() as conn:
        assert conn.execute(select(u.email, u.lang).where(u.name == "sup2")).one() == ("sup2@example.org", "en")
    assert run("users", "set-contact", "nobody", "--email", "n@example.org").exit_code == 2
    assert run("users", "set-contact", "zs", "--email", "not an address").exit_code == 2
    assert run("users", "set-contact", "zs", "--email", "zs@example.org").exit_code == 0

    no_server = run("notify", "send")
    assert no_server.exit_code == 2 and "no SMTP server" in no_server.output
    assert run("notify", "send", "--smtp", "host:notaport").exit_code == 2
    assert run("notify", "send", "--smtp", "127.0.0.1:1", "--from", "a b@c").exit_code == 2
    config = tmp_path / "portal.toml"
    for body, says in (
        ('[notify]\npassword = "secret"\n', "password_env"),
        ("[notify]\nport = 70000\n", "notify.port"),
        ('[notify]\nfrom = "x"\n', "notify.from"),
        ("[notify]\ndue_days = [-1]\n", "notify.due_days"),
        ("[notify]\nsurprise = 1\n", "notify.surprise"),
        ('notify = "smtp"\n', "table"),
    ):
        config.write_text(body, "utf-8")
        bad = run("notify", "send", "--config", str(config))
        assert bad.exit_code == 3 and says in bad.output and "Traceback" not in bad.output, (body, bad.output)


def test_the_notify_table_of_the_portal_toml(tmp_path: Path, monkeypatch: Any) -> None:
    from inclusive_check.portal.config import load_config
    from inclusive_check.portal.notify_config import parse_host_port

    path = tmp_path / "portal.toml"
    path.write_text(
        '[notify]\nhost = "smtp.example.org"\nport = 587\nfrom = "portal@example.org"\nstarttls = true\n'
        'username = "portal"\npassword_env = "IC_TEST_SMTP_PASSWORD"\ninterval_seconds = 60\ndue_days = [1, 7, 1]\n'
        'portal_url = "https://portal.example.org/"\n',
        "utf-8",
    )
    monkeypatch.setenv("IC_TEST_SMTP_PASSWORD", "s3cret")
    config = load_config(path).notify
    assert (config.host, config.port, config.sender, config.starttls, config.interval_seconds) == (
        "smtp.example.org",
        587,
        "portal@example.org",
        True,
        60,
    )
    assert config.due_days == (1, 7) and config.password() == "s3cret"
    assert config.portal_url == "https://portal.example.org"
    assert load_config(None).notify.interval_seconds == 0 and load_config(None).notify.host is None  # off
    assert parse_host_port("[::1]:2525") == ("::1", 2525) and parse_host_port("mail") == ("mail", 25)
