"""RPM distributions (AlmaLinux, Rocky, RHEL, SUSE, openSUSE): binary and source RPM names, rpm ordering.

AlmaLinux and Rocky records name binary packages (`openssl-libs`); others name the source RPM. Both
are looked up — the binary with its own version, the source RPM with the source version — and the
hits of one advisory merge into one finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hullscan.match.matchers._distro import Release, release_of
from hullscan.match.matchers.interface import ExactReleases, MatchQuery, ReleaseFilter
from hullscan.match.versioning import scheme_for_ecosystem
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType

NAME = "rpm"


@dataclass(frozen=True, slots=True)
class RedHatStreams:
    """Accept `Red Hat:enterprise_linux:<major>[::stream]` releases of one major version."""

    major: str

    def __call__(self, release: str) -> bool:
        """Return True for the plain enterprise_linux stream of our major release."""
        parts = release.split(":")
        return len(parts) >= 2 and parts[0] == "enterprise_linux" and parts[1].split(".", 1)[0] == self.major


def _suse_names(release: Release) -> frozenset[str]:
    major, _, minor = release.version.partition(".")
    service_pack = f" SP{minor}" if minor and minor != "0" else ""
    products = (
        "Linux Enterprise Server",
        "Linux Enterprise Server for SAP Applications",
        "Linux Enterprise Micro",
    )
    return frozenset(f"{product} {major}{service_pack}" for product in products)


def _target(release: Release) -> tuple[str, ReleaseFilter] | None:
    builders: dict[str, Callable[[Release], tuple[str, ReleaseFilter]]] = {
        "almalinux": lambda r: (f"AlmaLinux:{r.major}", ExactReleases(frozenset({r.major}))),
        "rocky": lambda r: (f"Rocky Linux:{r.major}", ExactReleases(frozenset({r.major}))),
        "rhel": lambda r: ("Red Hat", RedHatStreams(r.major)),
        "sles": lambda r: ("SUSE", ExactReleases(_suse_names(r))),
        "opensuse-leap": lambda r: ("openSUSE", ExactReleases(frozenset({f"Leap {r.version}"}))),
    }
    builder = builders.get(release.id)
    return builder(release) if builder else None


class RpmMatcher:
    """Matches `rpm` packages of RPM distributions with OSV data."""

    name = NAME

    def queries(self, package: Package, distro: Distro | None) -> list[MatchQuery]:
        """Return binary-name and source-name look-ups."""
        if package.type is not PackageType.RPM:
            return []
        release = release_of(package, distro)
        target = _target(release) if release else None
        if target is None:
            return []
        ecosystem, accepts = target
        scheme = scheme_for_ecosystem("Red Hat")
        queries = [
            MatchQuery(ecosystem, package.name, package.version, scheme, NAME, accepts, distro_fix=True)
        ]
        source = package.source_name
        if source and source != package.name:
            version = package.source_version or package.version
            queries.append(MatchQuery(ecosystem, source, version, scheme, NAME, accepts, distro_fix=True))
        return queries
