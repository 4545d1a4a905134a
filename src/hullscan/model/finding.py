"""Findings: one package and one vulnerability (aliases merged), with status, evidence and fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hullscan.model.inventory import Inventory
from hullscan.model.package import Package


class Severity(StrEnum):
    """Qualitative severity, ordered from least to most severe by `rank`."""

    UNKNOWN = "unknown"
    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Return 0 (unknown) .. 5 (critical)."""
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """Map a CVSS base score to its qualitative rating (CVSS v3 bands; 0.0 is negligible)."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.NEGLIGIBLE


_SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)


class FindingStatus(StrEnum):
    """What is known about a package and a vulnerability (the VEX status vocabulary)."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class Confidence(StrEnum):
    """How sure the match is: high for package-manager identities, low for identified binaries."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Caveat(StrEnum):
    """Why a finding is less certain than it looks."""

    VERSION_UNPARSEABLE = "version-unparseable"
    """The installed version is not valid in the ecosystem's scheme: affectedness is unknown."""
    RANGE_UNPARSEABLE = "range-unparseable"
    """A range of the advisory could not be evaluated for this version."""
    IDENTIFIED_BINARY = "identified-binary"
    """The component was recognized inside a file, not declared by a package manager."""


class PatchClass(StrEnum):
    """What it takes to fix a finding, cheapest first."""

    OPS = "ops"
    """The OS package manager has a fixed version: a package update, no code change."""
    DEV_COMPATIBLE = "dev-compatible"
    """A language package whose fix every dependent's range allows, no major bump: a lock file update."""
    DEV_BREAKING = "dev-breaking"
    """The fix needs a major version bump or violates a dependent's declared range."""
    NO_FIX = "no-fix"
    """No fixed version is known (or none is published yet)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One advisory record that matched: which entry, against which name and version, and how."""

    advisory_id: str
    ecosystem: str
    """The affected entry's ecosystem as the record writes it (e.g. `Debian:12`)."""
    package_name: str
    """The name looked up (the source package for OS packages)."""
    version: str
    """The version compared (the source version for OS packages)."""
    matcher: str
    matched_by: str
    """`versions`, `range:<n>`, or empty when the verdict is unknown."""
    fixed_versions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A vulnerability in a package.

    `id` is the canonical vulnerability id (a CVE when any record names one); `aliases` are the
    other ids of the same vulnerability; `fix` is the version that resolves every merged record for
    this package (the distribution's version for OS packages, upstream for language packages).
    """

    id: str
    package: Package = field(compare=False)
    status: FindingStatus
    severity: Severity
    score: float | None = None
    severity_source: str = ""
    """Where the severity came from: `cvss:<advisory id>`, `urgency:<advisory id>`, ..."""
    aliases: tuple[str, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    fix: str | None = None
    summary: str = ""
    layer_digest: str | None = None
    confidence: Confidence = Confidence.HIGH
    caveats: tuple[Caveat, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    package_id: str = ""
    patch_class: PatchClass | None = field(default=None, compare=False)
    """What fixing takes; None until `hullscan.analyze.patchability` classified the finding."""
    patch_reason: str = field(default="", compare=False)
    """Why the finding has its patch class (the blocking constraint, the published version, ...)."""

    def __post_init__(self) -> None:
        if not self.package_id:
            object.__setattr__(self, "package_id", self.package.id)

    @property
    def fix_available(self) -> bool:
        """Return True when some version resolves this finding."""
        return self.fix is not None

    @property
    def advisory_ids(self) -> tuple[str, ...]:
        """Return the ids of the records that matched, in evidence order, without repeats."""
        return tuple(dict.fromkeys(item.advisory_id for item in self.evidence))


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What `hullscan scan` produces: the inventory scanned, its findings and what to know about them."""

    inventory: Inventory = field(compare=False)
    findings: tuple[Finding, ...]
    database: str = ""
    """Where the advisories came from (a path or URL, password hidden)."""
    warnings: tuple[str, ...] = ()
    packages_looked_up: int = 0
