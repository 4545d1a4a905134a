"""SARIF 2.1.0 output of a scan: one rule per vulnerability, one result per (package, vulnerability).

Results point at the file that declared the package (its first location, relative to the image
root) and name the package as a logical location (its purl). `security-severity` carries the CVSS
score (or a band's midpoint when there is none) so code-scanning UIs rank the results.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hullscan import __version__
from hullscan.model.finding import Finding, ScanReport, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/hullscan/hullscan"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NEGLIGIBLE: "note",
    Severity.UNKNOWN: "warning",
}
_BAND_SCORE = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.NEGLIGIBLE: 0.0,
    Severity.UNKNOWN: 5.0,
}


def advisory_url(vulnerability_id: str) -> str:
    """Return a page describing the vulnerability."""
    if vulnerability_id.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{vulnerability_id}"
    if vulnerability_id.startswith("GHSA-"):
        return f"https://github.com/advisories/{vulnerability_id}"
    return f"https://osv.dev/vulnerability/{vulnerability_id}"


def _rule(finding: Finding) -> dict[str, Any]:
    score = finding.score if finding.score is not None else _BAND_SCORE[finding.severity]
    return {
        "id": finding.id,
        "shortDescription": {"text": finding.summary or finding.id},
        "helpUri": advisory_url(finding.id),
        "help": {"text": f"{finding.id}: {finding.summary or 'see the advisory'}"},
        "properties": {
            "security-severity": f"{score:.1f}",
            "tags": ["security", "vulnerability", finding.severity.value],
            "aliases": list(finding.aliases),
        },
    }


def _message(finding: Finding) -> str:
    package = finding.package
    fix = f"; fixed in {finding.fix}" if finding.fix else "; no fix available"
    status = finding.status.value.replace("_", " ")
    return f"{package.name} {package.version} ({package.type.value}) is {status} by {finding.id}{fix}."


def _location(finding: Finding) -> dict[str, Any]:
    package = finding.package
    location: dict[str, Any] = {
        "logicalLocations": [
            {
                "name": f"{package.name}@{package.version}",
                "fullyQualifiedName": package.purl,
                "kind": "package",
            }
        ]
    }
    if package.locations:
        uri = package.locations[0].path.lstrip("/") or "."
        location["physicalLocation"] = {"artifactLocation": {"uri": uri}}
    return location


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    fingerprint = hashlib.sha256(f"{finding.package.purl}\x00{finding.id}".encode()).hexdigest()
    return {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [_location(finding)],
        "partialFingerprints": {"hullscanPackageVulnerability/v1": fingerprint},
        "properties": {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "fix": finding.fix,
            "fixedVersions": list(finding.fixed_versions),
            "patchClass": finding.patch_class.value if finding.patch_class else None,
            "patchReason": finding.patch_reason,
            "confidence": finding.confidence.value,
            "caveats": [caveat.value for caveat in finding.caveats],
            "layer": finding.layer_digest,
            "advisories": list(finding.advisory_ids),
        },
    }


def sarif_dict(report: ScanReport) -> dict[str, Any]:
    """Return the SARIF log as plain data."""
    rules: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        if finding.id not in index_of:
            index_of[finding.id] = len(rules)
            rules.append(_rule(finding))
        results.append(_result(finding, index_of[finding.id]))
    image = report.inventory.image
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hullscan",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {"image": image.reference, "imageId": image.id, "database": report.database},
            }
        ],
    }


def encode(report: ScanReport) -> str:
    """Return the SARIF log as indented JSON."""
    return json.dumps(sarif_dict(report), indent=2) + "\n"
