"""What a matcher family is: a rule turning one package into advisory look-ups.

A matcher never touches the database; it says which ecosystem, name and version to look up,
with which version scheme, and which releases of that ecosystem count. `hullscan.match.matcher`
batches the look-ups, evaluates the ranges and merges the hits into findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hullscan.match.versioning import VersionScheme
from hullscan.model.finding import Confidence
from hullscan.model.inventory import Distro
from hullscan.model.package import Package

ReleaseFilter = Callable[[str], bool]
"""Says whether an affected entry's release (the part after `Family:`) applies."""


def any_release(release: str) -> bool:
    """Accept every release (language ecosystems have none)."""
    del release
    return True


@dataclass(frozen=True, slots=True)
class ExactReleases:
    """Accept exactly these releases (`12` for `Debian:12`; never the empty, release-less entry)."""

    releases: frozenset[str]

    def __call__(self, release: str) -> bool:
        """Return True when `release` is one of ours."""
        return release in self.releases


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """One look-up: records of `ecosystem` for `name`, `version` compared with `scheme`."""

    ecosystem: str
    """What `AdvisoryDB.advisories_for` is asked (`Debian:12`, `Ubuntu`, `PyPI`)."""
    name: str
    version: str
    scheme: VersionScheme
    matcher: str
    accepts_release: ReleaseFilter = any_release
    confidence: Confidence = Confidence.HIGH
    distro_fix: bool = False
    """True when fixed versions are the distribution's builds (OS packages)."""


class Matcher(Protocol):
    """One family of packages (dpkg, apk, rpm, language, bundled)."""

    @property
    def name(self) -> str:
        """Short family name, recorded in every finding's evidence."""
        ...

    def queries(self, package: Package, distro: Distro | None) -> list[MatchQuery]:
        """Return the look-ups for `package`, or nothing when the package is not this family's."""
        ...
