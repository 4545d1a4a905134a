"""hullscan's own JSON form of an inventory (everything the model holds, stable order)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hullscan import __version__
from hullscan.encode import jsontext
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Inventory
from hullscan.model.ownership import FileOwnershipSummary
from hullscan.model.package import Package

FORMAT_VERSION = "1"


def describe_image(image: ImageDescription) -> dict[str, Any]:
    """Return a JSON-able description of an image."""
    doc = asdict(image)
    doc["platform"] = str(image.platform) if image.platform else None
    doc["id"] = image.id
    return doc


def package_dict(package: Package) -> dict[str, Any]:
    """Return a JSON-able form of a package."""
    return {
        "id": package.id,
        "name": package.name,
        "version": package.version,
        "type": package.type.value,
        "purl": package.purl,
        "foundBy": package.found_by,
        "licenses": list(package.licenses),
        "sourceName": package.source_name,
        "sourceVersion": package.source_version,
        "layer": package.layer_digest,
        "visible": package.visible,
        "locations": [{"path": c.path, "layer": c.layer_digest} for c in package.locations],
        "metadata": dict(package.metadata),
    }


def inventory_dict(inventory: Inventory) -> dict[str, Any]:
    """Return the whole inventory as plain data."""
    return {
        "schema": f"hullscan-inventory/{FORMAT_VERSION}",
        "tool": {"name": "hullscan", "version": __version__},
        "image": describe_image(inventory.image),
        "distro": asdict(inventory.distro) if inventory.distro else None,
        "packages": [package_dict(p) for p in inventory.packages],
        "relationships": [
            {"source": r.source_id, "target": r.target_id, "kind": r.kind.value, "note": r.note}
            for r in sorted(
                inventory.relationships, key=lambda r: (r.source_id, r.target_id, r.kind.value)
            )
        ],
        "unknowns": [
            {
                "path": u.coordinates.path,
                "layer": u.coordinates.layer_digest,
                "cataloger": u.cataloger,
                "reason": u.reason,
            }
            for u in inventory.unknowns
        ],
        "warnings": list(inventory.warnings),
        "files": ownership_dict(inventory.files) if inventory.files is not None else None,
    }


def ownership_dict(summary: FileOwnershipSummary) -> dict[str, Any]:
    """Return file ownership totals and the unowned files as plain data."""
    return {
        "totalFiles": summary.total_files,
        "totalBytes": summary.total_bytes,
        "byClass": {t.owner: {"files": t.files, "bytes": t.bytes} for t in summary.by_class},
        "byType": {t.owner: {"files": t.files, "bytes": t.bytes} for t in summary.by_type},
        "unowned": [
            {"path": u.path, "size": u.size, "layer": u.layer_digest, "elf": u.elf.value if u.elf else None}
            for u in summary.unowned
        ],
    }


def encode(inventory: Inventory) -> str:
    """Return the inventory as key-sorted JSON: one line per package field, relationship, file."""
    return jsontext.dumps(inventory_dict(inventory), levels=3) + "\n"
