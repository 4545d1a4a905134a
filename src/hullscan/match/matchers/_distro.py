"""Which distribution release an OS package belongs to: the image's os-release, else the purl."""

from __future__ import annotations

from dataclasses import dataclass

from packageurl import PackageURL

from hullscan.model.inventory import Distro
from hullscan.model.package import Package


@dataclass(frozen=True, slots=True)
class Release:
    """A distribution id (`debian`, `ubuntu`, `alpine`, ...) and its version (`12`, `22.04`)."""

    id: str
    version: str

    @property
    def major(self) -> str:
        """Return the first dotted component (`12` of `12.4`)."""
        return self.version.split(".", 1)[0]

    def major_minor(self) -> str:
        """Return `3.18` of `3.18.4`."""
        return ".".join(self.version.split(".")[:2])


def release_of(package: Package, distro: Distro | None) -> Release | None:
    """Return the release from the inventory's distro, or from the purl's `distro` qualifier."""
    if distro is not None and distro.version_id:
        return Release(distro.id.lower(), distro.version_id)
    qualifier = _purl_distro(package.purl)
    if qualifier is None:
        return None
    name, _, version = qualifier.rpartition("-")
    if not name or not version or not version[:1].isdigit():
        return None
    return Release(name.lower(), version)


def _purl_distro(purl: str) -> str | None:
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    value = qualifiers.get("distro")
    return str(value) if value else None
