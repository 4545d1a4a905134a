"""Patch class of a finding on a language package: `dev-compatible`, `dev-breaking` or `no-fix`.

`dev-compatible` when the fix is inside the range every dependent in the image declares and is
not a major bump (a rebuild with an updated lock file); `dev-breaking` when a declared range
excludes the fix (named in the reason) or the fix is a major bump; `no-fix` without a fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.analyze.patchability.bumps import UncomparableVersionsError, major_bump
from hullscan.analyze.patchability.constraints import Constraint
from hullscan.model.finding import Finding, FindingStatus, PatchClass


def classify_language(finding: Finding, constraints: Sequence[Constraint]) -> tuple[PatchClass, str]:
    """Return (class, reason) for a finding on a language package with its dependents' ranges."""
    package = finding.package
    fix = finding.fix
    if fix is None:
        reason = f"no fixed version of {package.name} is known"
        if finding.status is FindingStatus.UNDER_INVESTIGATION:
            reason += " (affectedness could not be decided)"
        return PatchClass.NO_FIX, reason
    blocking = [c for c in constraints if c.allows(fix) is False]
    unknown = [c for c in constraints if c.allows(fix) is None]
    reasons = [f"fix {fix} is outside {c.describe()}" for c in blocking]
    bump = _bump_reason(finding, fix)
    if bump:
        reasons.append(bump)
    if reasons:
        return PatchClass.DEV_BREAKING, "; ".join(reasons)
    reason = _compatible_reason(package.name, package.version, fix, constraints, unknown)
    return PatchClass.DEV_COMPATIBLE, reason


def _bump_reason(finding: Finding, fix: str) -> str | None:
    package = finding.package
    try:
        bump = major_bump(package.type, package.version, fix)
    except UncomparableVersionsError as error:
        return f"cannot tell whether {package.version} -> {fix} is a major bump ({error}): treated as one"
    return f"{package.version} -> {fix} is a {bump}" if bump else None


def _compatible_reason(
    name: str, version: str, fix: str, constraints: Sequence[Constraint], unknown: Sequence[Constraint]
) -> str:
    allowed = [c for c in constraints if c not in unknown]
    if allowed:
        scope = f"allowed by {', '.join(c.describe() for c in allowed)}"
    else:
        scope = f"no dependent in the image declares a range for {name}"
    reason = f"{name} {version} -> {fix}: not a major bump; {scope}"
    if unknown:
        reason += f"; not evaluated: {', '.join(c.describe() for c in unknown)}"
    return reason
