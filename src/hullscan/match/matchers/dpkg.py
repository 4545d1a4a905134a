"""Debian and Ubuntu packages: matched by source package and source version, dpkg ordering.

A `deb` from Debian 12 is looked up as its source package in `Debian:12` records only, so a
backported fix (`3.0.11-1~deb12u2`) is judged by Debian's own fixed version and never against
upstream (PyPI, npm, ...) ranges. Ubuntu likewise, in `Ubuntu:<release>` and `Ubuntu:<release>:LTS`
(Ubuntu Pro records are left out: their fixes are not in the public archive).
"""

from __future__ import annotations

from hullscan.match.matchers._distro import Release, release_of
from hullscan.match.matchers.interface import ExactReleases, MatchQuery
from hullscan.match.versioning import scheme_for_ecosystem
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType

NAME = "dpkg"


class DpkgMatcher:
    """Matches `deb` packages of Debian and Ubuntu images."""

    name = NAME

    def queries(self, package: Package, distro: Distro | None) -> list[MatchQuery]:
        """Return the source-package look-up for a Debian or Ubuntu `deb`."""
        if package.type is not PackageType.DEB:
            return []
        release = release_of(package, distro)
        if release is None:
            return []
        target = _ecosystem(release)
        if target is None:
            return []
        ecosystem, releases = target
        return [
            MatchQuery(
                ecosystem=ecosystem,
                name=package.source_name or package.name,
                version=package.source_version or package.version,
                scheme=scheme_for_ecosystem("Debian"),
                matcher=NAME,
                accepts_release=ExactReleases(releases),
                distro_fix=True,
            )
        ]


def _ecosystem(release: Release) -> tuple[str, frozenset[str]] | None:
    if release.id == "debian":
        return f"Debian:{release.major}", frozenset({release.major})
    if release.id == "ubuntu":
        version = release.major_minor()
        return "Ubuntu", frozenset({version, f"{version}:LTS"})
    return None
