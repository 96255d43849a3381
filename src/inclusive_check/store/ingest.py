"""The only code that writes documents into the store. One transaction per file, idempotent by SHA-256.

A new document for the same insurer and period (or, for a filing, the same product code) becomes
the next revision and supersedes the previous one, which is kept. Concurrent ingests are safe: writers of
the same document (insurer, kind, key) take turns (PostgreSQL: a transaction-scoped advisory lock; SQLite:
BEGIN IMMEDIATE, one writer at a time), so revision numbers never collide; the unique constraints still
decide the remaining races (the same bytes, a new insurer), whose loser retries and finds the winner's row.

Speed (a market is a million product rows): the statements are built once; product rows are plain
tuples of the driver's own types, written with one ``executemany`` per file (SQLite: the values
SQLAlchemy's bind processors would produce, REAL for numbers and ISO text for dates); and a large
batch of files is read and validated by a pool of worker processes while this process, the single
writer, stores them in order, one transaction per file as before.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..contract.load import Loaded, load_file
from ..contract.locate import offsets
from ..contract.models import Product, ProductFiling, Submission
from ..contract.regions import province_of
from ..gcpause import paused_gc
from ..periods import period_bounds, quarters_of
from . import tables as t
from .columns import EXACT, decimal_text
from .columns import figure_text as _text
from .db import advisory_lock, writing

Outcome = Literal["stored", "revised", "unchanged", "quarantined"]


@dataclass(frozen=True)
class FileResult:
    source: str
    outcome: Outcome
    submission_id: int | None = None
    revision: int | None = None
    problems: tuple[str, ...] = ()


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def quarantined(self) -> list[FileResult]:
        return [f for f in self.files if f.outcome == "quarantined"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def whole_months(start: date, end: date | None) -> int | None:
    """Whole months an agreement runs, its end day included: 2025-01-01..2025-12-31 is 12."""
    if end is None:
        return None
    if end.month == 12 and end.day == 31:  # the day after, as numbers: 9999-12-31 has no date after it
        after = (end.year + 1, 1, 1)
    else:
        following = end + timedelta(days=1)
        after = (following.year, following.month, following.day)
    months = (after[0] - start.year) * 12 + after[1] - start.month
    return months - (after[2] < start.day)


def fit_source(source: str) -> str:
    """A file's path as the source column can hold it: a longer one keeps its start and end around an ellipsis."""
    limit = SOURCE_CHARS
    if len(source) <= limit:
        return source
    head = limit // 4
    return source[:head] + "…" + source[len(source) - (limit - head - 1) :]


SOURCE_CHARS = min(
    getattr(t.submissions.c.source.type, "length", None) or 1000,
    getattr(t.quarantine.c.source.type, "length", None) or 1000,
)


def _csv(items: Iterable[str]) -> str:
    return "," + ",".join(items) + "," if items else ""


PRODUCT_COLUMNS = (
    "submission_id",
    "pointer",
    "position",
    "code",
    "name",
    "line",
    "dedicated_inclusive",
    "target_groups",
    "target_group_count",
    "risk_areas",
    "term",
    "sale_start",
    "sale_end",
    "government_program",
    "channels",
    "premium_rate",
    "intermediary_fee_rate",
    "comparable_code",
    "comparable_premium_rate",
    "comparable_fee_rate",
    "policies_in_force",
    "insured_persons",
    "premium_cny",
    "claims_paid_cny",
    "claims_settled",
    "avg_settlement_days",
    "source_offset",
)


