"""SQLAlchemy Core tables of the advisory database (the Alembic migrations create exactly these)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

JsonType = JSON().with_variant(JSONB(), "postgresql")

meta = Table(
    "meta",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Key/value facts: `last_import`, `http:<Ecosystem>` download validators (JSON)."""

import_source = Table(
    "import_source",
    metadata,
    Column("source", String(1000), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("advisories", Integer, nullable=False),
    Column("affected", Integer, nullable=False),
    Column("triage", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
)

advisory = Table(
    "advisory",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("source", String(1000), nullable=False),
    Column("schema_version", String(20)),
    Column("modified", String(40)),
    Column("published", String(40)),
    Column("withdrawn", String(40)),
    Column("summary", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("severity", JsonType, nullable=False),
    Column("max_score", Float),
    Column("database_specific", JsonType, nullable=False),
    Column("raw", Text),
)

alias = Table(
    "alias",
    metadata,
    Column("advisory_id", String(200), primary_key=True),
    Column("alias", String(200), primary_key=True),
    Index("ix_alias_alias", "alias"),
)

affected = Table(
    "affected",
    metadata,
    Column("advisory_id", String(200), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("ecosystem", String(200), nullable=False),
    Column("family", String(60), nullable=False),
    Column("release", String(140), nullable=False),
    Column("name", String(500), nullable=False),
    Column("normalized_name", String(500), nullable=False),
    Column("purl", String(1000)),
    Column("ranges", JsonType, nullable=False),
    Column("versions", JsonType, nullable=False),
    Column("ecosystem_specific", JsonType, nullable=False),
    Column("database_specific", JsonType, nullable=False),
    Index("ix_affected_family_name", "family", "normalized_name"),
)

reference = Table(
    "reference",
    metadata,
    Column("advisory_id", String(200), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("type", String(40), nullable=False),
    Column("url", Text, nullable=False),
)

distro_triage = Table(
    "distro_triage",
    metadata,
    Column("cve", String(200), primary_key=True),
    Column("release", String(40), primary_key=True),
    Column("package", String(200), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("fixed_version", String(200)),
    Column("urgency", String(60)),
    Column("reason", Text),
    Column("note", Text),
    Column("bug", String(40)),
    Index("ix_distro_triage_release_package", "release", "package"),
)

ADVISORY_CHILD_TABLES: tuple[Table, ...] = (alias, affected, reference)
"""Tables whose rows belong to one advisory (replaced when the advisory is imported again)."""

ALL_TABLES: tuple[Table, ...] = (meta, import_source, advisory, alias, affected, reference, distro_triage)
"""Every table, in an order that is safe for copying."""
