"""Patch class of a finding on a package the OS package manager owns: `ops` or `no-fix`.

`ops` when the advisory data names a fixed version for the image's release and, when the
release's package index is at hand, the index publishes that version (or a newer one) of the
package's source. `no-fix` otherwise, with what the distribution's tracker says when the
database holds its triage rows (Debian: `no-dsa`, `postponed`, `unimportant` ...).
"""

from __future__ import annotations

from typing import Protocol

from hullscan.analyze.patchability.release_index import ReleaseIndex
from hullscan.match.versioning import InvalidVersionError, scheme_for_ecosystem
from hullscan.model.finding import Finding, PatchClass
from hullscan.model.package import Package, PackageType
from hullscan.relate.ownership import OS_OWNER_KEY

OS_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK})
_DPKG = scheme_for_ecosystem("Debian")


class TriageRecordLike(Protocol):
    """What the classifier reads of a tracker verdict (`hullscan.match.db.TriageRecord`)."""

    @property
    def status(self) -> str: ...
    @property
    def fixed_version(self) -> str | None: ...
    @property
    def urgency(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...


class TriageSource(Protocol):
    """Where tracker verdicts come from (an `AdvisoryDB`)."""

    def triage(self, cve: str, release: str, package: str) -> TriageRecordLike | None:
        """Return the tracker's verdict for a CVE in a release for a source package."""


def is_os_managed(package: Package) -> bool:
    """True for OS packages and for language packages an OS package installed."""
    return package.type in OS_TYPES or bool(package.metadata.get(OS_OWNER_KEY))


def classify_os(
    finding: Finding, index: ReleaseIndex, triage: TriageSource | None
) -> tuple[PatchClass, str]:
    """Return (class, reason) for a finding on an OS-managed package."""
    package = finding.package
    where = _advisory_ecosystem(finding)
    if finding.fix is None:
        reason = f"no fixed version in the {where} advisory data"
        tracker = tracker_text(finding, index.release, triage) if package.type is PackageType.DEB else ""
        return PatchClass.NO_FIX, f"{reason}; {tracker}" if tracker else reason
    owner = package.metadata.get(OS_OWNER_KEY)
    if package.type not in OS_TYPES:
        return PatchClass.OPS, f"installed by {owner}: update that package (upstream fix {finding.fix})"
    fixed = f"{where} fixes {_source(package)} in {finding.fix}"
    if package.type is not PackageType.DEB or index.index is None:
        note = index.note if package.type is PackageType.DEB else "index not consulted (no index reader)"
        return PatchClass.OPS, f"{fixed}; {note}"
    return _against_index(package, finding.fix, fixed, index)


def _against_index(package: Package, fix: str, fixed: str, index: ReleaseIndex) -> tuple[PatchClass, str]:
    assert index.index is not None  # noqa: S101 - checked by the caller; narrows the type for mypy
    entry = index.index.get(package.name)
    if entry is None:
        return PatchClass.OPS, f"{fixed}; {package.name} is not in the {index.release} index ({index.note})"
    try:
        published = _DPKG.compare(entry.source_version, fix) >= 0
    except InvalidVersionError:
        return PatchClass.OPS, f"{fixed}; index version {entry.version} not comparable"
    if published:
        return PatchClass.OPS, f"{fixed}; {entry.suite} publishes {package.name} {entry.version}"
    reason = f"{fixed}, but the newest {package.name} in {index.note} is {entry.version} (not yet published)"
    return PatchClass.NO_FIX, reason


def tracker_text(finding: Finding, release: str, triage: TriageSource | None) -> str:
    """Return what the Debian tracker says about the finding's CVEs for this release, or ''."""
    if triage is None or not release:
        return ""
    source = _source(finding.package)
    said: list[str] = []
    for cve in dict.fromkeys(i for i in (finding.id, *finding.aliases) if i.startswith("CVE-")):
        verdict = triage.triage(cve, release, source)
        if verdict is not None:
            said.append(_verdict_text(cve, verdict))
    return f"Debian tracker ({release}): {'; '.join(said)}" if said else ""


def _verdict_text(cve: str, verdict: TriageRecordLike) -> str:
    parts = [verdict.status]
    if verdict.reason:
        parts.append(f"({verdict.reason})")
    if verdict.urgency:
        parts.append(f"urgency {verdict.urgency}")
    if verdict.fixed_version:
        parts.append(f"fixed in {verdict.fixed_version}")
    return f"{cve} {' '.join(parts)}"


def _source(package: Package) -> str:
    return package.source_name or package.name


def _advisory_ecosystem(finding: Finding) -> str:
    ecosystems = list(dict.fromkeys(item.ecosystem for item in finding.evidence))
    return ", ".join(ecosystems) or "advisory"
