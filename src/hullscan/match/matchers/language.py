"""Language packages (PyPI, npm, Go, crates.io, RubyGems, Maven, NuGet, Packagist, Hex, Pub).

The ecosystem comes from the purl type, the record name from the purl (`group:artifact` for Maven,
`vendor/project` for Packagist, `@scope/name` for npm); PyPI names are PEP 503-normalized by the
database. The Go toolchain (`stdlib`, version `go1.21.3`) is looked up as `stdlib` `1.21.3`.
"""

from __future__ import annotations

import re

from packageurl import PackageURL

from hullscan.match.matchers.interface import MatchQuery
from hullscan.match.versioning import scheme_for_ecosystem
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType

NAME = "language"
_OS_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK, PackageType.BINARY})
_ECOSYSTEM_BY_PURL_TYPE = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "maven": "Maven",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
}
_GO_TOOLCHAIN = re.compile(r"^go(\d+(?:\.\d+)*)((?:rc|beta)\d+)?$")
GO_STDLIB = "stdlib"


def go_toolchain_version(version: str) -> str:
    """Return OSV's spelling of a Go toolchain version: `go1.21.3` -> `1.21.3`, `go1.22rc1` -> `1.22.0-rc.1`.

    Anything else comes back unchanged (and will fail to parse if it is not a version).
    """
    match = _GO_TOOLCHAIN.match(version.split(maxsplit=1)[0] if version.strip() else version)
    if match is None:
        return version
    numbers = match.group(1).split(".")
    core = ".".join([*numbers, "0", "0"][: max(3, len(numbers))])
    suffix = match.group(2)
    if not suffix:
        return core
    label = suffix.rstrip("0123456789")
    return f"{core}-{label}.{suffix[len(label) :]}"


def record_name(purl: PackageURL) -> str:
    """Return the package name as OSV records spell it for this purl."""
    namespace = purl.namespace or ""
    if purl.type == "maven":
        return f"{namespace}:{purl.name}" if namespace else purl.name
    if namespace and purl.type in {"npm", "composer", "golang"}:
        return f"{namespace}/{purl.name}"
    return str(purl.name)


class LanguageMatcher:
    """Matches packages whose purl type has an OSV ecosystem."""

    name = NAME

    def queries(self, package: Package, distro: Distro | None) -> list[MatchQuery]:
        """Return one look-up in the purl type's ecosystem."""
        del distro
        if package.type in _OS_TYPES:
            return []
        try:
            purl = PackageURL.from_string(package.purl)
        except ValueError:
            return []
        ecosystem = _ECOSYSTEM_BY_PURL_TYPE.get(purl.type)
        if ecosystem is None:
            return []
        name = record_name(purl)
        if purl.type == "maven" and not purl.namespace:
            return []
        version = package.version
        if ecosystem == "Go" and name == GO_STDLIB:
            version = go_toolchain_version(version)
        return [MatchQuery(ecosystem, name, version, scheme_for_ecosystem(ecosystem), NAME)]
