"""Classify every finding of a scan by what fixing it takes, and count the classes.

`classify_findings(findings, inventory, index=..., triage=...)` returns the findings with
`patch_class` and `patch_reason` set: OS-managed packages go to `os_packages`, language packages
to `language` with the ranges their dependents in the image declare (`constraints`). A native
component identified inside a file has no package manager of its own: with a fix known it stays
unclassified (`patch_class=None`) and the reason says which package would have to ship the fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hullscan.analyze.patchability.constraints import constraints_by_target
from hullscan.analyze.patchability.language import classify_language
from hullscan.analyze.patchability.os_packages import TriageSource, classify_os, is_os_managed
from hullscan.analyze.patchability.release_index import ReleaseIndex, not_consulted
from hullscan.model.finding import Finding, PatchClass
from hullscan.model.inventory import Inventory
from hullscan.model.package import PackageType

UNCLASSIFIED = "unclassified"


def classify_findings(
    findings: Iterable[Finding],
    inventory: Inventory,
    *,
    index: ReleaseIndex | None = None,
    triage: TriageSource | None = None,
) -> tuple[Finding, ...]:
    """Return the findings, in order, each with its patch class and the reason for it.

    `index` is the release's package index (`release_index`); without one, `ops` reasons say the
    index was not consulted. `triage` (an `AdvisoryDB`) adds the tracker's word to OS `no-fix`.
    """
    constraints = constraints_by_target(inventory)
    chosen = index if index is not None else not_consulted("none given", _codename(inventory))
    classified: list[Finding] = []
    for finding in findings:
        package = finding.package
        patch_class: PatchClass | None
        if is_os_managed(package):
            patch_class, reason = classify_os(finding, chosen, triage)
        elif package.type is PackageType.BINARY:
            patch_class, reason = _identified_binary(finding)
        else:
            patch_class, reason = classify_language(finding, constraints.get(package.id, ()))
        classified.append(replace(finding, patch_class=patch_class, patch_reason=reason))
    return tuple(classified)


def _identified_binary(finding: Finding) -> tuple[PatchClass | None, str]:
    package = finding.package
    if finding.fix is None:
        return PatchClass.NO_FIX, f"no fixed version of {package.name} is known"
    return None, (
        f"{package.name} {package.version} was identified inside {_host(package.metadata)}: fixed upstream "
        f"in {finding.fix}, but which release of the package that ships it bundles the fix is not known"
    )


def _host(metadata: Mapping[str, Any]) -> str:
    host = metadata.get("host")
    if isinstance(host, Mapping) and host.get("name"):
        return f"{host.get('name')} {host.get('version', '')}".strip()
    return str(metadata.get("host_path") or "a file")


def _codename(inventory: Inventory) -> str:
    from hullscan.match.db import debian_codename  # noqa: PLC0415 - only needed without an index

    distro = inventory.distro
    if distro is None or distro.id != "debian" or not distro.version_id:
        return ""
    return debian_codename(distro.version_id)


def class_totals(findings: Sequence[Finding]) -> dict[str, int]:
    """Count findings per patch class, every class present (cheapest first), then `unclassified`."""
    counts = Counter(finding.patch_class for finding in findings)
    totals = {patch_class.value: counts.get(patch_class, 0) for patch_class in PatchClass}
    if counts.get(None):
        totals[UNCLASSIFIED] = counts[None]
    return totals
