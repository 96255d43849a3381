"""The only code that writes documents into the store. One transaction per file, idempotent by SHA-256.

A new document for the same insurer and period (or, for a filing, the same product code) becomes
the next revision and supersedes the previous one, which is kept. Concurrent ingests are safe: writers of
the same document (insurer, kind, key) take turns (PostgreSQL: a transaction-scoped advisory lock; SQLite:
BEGIN IMMEDIATE, one writer at a time), so revision numbers never collide; the unique constraints still
decide the remaining races (the same bytes, a new insurer), whose loser retries and finds the winner's row.

Speed (a market is a million product rows): the statements are built once; product rows are plain
tuples of the driver's own types, written with one ``executemany`` per file (SQLite: the values
SQLAlchemy's bind processors would produce, REAL for numbers and ISO text for dates); and a large
batch of files is read and validated by a pool of worker processes (``ingest_pool.py``) while this process,
the single writer, stores them in order, one transaction per file as before. What a document stores is made
from it alone, by ``facts.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..contract.load import Loaded, load_file
from . import tables as t
from .db import advisory_lock, writing
from .facts import PRODUCT_COLUMNS, Facts, document_facts
from .ingest_pool import _prepared

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
