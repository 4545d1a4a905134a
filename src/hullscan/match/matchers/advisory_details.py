"""Thin adapter over the advisory database: severity facts and summaries for many ids at once.

`AdvisoryDB.advisories_for` returns affected entries without the advisory's severity; `get()`
would cost four queries per advisory. This reads the `advisory` table in chunks through the
database's public `connection` and `schema`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, select, type_coerce

from hullscan.match.db import AdvisoryDB
from hullscan.match.db import schema as db_schema

_CHUNK = 900  # below SQLite's oldest host-parameter limit (999)


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
            type_coerce(table.c.severity, Text),  # decoded below, once per distinct text
            specific["severity"].as_string(),
            specific["urgency"].as_string(),
        ).where(table.c.id.in_(wanted[start : start + _CHUNK]))
        for row in database.connection.execute(query).all():
            advisory_id, summary, max_score, severity, severity_text, urgency_text = row
            extracted = {"severity": severity_text, "urgency": urgency_text}
            found[advisory_id] = AdvisoryFacts(
                id=advisory_id,
                summary=summary or "",
                max_score=max_score,
                severities=_severities_of(severity),
                database_specific={key: value for key, value in extracted.items() if isinstance(value, str)},
            )
    return found


def _severities_of(value: Any) -> tuple[SeverityEntry, ...]:
    """The `severity` column: JSON text (SQLite), or already decoded (PostgreSQL JSONB)."""
    if isinstance(value, str):
        return _severities_from_text(value)
    return _severities_from(value)


@lru_cache(maxsize=1 << 14)
def _severities_from_text(value: str) -> tuple[SeverityEntry, ...]:
    return _severities_from(json.loads(value))


def _severities_from(value: Any) -> tuple[SeverityEntry, ...]:
    return tuple(_severity(item) for item in value or () if isinstance(item, Mapping))


def _severity(item: Mapping[str, Any]) -> SeverityEntry:
    score = item.get("score")
    rating = item.get("rating")
    return SeverityEntry(
        type=str(item.get("type", "")),
        vector=str(item.get("vector", "")),
        score=float(score) if isinstance(score, int | float) else None,
        rating=str(rating) if rating else None,
    )
