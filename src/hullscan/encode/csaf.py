"""CSAF 2.0 documents in the VEX profile (`csaf_vex`) from triage statements.

Every product is a `full_product_names` entry identified by its purl; a package inside an image
is a `default_component_of` relationship. Per vulnerability: `product_status`, a `flags` label for
each justified `not_affected`, an `impact` threat for the others, and a remediation for every
`known_affected` product (the VEX profile's mandatory checks 6.1.27.9 and 6.1.27.10).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from hullscan import __version__
from hullscan.analyze.vex.mapping import statement_purls
from hullscan.encode.vex_common import content_id, latest_per_target, notes_of
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import VexStatement

_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
_STATUS_KEY = {
    FindingStatus.AFFECTED: "known_affected",
    FindingStatus.NOT_AFFECTED: "known_not_affected",
    FindingStatus.FIXED: "fixed",
    FindingStatus.UNDER_INVESTIGATION: "under_investigation",
}
PUBLISHER_NAMESPACE = "https://github.com/hullscan"


def encode(statements: Sequence[VexStatement], *, author: str, timestamp: str) -> str:
    """CSAF 2.0 VEX JSON text."""
    return json.dumps(document(statements, author=author, timestamp=timestamp), indent=2) + "\n"


def document(statements: Sequence[VexStatement], *, author: str, timestamp: str) -> dict[str, Any]:
    """The CSAF document as plain data."""
    chosen = latest_per_target(statements)
    tree = _ProductTree()
    by_vulnerability: dict[str, list[tuple[str, VexStatement]]] = defaultdict(list)
    for statement in chosen:
        by_vulnerability[statement.vulnerability].append((tree.product_id(statement), statement))
    return {
        "document": _document_part(chosen, author, timestamp, sorted(by_vulnerability)),
        "product_tree": tree.as_dict(),
        "vulnerabilities": [_vulnerability(name, items) for name, items in by_vulnerability.items()],
    }


def _document_part(
    statements: Sequence[VexStatement], author: str, timestamp: str, vulnerabilities: list[str]
) -> dict[str, Any]:
    tracking_id = f"hullscan-vex-{content_id(statements, timestamp)}"
    return {
        "category": "csaf_vex",
        "csaf_version": "2.0",
        "lang": "en",
        "title": f"VEX statements by {author} for {len(vulnerabilities)} vulnerabilities",
        "publisher": {"category": "user", "name": author, "namespace": PUBLISHER_NAMESPACE},
        "notes": [
            {
                "category": "summary",
                "title": "About this document",
                "text": "Triage statements (VEX) recorded with hullscan: which vulnerabilities affect which "
                "packages, with the reasons and evidence.",
            }
        ],
        "references": [
            {
                "category": "external",
                "summary": f"OSV entry for {name}",
                "url": f"https://osv.dev/vulnerability/{name}",
            }
            for name in vulnerabilities[:50]
        ]
        or [{"category": "external", "summary": "OSV", "url": "https://osv.dev/"}],
        "tracking": {
            "id": tracking_id,
            "status": "final",
            "version": "1",
            "initial_release_date": timestamp,
            "current_release_date": timestamp,
            "revision_history": [{"date": timestamp, "number": "1", "summary": "Initial version."}],
            "generator": {"engine": {"name": "hullscan", "version": __version__}, "date": timestamp},
        },
    }


class _ProductTree:
    """Assigns product ids (`HSP-n`) to purls and image/package pairs."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._names: list[dict[str, Any]] = []
        self._relationships: list[dict[str, Any]] = []
        self._relationship_ids: dict[tuple[str, str], str] = {}

    def _full(self, purl: str) -> str:
        if purl not in self._ids:
            product_id = f"HSP-{len(self._ids) + 1}"
            self._ids[purl] = product_id
            self._names.append(
                {"name": purl, "product_id": product_id, "product_identification_helper": {"purl": purl}}
            )
        return self._ids[purl]

    def product_id(self, statement: VexStatement) -> str:
        product, subcomponent = statement_purls(statement)
        if subcomponent is None:
            return self._full(product)
        image_id, component_id = self._full(product), self._full(subcomponent)
        key = (component_id, image_id)
        if key not in self._relationship_ids:
            relation_id = f"{component_id}:{image_id}"
            self._relationship_ids[key] = relation_id
            self._relationships.append(
                {
                    "category": "default_component_of",
                    "product_reference": component_id,
                    "relates_to_product_reference": image_id,
                    "full_product_name": {"name": f"{subcomponent} in {product}", "product_id": relation_id},
                }
            )
        return self._relationship_ids[key]

    def as_dict(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"full_product_names": self._names}
        if self._relationships:
            tree["relationships"] = self._relationships
        return tree


def _vulnerability(name: str, items: Sequence[tuple[str, VexStatement]]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if _CVE.match(name):
        entry["cve"] = name
    else:
        entry["ids"] = [{"system_name": "OSV", "text": name}]
    entry["notes"] = [
        {"category": "other", "title": f"Statement on {product_id}", "text": notes_of(statement)}
        for product_id, statement in items
    ]
    status: dict[str, list[str]] = defaultdict(list)
    flags: list[dict[str, Any]] = []
    threats: list[dict[str, Any]] = []
    remediations: list[dict[str, Any]] = []
    for product_id, statement in items:
        status[_STATUS_KEY[statement.status]].append(product_id)
        when = statement.timestamp
        if statement.status is FindingStatus.NOT_AFFECTED:
            if statement.justification is not None:
                flags.append(
                    {"label": statement.justification.value, "product_ids": [product_id], "date": when}
                )
            threats.append(
                {
                    "category": "impact",
                    "details": statement.impact_statement or f"Not affected: {statement.justification}.",
                    "product_ids": [product_id],
                    "date": when,
                }
            )
        if statement.status is FindingStatus.AFFECTED:
            details = statement.action_statement or "No action statement was given."
            category = "vendor_fix" if details.startswith("Upgrade") else "none_available"
            remediations.append(
                {"category": category, "details": details, "product_ids": [product_id], "date": when}
            )
    entry["product_status"] = dict(status)
    optional = {"flags": flags, "threats": threats, "remediations": remediations}
    entry.update({key: values for key, values in optional.items() if values})
    return entry