def _product_values(position: int | None, p: Product, native: bool) -> tuple[Any, ...]:
    """A product's row after ``submission_id``, in PRODUCT_COLUMNS order: ``position`` in the filed list, or
    None for a filing's one product (pointer '/product', position 0).

    ``native`` (SQLite): figures as decimal text and dates as ISO text, exactly what SQLAlchemy's bind processors
    hand the driver for these columns; otherwise Decimal and date, for the driver to adapt.
    """
    c = p.comparable
    pointer = "/product" if position is None else f"/products/{position}"
    position = position or 0
    if not native:
        return (
            pointer,
            position,
            p.code,
            p.name,
            p.line,
            p.dedicated_inclusive,
            _csv(sorted(p.target_groups)),
            len(p.target_groups),
            _csv(sorted(p.risk_areas or ())),
            p.term,
            p.sale_start,
            p.sale_end,
            p.government_program,
            _csv(p.channels),
            p.premium_rate,
            p.intermediary_fee_rate,
            c.product_code if c else None,
            c.premium_rate if c else None,
            c.intermediary_fee_rate if c else None,
            p.policies_in_force,
            p.insured_persons,
            p.premium_cny,
            p.claims_paid_cny,
            p.claims_settled,
            p.avg_settlement_days,
        )
    return (  # the hot path of a market ingest: written out, no per-value dispatch
        pointer,
        position,
        p.code,
        p.name,
        p.line,
        p.dedicated_inclusive,
        _csv(sorted(p.target_groups)),
        len(p.target_groups),
        _csv(sorted(p.risk_areas)) if p.risk_areas else "",
        p.term,
        p.sale_start.isoformat(),
        None if p.sale_end is None else p.sale_end.isoformat(),
        p.government_program,
        _csv(p.channels),
        decimal_text(p.premium_rate),
        _text(p.intermediary_fee_rate),
        c.product_code if c else None,
        _text(c.premium_rate) if c else None,
        _text(c.intermediary_fee_rate) if c else None,
        p.policies_in_force,
        p.insured_persons,
        _text(p.premium_cny),
        _text(p.claims_paid_cny),
        p.claims_settled,
        _text(p.avg_settlement_days),
    )


def _submission_facts(doc: Submission) -> dict[str, Any]:
    i, g, s, c = doc.insurer, doc.governance, doc.service, doc.consumer_protection
    start, end = period_bounds(doc.reporting_period)
    return {
        "kind": "submission",
        "document_key": doc.reporting_period,
        "period": doc.reporting_period,
        "period_start": start,
        "period_end": end,
        "insurer_name": i.name,
        "insurer_category": i.category,
        "state_owned": i.state_owned,
        "size_class": i.size_class,
        "total_assets_cny": i.total_assets_cny,
        "headquarters_region": i.headquarters_region,
        "leadership_system": g.leadership_system,
        "lead_department": g.lead_department,
        "assessment_includes_inclusive": g.assessment_includes_inclusive,
        "inclusive_kpi_weight": g.inclusive_kpi_weight,
        "internal_control_policy": g.internal_control_policy,
        "commitments_premises": s.commitments_published.premises,
        "commitments_agency_sites": s.commitments_published.agency_sites,
        "commitments_online": s.commitments_published.online,
        "online_underwriting": s.online_underwriting,
        "online_claims": s.online_claims,
        "inquiry_channel": s.inquiry_channel,
        "elderly_friendly": s.elderly_friendly,
        "accessibility": s.accessibility,
        "complaint_mechanism": c.complaint_mechanism,
        "diversified_dispute_resolution": c.diversified_dispute_resolution,
        "first_inquiry_responsibility": c.first_inquiry_responsibility,
        "complaints": c.complaints,
        "mass_incidents": c.mass_incidents,
        **_portfolio(doc.products),
    }


def _portfolio(products: list[Product]) -> dict[str, Any]:
    """The inclusive portfolio's sums behind item 18's indicators (see ``tables.Submission``)."""
    lines: set[str] = set()
    groups: set[str] = set()
    insured = settled = 0
    premium = inclusive_premium = claims_paid = days_x_claims = Decimal(0)
    with localcontext(EXACT):  # sums of filed figures: never rounded
        for p in products:
            premium += p.premium_cny or 0
            if not (p.dedicated_inclusive or p.target_groups):
                continue
            lines.add(p.line)
            groups.update(p.target_groups)
            insured += p.insured_persons or 0
            inclusive_premium += p.premium_cny or 0
            claims_paid += p.claims_paid_cny or 0
            if p.avg_settlement_days is not None and p.claims_settled is not None:
                settled += p.claims_settled
                days_x_claims += p.avg_settlement_days * p.claims_settled
    return {
        "inclusive_lines": _csv(sorted(lines)),
        "inclusive_groups": _csv(sorted(groups)),
        "inclusive_insured_persons": insured,
        "inclusive_premium_cny": inclusive_premium,
        "inclusive_claims_paid_cny": claims_paid,
        "inclusive_claims_settled": settled,
        "inclusive_settlement_days_x_claims": days_x_claims,
        "premium_cny": premium,
    }


def _filing_facts(doc: ProductFiling) -> dict[str, Any]:
    return {
        "kind": "product_filing",
        "document_key": doc.product.code,
        "period": None,
        "period_start": doc.filing_date,
        "period_end": doc.filing_date,
    }


