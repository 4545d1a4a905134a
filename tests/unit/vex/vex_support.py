"""Helpers for the VEX tests: fixture paths, schema validators, packages and findings to triage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from hullscan.model.files import Coordinates
from hullscan.model.finding import Finding, FindingStatus, ScanReport, Severity
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, PackageType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "vex"
SCHEMAS = FIXTURES / "schemas"
_CVSS_REFS = {
    "https://www.first.org/cvss/cvss-v2.0.json": "cvss-v2.0.json",
    "https://www.first.org/cvss/cvss-v3.0.json": "cvss-v3.0.json",
    "https://www.first.org/cvss/cvss-v3.1.json": "cvss-v3.1.json",
}


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return data


def csaf_errors(document: Any) -> list[str]:
    """Every CSAF 2.0 JSON-schema violation (OASIS schema, FIRST CVSS schemas resolved locally)."""
    registry: Registry[Any] = Registry().with_resources(
        (url, Resource.from_contents(_load(name))) for url, name in _CVSS_REFS.items()
    )
    validator = jsonschema.Draft202012Validator(
        _load("csaf_json_schema_2.0.json"), registry=registry, format_checker=jsonschema.FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def openvex_errors(document: Any) -> list[str]:
    """Violations of the OpenVEX 0.2.0 structure schema written from the specification."""
    validator = jsonschema.Draft202012Validator(
        _load("openvex-0.2.0-structure.json"), format_checker=jsonschema.FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def package(name: str, version: str, ptype: PackageType, purl: str) -> Package:
    return Package(
        name=name,
        version=version,
        type=ptype,
        purl=purl,
        found_by="test",
        locations=(Coordinates("/x", "sha256:" + "ab" * 32),),
    )


def finding(vulnerability: str, pkg: Package, aliases: tuple[str, ...] = ()) -> Finding:
    return Finding(
        id=vulnerability, package=pkg, status=FindingStatus.AFFECTED, severity=Severity.HIGH, aliases=aliases
    )


def report(*findings: Finding, reference: str = "oci:/images/example:1") -> ScanReport:
    packages = tuple({f.package.id: f.package for f in findings}.values())
    image = ImageDescription(reference=reference, source_kind="oci")
    return ScanReport(inventory=Inventory(image=image, packages=packages), findings=findings)
