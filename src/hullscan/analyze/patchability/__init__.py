"""Patchability: what fixing each finding takes — `ops`, `dev-compatible`, `dev-breaking`, `no-fix`.

`classify_findings` sets `Finding.patch_class` / `patch_reason`; `release_index` finds the
release's package index when it is on this machine; `class_totals` counts the classes.
"""

from hullscan.analyze.patchability.constraints import Constraint, constraints_by_target, declared_constraints
from hullscan.analyze.patchability.engine import UNCLASSIFIED, class_totals, classify_findings
from hullscan.analyze.patchability.release_index import ReleaseIndex, not_consulted, release_index

__all__ = [
    "UNCLASSIFIED",
    "Constraint",
    "ReleaseIndex",
    "class_totals",
    "classify_findings",
    "constraints_by_target",
    "declared_constraints",
    "not_consulted",
    "release_index",
]
