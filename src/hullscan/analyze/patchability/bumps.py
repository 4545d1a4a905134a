"""Whether going from the installed version to the fix is a major bump, by the ecosystem's scheme.

- PyPI (PEP 440): the epoch or the first release segment changes (`2.10` -> `3.7`), except between
  calendar versions whose first segment is a year (`certifi 2020.12.5` -> `2023.7.22`): there the
  first segment counts time, not incompatible changes.
- npm, Go, Cargo, RubyGems, Composer (semantic versioning): the major number changes, and below
  1.0.0 the minor number too (`0.2.3` -> `0.3.0`: `^0.2.3` excludes it, SemVer calls 0.y unstable).
- Maven and the rest: the first numeric component changes.

>>> major_bump(PackageType.PYTHON, "1.26.4", "1.26.18") is None
True
>>> major_bump(PackageType.PYTHON, "2.10", "3.7")
'major version bump (2 -> 3)'
>>> major_bump(PackageType.PYTHON, "2020.12.5", "2023.7.22") is None
True
>>> major_bump(PackageType.NPM, "0.2.3", "0.3.0")
'0.x minor bump (0.2 -> 0.3, breaking under SemVer)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from hullscan.model.package import PackageType

_SEMVER_TYPES = frozenset(
    {PackageType.NPM, PackageType.GO, PackageType.RUST, PackageType.GEM, PackageType.COMPOSER}
)
_YEARS = range(1990, 3000)
"""A first release segment in this range is a year: the version is a calendar version."""
_LEADING_NUMBERS = re.compile(r"^\s*[vV=]?(\d+)(?:\.(\d+))?")


class UncomparableVersionsError(ValueError):
    """The installed version or the fix does not parse in the ecosystem's scheme."""


@dataclass(frozen=True, slots=True)
class _Head:
    """The leading components that decide compatibility."""

    major: int
    minor: int
    epoch: int = 0


def major_bump(ecosystem: PackageType, installed: str, fix: str) -> str | None:
    """Return why `installed` -> `fix` is a major bump, or None when it is not.

    Raise `UncomparableVersionsError` when either version does not parse.
    """
    old, new = _head(ecosystem, installed), _head(ecosystem, fix)
    if old.epoch != new.epoch:
        return f"epoch bump ({old.epoch} -> {new.epoch})"
    if old.major != new.major and not (ecosystem is PackageType.PYTHON and _calendar(old, new)):
        return f"major version bump ({old.major} -> {new.major})"
    if ecosystem in _SEMVER_TYPES and old.major == 0 and old.minor != new.minor:
        return f"0.x minor bump (0.{old.minor} -> 0.{new.minor}, breaking under SemVer)"
    return None


def _calendar(old: _Head, new: _Head) -> bool:
    return old.major in _YEARS and new.major in _YEARS


def _head(ecosystem: PackageType, version: str) -> _Head:
    if ecosystem is PackageType.PYTHON:
        try:
            parsed = Version(version)
        except InvalidVersion as error:
            raise UncomparableVersionsError(f"{version!r} is not a PEP 440 version") from error
        release = (*parsed.release, 0)
        return _Head(release[0], release[1], parsed.epoch)
    found = _LEADING_NUMBERS.match(version)
    if found is None:
        raise UncomparableVersionsError(f"{version!r} does not start with a version number")
    return _Head(int(found.group(1)), int(found.group(2) or 0))