# Statements built once (SQLAlchemy caches their compiled form); values are bound per call.
_S, _I = t.submissions.c, t.insurers.c
_BY_SHA = select(_S.id, _S.revision).where(_S.sha256 == bindparam("sha"))
_INSURER = select(_I.id, _I.name).where(_I.code == bindparam("code"))
_RENAME = update(t.insurers).where(_I.id == bindparam("insurer")).values(name=bindparam("new_name"))
_NEW_INSURER = insert(t.insurers).returning(_I.id)
_SAME_DOCUMENT = (
    _S.insurer_id == bindparam("insurer"),
    _S.kind == bindparam("doc_kind"),
    _S.document_key == bindparam("key"),
)
_LAST_REVISION = select(func.max(_S.revision)).where(*_SAME_DOCUMENT)
_SUPERSEDE = update(t.submissions).where(*_SAME_DOCUMENT).values(is_latest=False)
_NEW_SUBMISSION = insert(t.submissions).returning(_S.id)
_NEW_DOCUMENT = insert(t.documents)
_PRODUCTS = insert(t.products)
_PRODUCTS_COPY = f"COPY {t.products.name} ({', '.join(PRODUCT_COLUMNS)}) FROM STDIN"
_PRODUCTS_SQL = (
    f"INSERT INTO {t.products.name} ({', '.join(PRODUCT_COLUMNS)}) VALUES ({', '.join('?' * len(PRODUCT_COLUMNS))})"
)


@dataclass
class Facts:
    """Everything a valid document stores, ready to write: what a worker process hands the writer."""

    kind: str
    insurer_code: str
    insurer_name: str | None
    submission: dict[str, Any]  # the submissions row's facts
    products: list[tuple[Any, ...]]  # _product_values rows (native when made for SQLite)
    native: bool
    solvency: list[dict[str, Any]] = field(default_factory=list)
    quarters: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    intermediaries: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)


def source_offsets(raw: bytes | None, pointers: list[str]) -> list[int | None]:
    """Where each product (``pointers``) stands in the document's text as ``_store`` stores it: its offset in
    characters, found by one walk that skips each product whole (about the cost of parsing the text). None for a
    YAML document, or without the text."""
    text = raw.decode("utf-8") if raw is not None else ""
    if not text.lstrip().startswith("{"):
        return [None] * len(pointers)
    found = offsets(text, pointers)
    return [found.get(pointer) for pointer in pointers]


def document_facts(doc: Submission | ProductFiling, native: bool = False, raw: bytes | None = None) -> Facts:
    """A valid document's facts; ``raw`` its bytes, for where its products stand (``products.source_offset``)."""
    if isinstance(doc, ProductFiling):
        (offset,) = source_offsets(raw, ["/product"])
        return Facts(
            "product_filing",
            doc.insurer_code,
            None,
            _filing_facts(doc),
            [(*_product_values(None, doc.product, native), offset)],
            native,
        )
    starts = source_offsets(raw, [f"/products/{i}" for i in range(len(doc.products))])
    reviews = [("board", d) for d in doc.governance.board_reviews] + [
        ("management", d) for d in doc.governance.management_reviews
    ]
    return Facts(
        "submission",
        doc.insurer.code,
        doc.insurer.name,
        _submission_facts(doc),
        [(*_product_values(i, p, native), starts[i]) for i, p in enumerate(doc.products)],
        native,
        solvency=[
            {
                "position": i,
                "quarter": q.quarter,
                "core_ratio_pct": q.core_ratio_pct,
                "comprehensive_ratio_pct": q.comprehensive_ratio_pct,
                "irr_class": q.irr_class,
            }
            for i, q in enumerate(doc.solvency)
        ],
        quarters=[
            {"quarter": name, "quarter_start": start, "quarter_end": end}
            for name, start, end in quarters_of(doc.reporting_period)
        ],
        reviews=[{"body": body, "review_date": d} for body, d in reviews],
        intermediaries=[
            {
                "position": i,
                "name": m.name,
                "type": m.type,
                "agreement_start": m.agreement_start,
                "agreement_end": m.agreement_end,
                "agreement_months": whole_months(m.agreement_start, m.agreement_end),
                "covers_inclusive": m.covers_inclusive,
                "insurer_handles_disputes": m.insurer_handles_disputes,
            }
            for i, m in enumerate(doc.intermediaries)
        ],
        regions=[
            {
                "position": i,
                "region": r.region,
                "province": province_of(r.region),
                "policies": r.policies,
                "insured_persons": r.insured_persons,
                "premium_cny": r.premium_cny,
                "claims_paid_cny": r.claims_paid_cny,
            }
            for i, r in enumerate(doc.regions or [])
        ],
    )


def _native_for(conn: Connection) -> bool:
    """Whether rows go straight to the driver (SQLite) rather than through SQLAlchemy's insert."""
    return conn.dialect.name == "sqlite"


