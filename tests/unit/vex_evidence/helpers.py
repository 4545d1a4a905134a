"""Small builders shared by the evidence unit tests: packages, findings and contexts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hullscan.analyze.vex.context import TriageContext
from hullscan.fileview.interface import FileView
from hullscan.match.db import AdvisoryDB
from hullscan.model.finding import Evidence, Finding, FindingStatus, Severity
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Distro, Inventory
from hullscan.model.package import Package, PackageType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "vex_evidence"


def package(
    name: str,
    version: str,
    kind: PackageType = PackageType.DEB,
    *,
    source: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    visible: bool = True,
) -> Package:
    """A package as a cataloger would report it (purl built the plain way)."""
    purl = f"pkg:{'deb/debian' if kind is PackageType.DEB else kind.value}/{name}@{version}"
    return Package(
        name=name, version=version, type=kind, purl=purl, found_by="test", locations=(),
        source_name=source or name, source_version=version, metadata=dict(metadata or {}), visible=visible,
    )  # fmt: skip


def finding(
    vuln: str,
    pkg: Package,
    *,
    advisories: Sequence[str] = (),
    fix: str | None = None,
    aliases: Sequence[str] = (),
) -> Finding:
    """An `affected` finding for `pkg`, with evidence naming `advisories`."""
    evidence = tuple(Evidence(a, "test", pkg.name, pkg.version, "test", "range:0") for a in advisories)
    return Finding(
        id=vuln, package=pkg, status=FindingStatus.AFFECTED, severity=Severity.MEDIUM,
        aliases=tuple(aliases), fix=fix, evidence=evidence,
    )  # fmt: skip


def context(
    findings: Sequence[Finding],
    *,
    distro: Distro | None = None,
    database: AdvisoryDB | None = None,
    view: FileView | None = None,
    packages: Sequence[Package] = (),
) -> TriageContext:
    """A triage context over an inventory holding the findings' packages."""
    inventory = Inventory(
        image=ImageDescription(reference="test", source_kind="test"),
        packages=tuple(packages) or tuple({f.package.id: f.package for f in findings}.values()),
        distro=distro,
    )
    return TriageContext(inventory=inventory, findings=tuple(findings), view=view, database=database)
