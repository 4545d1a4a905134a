"""`hullscan upgrade -o json`: the upgrade report as one JSON document (stable key order)."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from hullscan.analyze.upgrade.model import UpgradeReport

SCHEMA_VERSION = "1"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_document(report: UpgradeReport) -> dict[str, Any]:
    """Return the report as JSON-able data."""
    document: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION, **_plain(report)}
    document["dependencies"] = [
        {**_plain(problem), "message": problem.describe()} for problem in report.dependencies
    ]
    return document


def encode(report: UpgradeReport) -> str:
    """Return the JSON text (trailing newline)."""
    return json.dumps(to_document(report), indent=2, ensure_ascii=False) + "\n"