def _insurer_id(conn: Connection, code: str, name: str | None) -> int:
    found = conn.execute(_INSURER, {"code": code}).first()
    if found is not None:
        if name and found.name != name:
            conn.execute(_RENAME, {"insurer": found.id, "new_name": name})
        return int(found.id)
    return int(conn.execute(_NEW_INSURER, {"code": code, "name": name}).scalar_one())


def store_document(conn: Connection, loaded: Loaded) -> FileResult:
    """Store one valid document in the caller's transaction."""
    doc = loaded.document
    assert doc is not None
    raw = loaded.raw
    return _store(conn, loaded.source, loaded.sha256, raw, lambda: document_facts(doc, _native_for(conn), raw))


def _store(conn: Connection, source: str, sha256: str, raw: bytes, facts_of: Callable[[], Facts]) -> FileResult:
    existing = conn.execute(_BY_SHA, {"sha": sha256}).first()
    if existing is not None:
        return FileResult(source, "unchanged", existing.id, existing.revision)
    facts = facts_of()
    advisory_lock(conn, "document", facts.insurer_code, facts.kind, str(facts.submission["document_key"]))
    insurer_id = _insurer_id(conn, facts.insurer_code, facts.insurer_name)
    same = {"insurer": insurer_id, "doc_kind": facts.kind, "key": facts.submission["document_key"]}
    last = conn.execute(_LAST_REVISION, same).scalar()
    revision = (last or 0) + 1
    if last:
        conn.execute(_SUPERSEDE, same)
    submission_id = int(
        conn.execute(
            _NEW_SUBMISSION,
            {
                "insurer_id": insurer_id,
                "revision": revision,
                "is_latest": True,
                "sha256": sha256,
                "source": fit_source(source),
                "ingested_at": _now(),
                **facts.submission,
            },
        ).scalar_one()
    )
    conn.execute(_NEW_DOCUMENT, {"submission_id": submission_id, "raw": raw.decode("utf-8")})
    _store_facts(conn, submission_id, facts)
    return FileResult(source, "revised" if last else "stored", submission_id, revision)


def _store_facts(conn: Connection, sid: int, facts: Facts) -> None:
    if facts.products and facts.native:  # SQLite: one executemany straight to the driver
        assert _native_for(conn), "native product rows are for SQLite only"
        conn.exec_driver_sql(_PRODUCTS_SQL, [(sid, *values) for values in facts.products])
    elif facts.products and conn.dialect.driver == "psycopg":  # PostgreSQL: COPY, a tenth of the time
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(_PRODUCTS_COPY) as copy:  # type: ignore[union-attr]
            for values in facts.products:
                copy.write_row((sid, *values))
    elif facts.products:
        conn.execute(_PRODUCTS, [dict(zip(PRODUCT_COLUMNS, (sid, *values), strict=True)) for values in facts.products])
    for table, rows in (
        (t.solvency_quarters, facts.solvency),
        (t.period_quarters, facts.quarters),
        (t.governance_reviews, facts.reviews),
        (t.intermediaries, facts.intermediaries),
        (t.submission_regions, facts.regions),
    ):
        if rows:
            conn.execute(insert(table), [{"submission_id": sid, **row} for row in rows])


def quarantine(conn: Connection, loaded: Loaded) -> FileResult:
    """Record an invalid file, once per content: the same bytes again add no row (they are still reported)."""
    problems = [p.as_dict() for p in loaded.problems]
    sha256 = loaded.sha256 if loaded.raw else None
    q = t.quarantine.c
    if sha256 is not None:
        advisory_lock(conn, "quarantine", sha256)
    known = sha256 is not None and conn.execute(select(q.id).where(q.sha256 == sha256).limit(1)).first() is not None
    if not known:
        conn.execute(
            insert(t.quarantine).values(
                source=fit_source(loaded.source),
                sha256=sha256,
                problems=json.dumps(problems, ensure_ascii=False),
                quarantined_at=_now(),
            )
        )
    return FileResult(
        loaded.source,
        "quarantined",
        problems=tuple(f"{p.where()}: {p.pointer or '(document)'}: {p.message}" for p in loaded.problems),
    )


