"""Native components identified inside ELF files (`binary` packages): upstream name, low confidence.

Only records keyed by the upstream product and its upstream version apply (`Bitnami` packages,
SemVer ranges); OSS-Fuzz and GIT records need commit graphs and are never looked up. A copy that
an OS package ships is left to the OS matcher (the distribution's fixed version decides), so only
vendored copies (inside wheels, npm packages, application directories) are matched here.
"""

from __future__ import annotations

from collections.abc import Mapping

from hullscan.match.matchers.interface import MatchQuery
from hullscan.match.versioning import scheme_for_ecosystem
from hullscan.model.finding import Confidence
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType

NAME = "bundled"
UPSTREAM_ECOSYSTEM = "Bitnami"
_OS_HOST_TYPES = frozenset({PackageType.DEB.value, PackageType.RPM.value, PackageType.APK.value})


def _cpe_product(cpe: object) -> str | None:
    if not isinstance(cpe, str):
        return None
    parts = cpe.split(":")
    return parts[4] if len(parts) > 5 and parts[4] not in {"*", "-", ""} else None


def _host_is_os_package(metadata: Mapping[str, object]) -> bool:
    host = metadata.get("host")
    return isinstance(host, Mapping) and host.get("type") in _OS_HOST_TYPES


class BundledMatcher:
    """Matches vendored native components by upstream name and CPE product."""

    name = NAME

    def queries(self, package: Package, distro: Distro | None) -> list[MatchQuery]:
        """Return look-ups under the component name and its CPE product name."""
        del distro
        if package.type is not PackageType.BINARY or _host_is_os_package(package.metadata):
            return []
        names = dict.fromkeys(n for n in (package.name, _cpe_product(package.metadata.get("cpe"))) if n)
        scheme = scheme_for_ecosystem(UPSTREAM_ECOSYSTEM)
        return [
            MatchQuery(UPSTREAM_ECOSYSTEM, name, package.version, scheme, NAME, confidence=Confidence.LOW)
            for name in names
        ]
