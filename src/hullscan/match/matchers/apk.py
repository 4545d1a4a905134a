"""Alpine (and Wolfi, Chainguard) packages: matched by origin (source) package, apk ordering."""

from __future__ import annotations

from hullscan.match.matchers._distro import release_of
from hullscan.match.matchers.interface import ExactReleases, MatchQuery, any_release
from hullscan.match.versioning import scheme_for_ecosystem
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType

NAME = "apk"
_ROLLING = {"wolfi": "Wolfi", "chainguard": "Chainguard"}


class ApkMatcher:
    """Matches `apk` packages against `Alpine:v3.x` records of the image's release."""

    name = NAME

    def queries(self, package: Package, distro: Distro | None) -> list[MatchQuery]:
        """Return the origin-package look-up for an Alpine, Wolfi or Chainguard `apk`."""
        if package.type is not PackageType.APK:
            return []
        release = release_of(package, distro)
        name = package.source_name or package.name
        version = package.source_version or package.version
        if release is not None and release.id == "alpine":
            branch = f"v{release.major_minor()}"
            return [
                MatchQuery(
                    ecosystem=f"Alpine:{branch}",
                    name=name,
                    version=version,
                    scheme=scheme_for_ecosystem("Alpine"),
                    matcher=NAME,
                    accepts_release=ExactReleases(frozenset({branch})),
                    distro_fix=True,
                )
            ]
        rolling = _ROLLING.get(release.id if release else (distro.id if distro else ""))
        if rolling is None:
            return []
        return [
            MatchQuery(
                rolling, name, version, scheme_for_ecosystem(rolling), NAME, any_release, distro_fix=True
            )
        ]
