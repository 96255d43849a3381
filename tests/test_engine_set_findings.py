"""Per-product rules return one SELECT that the database writes (INSERT ... SELECT, no Python per product).

The texts and margins read back must be exactly what Python's decimal formatting gives (``figures.shown``, one
precision per finding, and ``Decimal`` subtraction), on SQLite (decimal text) and on PostgreSQL (NUMERIC), for awkward
rates too: 15 to 40 decimal places, whole numbers, trailing zeros.
"""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal, localcontext
from typing import Any

from inclusive_check.contract.load import parse_bytes
from inclusive_check.engine import Selection, execute_run
from inclusive_check.figures import number, places, shown
from inclusive_check.results import run_results
from inclusive_check.ruleset import load_ruleset
from inclusive_check.store.ingest import ingest_one
from rulecases import base, to_json

PAIRS = [  # (own premium rate, comparable premium rate)
    ("0.05", "0.05"),
    ("0.0499", "0.05"),
    ("0.123456789012345", "0.123456789012346"),
    ("0", "1"),
    ("0.000000000000001", "0.000000000000002"),
    ("0.1", "0.30"),
    ("0.999999999999999", "1"),
    ("0.0012", "0.0018"),
    ("0.07", "0.069999999999999"),
    ("0.00001", "0.000010000000001"),
    ("0.000009999999999", "0.00001"),
    ("0.99999999999999", "0.000099999999999"),
    ("0.012345678901234", "0.987654321098765"),
    ("0.049999999999999999", "0.05"),  # one unit in the 18th place: a double would make them equal
    ("0.05", "0.050000000000000001"),
    ("0.050000000000000001", "0.05"),
    ("0.1234567890123456789012345678901234567891", "0.1234567890123456789012345678901234567892"),
]


def test_sql_written_findings_equal_decimal_formatting(store: Any) -> None:
    doc = base("submission")
    template = doc["products"][0]
    doc["products"] = [
        {
            **template,
            "code": f"P-{i}",
            "premium_rate": Decimal(own),
            "comparable": {**template["comparable"], "premium_rate": Decimal(theirs)},
        }
        for i, (own, theirs) in enumerate(PAIRS)
    ]
    doc["products"].append({**template, "code": "P-NONE", "target_groups": [], "comparable": None})
    sid = ingest_one(store, parse_bytes(to_json(doc), "doc.json")).submission_id
    run_id = execute_run(store, load_ruleset(), Selection(submission_ids=(sid,) if sid else ()), date(2026, 1, 1))
    with store.connect() as conn:
        findings = run_results(conn, run_id).model_dump(mode="json")["submissions"][0]["findings"]
    rates = [
        (f["subject"], f["status"], f["expected"], f["actual"], f["margin"])
        for f in findings
        if f["rule_id"] == "IC08-PREMIUM-RATE"
    ]
    expected = [
        (
            f"/products/{i}/premium_rate",
            "pass" if Decimal(own) < Decimal(theirs) else "fail",
            f"premium_rate < {shown(Decimal(theirs), 'rate', 'en', places('rate', own, theirs))} (P-STD-1)",
            shown(Decimal(own), "rate", "en", places("rate", own, theirs)),  # one finding's figures: one precision
            number(Decimal(theirs) - Decimal(own)),
        )
        for i, (own, theirs) in enumerate(PAIRS)
    ]
    expected.append(
        (
            f"/products/{len(PAIRS)}/premium_rate",
            "indeterminate",
            "premium_rate below a named comparable",
            "0.1%; comparable premium_rate not reported (no comparable product named)",
            None,
        )
    )
    assert rates == expected
    groups = [(f["subject"], f["status"], f["actual"]) for f in findings if f["rule_id"] == "IC08-TARGET-GROUPS"]
    assert groups[0] == (
        "/products/0/target_groups",
        "pass",
        "groups: elderly, micro_small_enterprises, rural_residents, small_farmers",
    )
    assert groups[-1] == (f"/products/{len(PAIRS)}/target_groups", "fail", "none")


def test_a_500_character_comparable_code_keeps_texts_within_their_columns(store: Any) -> None:
    # PostgreSQL refuses a text longer than its VARCHAR(500); the rule cuts the code, never the database.
    doc = base("submission")
    template = doc["products"][0]
    code = "C" * 500
    doc["products"] = [
        {
            **template,
            "code": "P-LONG",
            "intermediary_fee_rate": Decimal("0.999999999999999"),
            "comparable": {
                **template["comparable"],
                "product_code": code,
                "premium_rate": Decimal("0.000000000000001"),
                "intermediary_fee_rate": None,
            },
        }
    ]
    sid = ingest_one(store, parse_bytes(to_json(doc), "doc.json")).submission_id
    run_id = execute_run(store, load_ruleset(), Selection(submission_ids=(sid,) if sid else ()), date(2026, 1, 1))
    with store.connect() as conn:
        findings = run_results(conn, run_id).model_dump(mode="json")["submissions"][0]["findings"]
    texts = {
        f["rule_id"]: (f["expected"], f["actual"])
        for f in findings
        if f["rule_id"] in ("IC08-PREMIUM-RATE", "IC12-FEE-RATE")
    }
    assert texts["IC08-PREMIUM-RATE"][0] == f"premium_rate < 0.0000000000001% ({code[:400]})"
    assert texts["IC12-FEE-RATE"][1] == (
        f"99.9999999999999%; comparable intermediary_fee_rate not reported ({code[:400]})"
    )
    assert all(len(text) <= 500 for pair in texts.values() for text in pair)


def test_sqlite_comparisons_margins_and_sums_are_exact_for_random_rates() -> None:
    # SQLite keeps figures as decimal text: comparing, subtracting and summing them in SQL goes through the
    # functions store.db registers, which must agree with Decimal. Every number of decimal places from 1 to 40.
    import random

    from sqlalchemy import Column, Integer, MetaData, Table, insert, select

    from inclusive_check.store.columns import exact_sum
    from inclusive_check.store.db import make_engine
    from inclusive_check.store.tables import Rate

    rng = random.Random(7)

    def rate() -> Decimal:
        places = rng.randint(1, 40)
        return Decimal(rng.randint(0, 10**places)).scaleb(-places)

    pairs = [(rate(), rate()) for _ in range(3000)]
    pairs += [(Decimal("0.049999999999999999"), Decimal("0.05")), (Decimal("0.05"), Decimal("0.05"))]
    table = Table("r", MetaData(), Column("i", Integer, primary_key=True), Column("own", Rate), Column("theirs", Rate))
    engine = make_engine("sqlite://")
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(insert(table), [{"i": i, "own": o, "theirs": t} for i, (o, t) in enumerate(pairs)])
        c = table.c
        rows = conn.execute(
            select(c.theirs - c.own, c.own < c.theirs, c.own >= c.theirs, c.own == c.theirs).order_by(c.i)
        ).all()
        total = conn.execute(select(exact_sum(c.own))).scalar_one()
    with localcontext(Context(prec=100)):
        assert [
            (o, t) for (o, t), r in zip(pairs, rows, strict=True) if tuple(r) != (t - o, o < t, o >= t, o == t)
        ] == []
        assert total == sum(o for o, _ in pairs)
    assert [o for o, _ in pairs if shown(o, "rate", "en") != number(o.scaleb(2)) + "%"] == []
