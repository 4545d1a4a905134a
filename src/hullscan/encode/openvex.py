"""OpenVEX 0.2.0 documents from triage statements (what `vexctl` and other VEX consumers read).

`not_affected` carries exactly one of `justification` / `impact_statement` as the schema demands
(an impact text given with a justification goes to `status_notes`); `affected` always has an
`action_statement`. Image products are `pkg:oci` purls with the package as a subcomponent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hullscan import __version__
from hullscan.analyze.vex.mapping import statement_purls
from hullscan.encode.vex_common import content_id, latest_per_target, notes_of
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import VexStatement

CONTEXT = "https://openvex.dev/ns/v0.2.0"


def document(statements: Sequence[VexStatement], *, author: str, timestamp: str) -> dict[str, Any]:
    """The OpenVEX document as plain data."""
    chosen = latest_per_target(statements)
    return {
        "@context": CONTEXT,
        "@id": f"https://openvex.dev/docs/public/hullscan-{content_id(chosen, timestamp)}",
        "author": author,
        "timestamp": timestamp,
        "version": 1,
        "tooling": f"hullscan {__version__}",
        "statements": [_statement(statement, timestamp) for statement in chosen],
    }


def encode(statements: Sequence[VexStatement], *, author: str, timestamp: str) -> str:
    """OpenVEX JSON text (two-space indent, trailing newline)."""
    return json.dumps(document(statements, author=author, timestamp=timestamp), indent=2) + "\n"


def _statement(statement: VexStatement, timestamp: str) -> dict[str, Any]:
    product, subcomponent = statement_purls(statement)
    entry: dict[str, Any] = {"@id": product, "identifiers": {"purl": product}}
    if subcomponent:
        entry["subcomponents"] = [{"@id": subcomponent, "identifiers": {"purl": subcomponent}}]
    out: dict[str, Any] = {
        "vulnerability": {"name": statement.vulnerability},
        "timestamp": statement.timestamp or timestamp,
        "products": [entry],
        "status": statement.status.value,
    }
    notes = notes_of(statement)
    if statement.status is FindingStatus.NOT_AFFECTED:
        if statement.justification is not None:
            out["justification"] = statement.justification.value
            if statement.impact_statement:
                notes = f"impact: {statement.impact_statement}; {notes}"
        else:
            out["impact_statement"] = statement.impact_statement or "not affected"
    if statement.status is FindingStatus.AFFECTED:
        out["action_statement"] = statement.action_statement or "No action statement was given."
    elif statement.action_statement:
        notes = f"action: {statement.action_statement}; {notes}"
    out["status_notes"] = notes
    return out
