"""Helpers shared by the VEX encoders: document ids, picking one statement per product, timestamps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from hullscan.analyze.vex.timestamps import parse_time, sort_key
from hullscan.model.vex import VexStatement


def content_id(statements: Sequence[VexStatement], timestamp: str) -> str:
    """A stable hex id of the statements and document time (the same input gives the same id)."""
    material = json.dumps(
        [[s.vulnerability, s.product, s.subcomponent, s.status.value, s.timestamp] for s in statements]
        + [timestamp],
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def latest_per_target(statements: Sequence[VexStatement]) -> list[VexStatement]:
    """One statement per (vulnerability, product, subcomponent, range): the latest, in first-seen order."""
    chosen: dict[tuple[str, str, str | None, str | None], VexStatement] = {}
    for statement in statements:
        key = (statement.vulnerability, statement.product, statement.subcomponent, statement.version_range)
        current = chosen.get(key)
        if current is None or sort_key(statement.timestamp) >= sort_key(current.timestamp):
            chosen[key] = statement
    return list(chosen.values())


def as_datetime(text: str) -> datetime | None:
    """A statement timestamp as an aware datetime."""
    return parse_time(text)


def notes_of(statement: VexStatement) -> str:
    """A one-paragraph account of who said it and on what evidence."""
    parts = [
        f"author: {statement.author}",
        f"source: {statement.source}",
        f"confidence: {statement.confidence.value}",
    ]
    if statement.statement_id:
        parts.append(f"statement: {statement.statement_id}")
    parts += [f"evidence {item.kind}: {item.detail}" for item in statement.evidence]
    return "; ".join(parts)
