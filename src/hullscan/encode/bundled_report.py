"""`hullscan bundled`: every copy of every bundled native component, as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from hullscan.catalog.bundled.link import is_bundled
from hullscan.catalog.bundled.summary import summarize_copies
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package


def _rows(inventory: Inventory) -> list[Package]:
    copies = [p for p in inventory.packages if is_bundled(p)]
    return sorted(copies, key=lambda p: (p.name, p.version, p.locations[0].path if p.locations else ""))


def _host(package: Package) -> dict[str, Any] | None:
    host = package.metadata.get("host")
    return dict(host) if isinstance(host, dict) else None


def _evidence(package: Package) -> list[dict[str, Any]]:
    return [dict(e) for e in package.metadata.get("evidence") or [] if isinstance(e, dict)]


def _layer_index(inventory: Inventory) -> dict[str, int]:
    return {layer.digest: layer.index for layer in inventory.image.layers}


def encode_json(inventory: Inventory) -> str:
    """Return components with their copies: host, path, layer, version, linkage, evidence."""
    layers = _layer_index(inventory)
    by_component: dict[str, list[dict[str, Any]]] = {}
    for package in _rows(inventory):
        by_component.setdefault(package.name, []).append(
            {
                "version": package.version or None,
                "purl": package.purl,
                "cpe": package.metadata.get("cpe"),
                "linkage": package.metadata.get("linkage"),
                "path": package.metadata.get("host_path"),
                "layer": package.layer_digest,
                "layerIndex": layers.get(package.layer_digest or ""),
                "host": _host(package),
                "evidence": _evidence(package),
            }
        )
    summaries = {s.component: s.describe() for s in summarize_copies(inventory.packages)}
    doc = {
        "image": inventory.image.reference,
        "components": [
            {"component": name, "summary": summaries.get(name, ""), "copies": copies}
            for name, copies in sorted(by_component.items())
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _describe_evidence(items: Sequence[dict[str, Any]]) -> str:
    parts = []
    for item in items[:2]:
        kind = str(item.get("kind", ""))
        detail = str(item.get("match") or item.get("value") or item.get("symbol") or "")
        parts.append(f"{kind}: {detail[:40]}" if detail else kind)
    return "; ".join(parts)


def print_table(console: Console, inventory: Inventory) -> None:
    """Print one summary line per component, then a table of every copy."""
    summaries = summarize_copies(inventory.packages)
    if not summaries:
        console.print("no bundled native components identified")
        return
    for summary in summaries:
        console.print(summary.describe(), markup=False, highlight=False)
    layers = _layer_index(inventory)
    table = Table(header_style="bold")
    for column in ("component", "version", "host", "path", "layer", "linkage", "evidence"):
        table.add_column(column, overflow="fold")
    for package in _rows(inventory):
        host = _host(package)
        table.add_row(
            package.name,
            package.version or "?",
            f"{host['name']} ({host['type']})" if host else "unowned",
            str(package.metadata.get("host_path") or ""),
            str(layers.get(package.layer_digest or "", "-")),
            str(package.metadata.get("linkage") or ""),
            _describe_evidence(_evidence(package)),
        )
    console.print(table)
