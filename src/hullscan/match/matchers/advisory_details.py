"""Thin adapter over the advisory database: severity facts and summaries for many ids at once.

`AdvisoryDB.advisories_for` returns affected entries without the advisory's severity; `get()`
would cost four queries per advisory. This reads the `advisory` table in chunks through the
database's public `connection` and `schema`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hullscan.match.db import AdvisoryDB
from hullscan.match.db import schema as db_schema

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SeverityEntry:
    """One OSV severity entry: type (CVSS_V3, Ubuntu, ...), vector, computed score and rating."""

    type: str
    vector: str
    score: float | None
    rating: str | None


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    """What findings need from an advisory beyond its affected entries."""

    id: str
    summary: str
    max_score: float | None
    severities: tuple[SeverityEntry, ...] = ()
    database_specific: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Only the `severity` (GHSA) and `urgency` (Debian) members, read with SQL JSON extraction."""


def advisory_facts(database: AdvisoryDB, ids: Iterable[str]) -> dict[str, AdvisoryFacts]:
    """Return facts for every id the database holds (unknown ids are left out)."""
    table = db_schema.advisory
    wanted = sorted(set(ids))
    found: dict[str, AdvisoryFacts] = {}
    specific = table.c.database_specific
    for start in range(0, len(wanted), _CHUNK):
        query = select(
            table.c.id,
            table.c.summary,
            table.c.max_score,
            table.c.severity,
            specific["severity"].as_string().label("severity_text"),
            specific["urgency"].as_string().label("urgency_text"),
        ).where(table.c.id.in_(wanted[start : start + _CHUNK]))
        for row in database.connection.execute(query):
            extracted = {"severity": row.severity_text, "urgency": row.urgency_text}
            found[row.id] = AdvisoryFacts(
                id=row.id,
                summary=row.summary or "",
                max_score=row.max_score,
                severities=tuple(_severity(item) for item in row.severity or () if isinstance(item, Mapping)),
                database_specific={key: value for key, value in extracted.items() if isinstance(value, str)},
            )
    return found


def _severity(item: Mapping[str, Any]) -> SeverityEntry:
    score = item.get("score")
    rating = item.get("rating")
    return SeverityEntry(
        type=str(item.get("type", "")),
        vector=str(item.get("vector", "")),
        score=float(score) if isinstance(score, int | float) else None,
        rating=str(rating) if rating else None,
    )
