"""The vulnerability section: which findings the upgrade fixes, introduces, and leaves in place.

Findings are keyed by (vulnerability id, ecosystem, package name): a package upgraded in place
keeps its key, so a CVE present in both images is *remaining*, one only in OLD *fixed*.
"""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.analyze.upgrade.model import VulnerabilityDelta, VulnerabilityItem, VulnerabilityStatus
from hullscan.model.finding import Finding, FindingStatus

NOT_COMPUTED_NOTE = "not computed (no advisory DB)"
_COUNTED = frozenset({FindingStatus.AFFECTED, FindingStatus.UNDER_INVESTIGATION})


def _key(finding: Finding) -> tuple[str, str, str]:
    package = finding.package
    return (finding.id, package.type.value, package.source_name or package.name)


def _item(finding: Finding) -> VulnerabilityItem:
    return VulnerabilityItem(
        finding.id, finding.package.name, finding.package.version, finding.severity.value, finding.fix
    )


def _index(findings: Sequence[Finding]) -> dict[tuple[str, str, str], Finding]:
    chosen: dict[tuple[str, str, str], Finding] = {}
    for finding in sorted(findings, key=lambda f: (f.id, f.package.name, f.package.version)):
        if finding.status in _COUNTED:
            chosen.setdefault(_key(finding), finding)
    return chosen


def vulnerability_delta(
    old: Sequence[Finding] | None, new: Sequence[Finding] | None, note: str = ""
) -> VulnerabilityDelta:
    """Return fixed / introduced / remaining; `None` on either side means not computed."""
    if old is None or new is None:
        return VulnerabilityDelta(VulnerabilityStatus.NOT_COMPUTED, note or NOT_COMPUTED_NOTE)
    before, after = _index(old), _index(new)
    return VulnerabilityDelta(
        VulnerabilityStatus.COMPUTED,
        note,
        fixed=tuple(_item(before[k]) for k in sorted(before.keys() - after.keys())),
        introduced=tuple(_item(after[k]) for k in sorted(after.keys() - before.keys())),
        remaining=tuple(_item(after[k]) for k in sorted(after.keys() & before.keys())),
    )