def ingest_one(engine: Engine, loaded: Loaded, attempts: int = 5, facts: Facts | None = None) -> FileResult:
    """Store or quarantine one loaded file in its own transaction; retry when a concurrent ingest wins a race.

    ``facts``: the document's facts already made by a worker (``loaded.document`` is then not needed).
    """
    writer = writing(engine)
    for attempt in range(attempts):
        try:
            with writer.begin() as conn:
                if facts is not None:
                    return _store(conn, loaded.source, loaded.sha256, loaded.raw, _given(facts))
                return store_document(conn, loaded) if loaded.ok else quarantine(conn, loaded)
        except (IntegrityError, DBAPIError) as exc:
            # The loser of a race (same bytes, a new insurer) finds the winner's row on the next attempt; a
            # PostgreSQL deadlock or serialization failure (SQLSTATE 40...) is retried too. Anything else is raised.
            if not _retryable(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return str(getattr(exc.orig, "sqlstate", "") or "").startswith("40")


def _given(facts: Facts) -> Callable[[], Facts]:
    return lambda: facts


# Read and validate in worker processes when the batch is large enough to repay starting them.
POOL_MIN_FILES = 4
POOL_MIN_BYTES = 16 * 2**20


def _worker_start(parent: int) -> None:
    """Worker: leave Ctrl-C to the parent (no traceback per worker) and die with it, however it dies (kill -9
    included), so that no worker outlives it holding its stdout open."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    starter = os.getppid()  # this process (fork) or the fork server (which exits with this process)

    def watch() -> None:
        while True:
            if os.getppid() != starter or not _alive(parent):
                os._exit(1)
            time.sleep(0.2)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@paused_gc()  # a worker's entry, where its work starts: its edge (see gcpause)
def _prepare(path: Path, max_bytes: int, native: bool) -> tuple[Loaded, Facts | None]:
    """Worker: load one file; for a valid document, its facts instead of the (slow to pickle) document."""
    loaded = load_file(path, max_bytes)
    if not loaded.ok:
        return loaded, None
    assert loaded.document is not None
    facts = document_facts(loaded.document, native, loaded.raw)
    loaded.document = None
    return loaded, facts


def _workers(paths: list[Path], workers: int | None) -> int:
    if workers is not None:
        return workers
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cpus < 2 or len(paths) < POOL_MIN_FILES:
        return 0
    size = 0
    for path in paths:
        with contextlib.suppress(OSError):  # an unreadable file is quarantined later, with its reason
            size += path.stat().st_size
        if size >= POOL_MIN_BYTES:
            return min(cpus, 8)
    return 0


def _prepared(
    paths: list[Path], max_bytes: int, native: bool, workers: int
) -> Generator[tuple[Loaded, Facts | None], None, None]:
    """(loaded, facts) per path, in order: made by ``workers`` processes, at most a few files ahead."""
    import multiprocessing
    import threading
    from concurrent.futures import Future, ProcessPoolExecutor

    # fork: workers start at once with everything imported. With other threads running (a progress bar),
    # forking is unsafe: a fork server started afresh makes the workers (it imports __main__ again, as every
    # non-fork start does, which the console script guards).
    methods = multiprocessing.get_all_start_methods()
    method = (
        "fork"
        if "fork" in methods and threading.active_count() == 1
        else ("forkserver" if "forkserver" in methods else "spawn")
    )
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])
    window: deque[Future[tuple[Loaded, Facts | None]]] = deque()
    pending = iter(paths)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)
    )
    try:
        for path in pending:  # keep 2 files per worker in flight: memory stays flat however big the batch
            window.append(pool.submit(_prepare, path, max_bytes, native))
            if len(window) >= 2 * workers:
                break
        while window:
            done = window.popleft().result()
            following = next(pending, None)
            if following is not None:
                window.append(pool.submit(_prepare, following, max_bytes, native))
            yield done
    finally:  # also when the writer failed or was interrupted: drop the files not yet started
        pool.shutdown(wait=True, cancel_futures=True)


def ingest_paths(
    engine: Engine,
    paths: list[Path],
    max_bytes: int,
    on_file: Callable[[FileResult], None] = lambda _: None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest files in order, one transaction each. ``workers``: reading processes (None: decide by size).

    ``on_file`` hears of each file as it is done, in order: the caller's progress display (the store shows none).
    """
    report = IngestReport()
    count = _workers(paths, workers)
    if count > 0:
        stream = _prepared(paths, max_bytes, engine.dialect.name == "sqlite", count)
        with contextlib.closing(stream):  # a failed write stops the workers now, not at garbage collection
            for loaded, facts in stream:
                result = ingest_one(engine, loaded, facts=facts)
                report.files.append(result)
                on_file(result)
        return report
    for path in paths:
        result = ingest_one(engine, load_file(path, max_bytes))
        report.files.append(result)
        on_file(result)
    return report
