"""SQLAlchemy Core tables of the triage (VEX) statement store, an append-only audit log.

A statement is never updated or deleted: `vex_statement` keeps every statement as recorded, and a
revocation is a new `vex_revocation` row. Migration `0002_vex` creates exactly these tables. They
live in the advisory database so `hullscan scan` finds them, and are copied forward by every
atomic advisory import (SQLite: the whole file is copied; PostgreSQL: `VEX_TABLES` are copied).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table, Text

from hullscan.match.db.schema import JsonType

vex_metadata = MetaData()

vex_statement = Table(
    "vex_statement",
    vex_metadata,
    Column("statement_id", String(80), primary_key=True),
    Column("vulnerability", String(200), nullable=False),
    Column("product", String(1000), nullable=False),
    Column("subcomponent", String(1000)),
    Column("status", String(40), nullable=False),
    Column("justification", String(80)),
    Column("impact_statement", Text),
    Column("action_statement", Text),
    Column("version_range", String(500)),
    Column("author", String(500), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("confidence", String(20), nullable=False),
    Column("source", String(1000), nullable=False),
    Column("evidence", JsonType, nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Index("ix_vex_statement_vulnerability", "vulnerability"),
)
"""One row per statement ever made; `timestamp` is when it was true, `recorded_at` when stored."""

vex_revocation = Table(
    "vex_revocation",
    vex_metadata,
    Column("revocation_id", String(80), primary_key=True),
    Column("statement_id", String(80), nullable=False),
    Column("author", String(500), nullable=False),
    Column("reason", Text),
    Column("recorded_at", String(40), nullable=False),
    Index("ix_vex_revocation_statement", "statement_id"),
)
"""One row per revocation: the statement stops applying from `recorded_at` on."""

# Keys are generated ids (no autoincrement), so rows copy between databases without sequence fixes.
VEX_TABLES: tuple[Table, ...] = (vex_statement, vex_revocation)
"""The statement tables, in an order that is safe for copying."""
