"""Initial schema: meta, import_source, advisory, alias, affected, reference, distro_triage.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "meta",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "import_source",
        sa.Column("source", sa.String(1000), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("advisories", sa.Integer, nullable=False),
        sa.Column("affected", sa.Integer, nullable=False),
        sa.Column("triage", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
    )
    op.create_table(
        "advisory",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("schema_version", sa.String(20)),
        sa.Column("modified", sa.String(40)),
        sa.Column("published", sa.String(40)),
        sa.Column("withdrawn", sa.String(40)),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("severity", _JSON, nullable=False),
        sa.Column("max_score", sa.Float),
        sa.Column("database_specific", _JSON, nullable=False),
        sa.Column("raw", sa.Text),
    )
    op.create_table(
        "alias",
        sa.Column("advisory_id", sa.String(200), primary_key=True),
        sa.Column("alias", sa.String(200), primary_key=True),
    )
    op.create_index("ix_alias_alias", "alias", ["alias"])
    op.create_table(
        "affected",
        sa.Column("advisory_id", sa.String(200), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(200), nullable=False),
        sa.Column("family", sa.String(60), nullable=False),
        sa.Column("release", sa.String(140), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("normalized_name", sa.String(500), nullable=False),
        sa.Column("purl", sa.String(1000)),
        sa.Column("ranges", _JSON, nullable=False),
        sa.Column("versions", _JSON, nullable=False),
        sa.Column("ecosystem_specific", _JSON, nullable=False),
        sa.Column("database_specific", _JSON, nullable=False),
    )
    op.create_index("ix_affected_family_name", "affected", ["family", "normalized_name"])
    op.create_table(
        "reference",
        sa.Column("advisory_id", sa.String(200), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
    )
    op.create_table(
        "distro_triage",
        sa.Column("cve", sa.String(200), primary_key=True),
        sa.Column("release", sa.String(40), primary_key=True),
        sa.Column("package", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("fixed_version", sa.String(200)),
        sa.Column("urgency", sa.String(60)),
        sa.Column("reason", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("bug", sa.String(40)),
    )
    op.create_index("ix_distro_triage_release_package", "distro_triage", ["release", "package"])


def downgrade() -> None:
    """Drop every table."""
    for table in ("distro_triage", "reference", "affected", "alias", "advisory", "import_source", "meta"):
        op.drop_table(table)
