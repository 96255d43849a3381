"""Alembic environment. Run through `inclusive-check db ...`, which hands us a live connection."""

from __future__ import annotations

from alembic import context

from inclusive_check.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - plain `alembic` CLI use
    from inclusive_check.store.db import make_engine

    with make_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
