"""Which version scheme orders which ecosystem: OSV ecosystem names and purl types.

>>> scheme_for_ecosystem("Debian:12").name
'dpkg'
>>> scheme_for_ecosystem("pkg:pypi").name
'pep440'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hullscan.errors import HullscanError
from hullscan.match.versioning.apk import APK
from hullscan.match.versioning.cran import CRAN
from hullscan.match.versioning.dpkg import DPKG
from hullscan.match.versioning.generic import GENERIC
from hullscan.match.versioning.hackage import HACKAGE
from hullscan.match.versioning.maven import MAVEN
from hullscan.match.versioning.packagist import PACKAGIST
from hullscan.match.versioning.pep440 import PEP440
from hullscan.match.versioning.rpm import RPM
from hullscan.match.versioning.rubygems import RUBYGEMS
from hullscan.match.versioning.semver import GO, NUGET, PUB, SEMVER

if TYPE_CHECKING:
    from hullscan.match.versioning.interface import VersionScheme


class UnknownEcosystemError(HullscanError):
    """No version scheme is known for an ecosystem name or purl type."""

    hint = "Use an OSV ecosystem name (e.g. 'Debian:12', 'PyPI', 'npm') or a purl type (deb, pypi, ...)."


#: OSV ecosystem base names (the part before the first ':'), lower-cased.
_ECOSYSTEMS: dict[str, VersionScheme] = {
    "almalinux": RPM,
    "alpine": APK,
    "alpaquita": APK,
    "azure linux": RPM,
    "bellsoft hardened containers": APK,
    "bitnami": SEMVER,
    "chainguard": APK,
    "cran": CRAN,
    "crates.io": SEMVER,
    "debian": DPKG,
    "go": GO,
    "hackage": HACKAGE,
    "hex": SEMVER,
    "mageia": RPM,
    "mariner": RPM,
    "maven": MAVEN,
    "minimos": APK,
    "npm": SEMVER,
    "nuget": NUGET,
    "openeuler": RPM,
    "opensuse": RPM,
    "packagist": PACKAGIST,
    "photon os": RPM,
    "pub": PUB,
    "pypi": PEP440,
    "red hat": RPM,
    "rocky linux": RPM,
    "rubygems": RUBYGEMS,
    "suse": RPM,
    "swifturl": SEMVER,
    "ubuntu": DPKG,
    "wolfi": APK,
}

#: purl types (https://github.com/package-url/purl-spec), lower-cased.
_PURL_TYPES: dict[str, VersionScheme] = {
    "alpm": GENERIC,
    "apk": APK,
    "cargo": SEMVER,
    "composer": PACKAGIST,
    "cran": CRAN,
    "deb": DPKG,
    "gem": RUBYGEMS,
    "golang": GO,
    "hackage": HACKAGE,
    "hex": SEMVER,
    "maven": MAVEN,
    "npm": SEMVER,
    "nuget": NUGET,
    "pub": PUB,
    "pypi": PEP440,
    "rpm": RPM,
    "swift": SEMVER,
}

_ALL: tuple[VersionScheme, ...] = (
    APK,
    CRAN,
    DPKG,
    GENERIC,
    GO,
    HACKAGE,
    MAVEN,
    NUGET,
    PACKAGIST,
    PEP440,
    PUB,
    RPM,
    RUBYGEMS,
    SEMVER,
)
_BY_NAME: dict[str, VersionScheme] = {s.name: s for s in _ALL}


def scheme_for_ecosystem(ecosystem: str, *, strict: bool = False) -> VersionScheme:
    """Return the scheme for an OSV ecosystem (``"Debian:12"``) or purl type (``"deb"``, ``"pkg:deb"``).

    ``Root:<Distro>:...`` and similar wrappers resolve to the inner ecosystem. Unknown names give
    the `generic` scheme, or raise `UnknownEcosystemError` when `strict`.
    """
    name = ecosystem.strip()
    lowered = name.lower().removeprefix("pkg:")
    base = lowered.split(":", 1)[0]
    if base == "root" and ":" in lowered:  # Root:Alpine:3.18, Root:PyPI
        return scheme_for_ecosystem(name.split(":", 1)[1], strict=strict)
    scheme = _ECOSYSTEMS.get(base) or _PURL_TYPES.get(base)
    if scheme is not None:
        return scheme
    if strict:
        raise UnknownEcosystemError(f"no version scheme for ecosystem {ecosystem!r}")
    return GENERIC


def scheme_by_name(name: str) -> VersionScheme:
    """Return a scheme by its own name (``dpkg``, ``rpm``, ``apk``, ``pep440``, ``semver``, ...)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        message = f"unknown version scheme {name!r}"
        raise UnknownEcosystemError(message, hint=f"Known schemes: {known}.") from None


def all_schemes() -> tuple[VersionScheme, ...]:
    """Every scheme instance, sorted by name."""
    return tuple(_BY_NAME[n] for n in sorted(_BY_NAME))
