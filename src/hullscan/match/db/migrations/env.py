"""Alembic environment: always runs on a connection handed over by `hullscan.match.db.migrate`."""

from __future__ import annotations

from alembic import context

from hullscan.match.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    message = "hullscan migrations run only through hullscan.match.db.migrate.upgrade()"
    raise RuntimeError(message)

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
