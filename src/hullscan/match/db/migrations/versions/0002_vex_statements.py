"""Triage statements: vex_statement and vex_revocation (append-only audit log).

Revision ID: 0002_vex
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_vex"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create the statement and revocation tables."""
    op.create_table(
        "vex_statement",
        sa.Column("statement_id", sa.String(80), primary_key=True),
        sa.Column("vulnerability", sa.String(200), nullable=False),
        sa.Column("product", sa.String(1000), nullable=False),
        sa.Column("subcomponent", sa.String(1000)),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("justification", sa.String(80)),
        sa.Column("impact_statement", sa.Text),
        sa.Column("action_statement", sa.Text),
        sa.Column("version_range", sa.String(500)),
        sa.Column("author", sa.String(500), nullable=False),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("confidence", sa.String(20), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_vex_statement_vulnerability", "vex_statement", ["vulnerability"])
    op.create_table(
        "vex_revocation",
        sa.Column("revocation_id", sa.String(80), primary_key=True),
        sa.Column("statement_id", sa.String(80), nullable=False),
        sa.Column("author", sa.String(500), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_vex_revocation_statement", "vex_revocation", ["statement_id"])


def downgrade() -> None:
    """Drop the statement tables (their history is lost)."""
    op.drop_table("vex_revocation")
    op.drop_table("vex_statement")
