"""Version schemes for advisory matching: parse, order and evaluate OSV ranges per ecosystem.

Public surface: `scheme_for_ecosystem` (OSV ecosystem or purl type -> `VersionScheme`),
`is_affected` / `evaluate` / `fixed_versions` for OSV ``affected[]`` entries, and the error types.
"""

from hullscan.match.versioning.interface import InvalidVersionError, Version, VersionScheme
from hullscan.match.versioning.ranges import (
    InvalidRangeError,
    RangeVerdict,
    evaluate,
    fixed_versions,
    is_affected,
    record_affects,
)
from hullscan.match.versioning.registry import (
    UnknownEcosystemError,
    all_schemes,
    scheme_by_name,
    scheme_for_ecosystem,
)

__all__ = [
    "InvalidRangeError",
    "InvalidVersionError",
    "RangeVerdict",
    "UnknownEcosystemError",
    "Version",
    "VersionScheme",
    "all_schemes",
    "evaluate",
    "fixed_versions",
    "is_affected",
    "record_affects",
    "scheme_by_name",
    "scheme_for_ecosystem",
]
