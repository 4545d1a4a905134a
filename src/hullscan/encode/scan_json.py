"""hullscan's JSON form of a scan (findings grouped nowhere, every field kept), and reading SBOM input.

`encode(report)` writes `hullscan-scan/1` JSON. `read_inventory(path)` reads hullscan's own
inventory JSON (`hullscan sbom -o json`) back into an `Inventory`, so `hullscan scan` can take an
SBOM file instead of an image.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hullscan import __version__
from hullscan.encode import jsontext
from hullscan.encode.json_inventory import describe_image
from hullscan.errors import SbomError
from hullscan.model.files import Coordinates
from hullscan.model.finding import Finding, PatchClass, ScanReport, Severity
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Distro, Inventory, Unknown
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

FORMAT_VERSION = "1"
INVENTORY_SCHEMA_PREFIX = "hullscan-inventory/"
MAX_SBOM_BYTES = 512 * 1024 * 1024


def finding_dict(finding: Finding) -> dict[str, Any]:
    """Return a JSON-able form of one finding."""
    package = finding.package
    return {
        "id": finding.id,
        "aliases": list(finding.aliases),
        "status": finding.status.value,
        "severity": finding.severity.value,
        "score": finding.score,
        "severitySource": finding.severity_source,
        "summary": finding.summary,
        "fixedVersions": list(finding.fixed_versions),
        "fix": finding.fix,
        "patchClass": finding.patch_class.value if finding.patch_class else None,
        "patchReason": finding.patch_reason,
        "confidence": finding.confidence.value,
        "caveats": [caveat.value for caveat in finding.caveats],
        "layer": finding.layer_digest,
        "package": {
            "id": package.id,
            "name": package.name,
            "version": package.version,
            "type": package.type.value,
            "purl": package.purl,
            "sourceName": package.source_name,
            "sourceVersion": package.source_version,
            "locations": [{"path": c.path, "layer": c.layer_digest} for c in package.locations],
        },
        "evidence": [
            {
                "advisory": item.advisory_id,
                "ecosystem": item.ecosystem,
                "packageName": item.package_name,
                "version": item.version,
                "matcher": item.matcher,
                "matchedBy": item.matched_by,
                "fixedVersions": list(item.fixed_versions),
                "notes": list(item.notes),
            }
            for item in finding.evidence
        ],
    }


def severity_counts(findings: tuple[Finding, ...]) -> dict[str, int]:
    """Count findings per severity, most severe first, every level present."""
    counts = Counter(finding.severity for finding in findings)
    return {level.value: counts.get(level, 0) for level in sorted(Severity, key=lambda s: -s.rank)}


def patch_class_counts(findings: tuple[Finding, ...]) -> dict[str, int] | None:
    """Count findings per patch class, every class present, `unclassified` last when any.

    None when no finding was classified (the scan did not run the patchability analysis).
    """
    if not any(finding.patch_reason for finding in findings):
        return None
    counts = Counter(finding.patch_class for finding in findings)
    totals = {patch_class.value: counts.get(patch_class, 0) for patch_class in PatchClass}
    if counts.get(None):
        totals["unclassified"] = counts[None]
    return totals


def scan_dict(report: ScanReport) -> dict[str, Any]:
    """Return the whole scan as plain data."""
    inventory = report.inventory
    return {
        "schema": f"hullscan-scan/{FORMAT_VERSION}",
        "tool": {"name": "hullscan", "version": __version__},
        "image": describe_image(inventory.image),
        "distro": {"id": inventory.distro.id, "versionId": inventory.distro.version_id}
        if inventory.distro
        else None,
        "database": report.database,
        "summary": {
            "packages": len(inventory.packages),
            "packagesLookedUp": report.packages_looked_up,
            "findings": len(report.findings),
            "bySeverity": severity_counts(report.findings),
            "byPatchClass": patch_class_counts(report.findings),
        },
        "findings": [finding_dict(finding) for finding in report.findings],
        "warnings": list(report.warnings),
    }


def encode(report: ScanReport) -> str:
    """Return the scan as JSON (findings in report order, keys sorted, one line per finding field)."""
    return jsontext.dumps(scan_dict(report), levels=3) + "\n"


# ----- reading an inventory back -----------------------------------------------------------------


def is_json_file(path: Path) -> bool:
    """Return True when `path` is a regular file whose first non-blank byte opens a JSON object."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(4096)
    return head.lstrip()[:1] == b"{"


def read_inventory(path: Path) -> Inventory:
    """Read `hullscan sbom -o json` output; raise `SbomError` when it is not that."""
    if path.stat().st_size > MAX_SBOM_BYTES:
        raise SbomError(f"{path} is larger than {MAX_SBOM_BYTES} bytes")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SbomError(f"cannot read {path} as JSON: {error}") from error
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(INVENTORY_SCHEMA_PREFIX):
        raise SbomError(
            f"{path} is not a hullscan inventory",
            hint="Pass an image, or the output of `hullscan sbom IMAGE -o json`.",
        )
    try:
        return _inventory(doc)
    except (KeyError, TypeError, ValueError) as error:
        raise SbomError(f"{path}: malformed hullscan inventory ({error!r})") from error


def _inventory(doc: Mapping[str, Any]) -> Inventory:
    image = doc.get("image") or {}
    description = ImageDescription(
        reference=str(image.get("reference", "")),
        source_kind=str(image.get("source_kind", "sbom")),
        manifest_digest=image.get("manifest_digest"),
        config_digest=image.get("config_digest"),
    )
    distro_doc = doc.get("distro")
    distro = (
        Distro(
            id=str(distro_doc["id"]),
            version_id=distro_doc.get("version_id"),
            codename=distro_doc.get("codename"),
            pretty_name=distro_doc.get("pretty_name"),
            id_like=tuple(distro_doc.get("id_like") or ()),
        )
        if isinstance(distro_doc, Mapping)
        else None
    )
    return Inventory(
        image=description,
        packages=tuple(_package(item) for item in doc.get("packages") or ()),
        relationships=tuple(
            Relationship(str(r["source"]), str(r["target"]), RelationshipKind(r["kind"]), r.get("note"))
            for r in doc.get("relationships") or ()
        ),
        unknowns=tuple(
            Unknown(Coordinates(str(u["path"]), u.get("layer")), str(u["cataloger"]), str(u["reason"]))
            for u in doc.get("unknowns") or ()
        ),
        distro=distro,
        warnings=tuple(str(w) for w in doc.get("warnings") or ()),
    )


def _package(item: Mapping[str, Any]) -> Package:
    return Package(
        name=str(item["name"]),
        version=str(item["version"]),
        type=PackageType(item["type"]),
        purl=str(item["purl"]),
        found_by=str(item.get("foundBy", "")),
        locations=tuple(Coordinates(str(c["path"]), c.get("layer")) for c in item.get("locations") or ()),
        licenses=tuple(item.get("licenses") or ()),
        source_name=item.get("sourceName"),
        source_version=item.get("sourceVersion"),
        metadata=dict(item.get("metadata") or {}),
        layer_digest=item.get("layer"),
        visible=bool(item.get("visible", True)),
        id=str(item.get("id", "")),
    )
