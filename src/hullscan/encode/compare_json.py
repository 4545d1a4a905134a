"""`compare` / `dedup` as JSON: the report's dataclasses as plain objects, byte counts as integers."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hullscan.analyze.compare.model import Comparison
from hullscan.analyze.dedup.model import DedupReport

SCHEMA = "hullscan/compare@1"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("saved_bytes", "saved_percent", "copies", "is_base"):
            if hasattr(type(value), name) and isinstance(getattr(type(value), name), property):
                out[name] = getattr(value, name)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def dedup_document(report: DedupReport) -> dict[str, Any]:
    """Return the dedup report as a JSON-able dict."""
    return {"schema": "hullscan/dedup@1", **_plain(report)}


def comparison_document(comparison: Comparison) -> dict[str, Any]:
    """Return the comparison as a JSON-able dict."""
    return {"schema": SCHEMA, **_plain(comparison)}


def encode(comparison: Comparison) -> str:
    """Return the comparison as indented JSON text."""
    return json.dumps(comparison_document(comparison), indent=2) + "\n"


def encode_dedup(report: DedupReport) -> str:
    """Return the dedup report as indented JSON text."""
    return json.dumps(dedup_document(report), indent=2) + "\n"
