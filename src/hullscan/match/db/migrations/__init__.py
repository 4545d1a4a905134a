"""Alembic migrations of the advisory database; run programmatically by `hullscan.match.db.migrate`."""
