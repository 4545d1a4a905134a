"""Ecosystem names: canonical spelling, `family:release` split, per-ecosystem package-name normalization."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The 48 ecosystem names defined by ossf/osv-schema (ecosystems.json @ 51b8156b, Apache-2.0),
# plus "GIT" for records whose affected entries name only a repository.
KNOWN_ECOSYSTEMS: frozenset[str] = frozenset(
    {
        "AlmaLinux", "Alpaquita", "Alpine", "Android", "Azure Linux", "BellSoft Hardened Containers",
        "Bioconductor", "Bitnami", "Chainguard", "CleanStart", "ConanCenter", "CRAN", "crates.io",
        "Debian", "Docker Hardened Images", "Echo", "FreeBSD", "GHC", "GitHub Actions", "Go", "Hackage",
        "Hex", "Julia", "Kubernetes", "Linux", "Mageia", "Maven", "MinimOS", "npm", "NuGet", "opam",
        "openEuler", "openSUSE", "OSS-Fuzz", "Packagist", "Photon OS", "Pub", "PyPI", "Red Hat",
        "Rocky Linux", "Root", "RubyGems", "SUSE", "SwiftURL", "TuxCare", "Ubuntu", "VSCode", "Wolfi",
        "GIT",
    }
)
_BY_LOWER: dict[str, str] = {name.lower(): name for name in KNOWN_ECOSYSTEMS}

# Ecosystems whose registries treat names case-insensitively.
_CASE_INSENSITIVE: frozenset[str] = frozenset({"NuGet", "Packagist", "Hackage", "Pub", "Hex"})
_PEP503_SEPARATORS = re.compile(r"[-_.]+")

# Debian codename <-> major release, as the security tracker and OSV (`Debian:<N>`) spell them.
DEBIAN_RELEASES: dict[str, str] = {
    "woody": "3.0",
    "sarge": "3.1",
    "etch": "4.0",
    "lenny": "5.0",
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}
_DEBIAN_CODENAMES: dict[str, str] = {number: name for name, number in DEBIAN_RELEASES.items()}


@dataclass(frozen=True, slots=True)
class EcosystemName:
    """An OSV ecosystem string split into its canonical family and its release suffix."""

    family: str
    release: str

    @property
    def text(self) -> str:
        """The ecosystem string in OSV spelling (`Debian:12`, `PyPI`)."""
        return f"{self.family}:{self.release}" if self.release else self.family


def parse_ecosystem(text: str) -> EcosystemName | None:
    """Split `Debian:12` into (`Debian`, `12`); None if the family is not a known ecosystem.

    The family is matched case-insensitively and returned in canonical spelling.
    """
    family, _, release = text.strip().partition(":")
    canonical = _BY_LOWER.get(family.strip().lower())
    if canonical is None:
        return None
    return EcosystemName(canonical, release.strip())


def normalize_package_name(family: str, name: str) -> str:
    """Normalize a package name the way the ecosystem's registry compares names.

    PyPI: PEP 503 (lowercase, runs of `-_.` become `-`); NuGet, Packagist, Hackage, Pub, Hex:
    lowercase; everything else (npm, Go, Maven, crates.io, Debian source names ...) as given.
    """
    stripped = name.strip()
    if family == "PyPI":
        return _PEP503_SEPARATORS.sub("-", stripped).lower()
    if family in _CASE_INSENSITIVE:
        return stripped.lower()
    return stripped


def debian_codename(release: str) -> str:
    """Map `12` / `12.4` / `bookworm` to the codename `bookworm`; unknown values come back lowercased."""
    lowered = release.strip().lower()
    if lowered in DEBIAN_RELEASES or lowered in {"sid", "unstable"}:
        return "sid" if lowered == "unstable" else lowered
    major = lowered.split(".", 1)[0]
    return _DEBIAN_CODENAMES.get(lowered) or _DEBIAN_CODENAMES.get(major) or lowered
