"""Semantic Versioning 2.0 (npm, crates.io, Hex, Bitnami, OSV ``SEMVER`` ranges), leniently parsed.

A leading ``v`` is tolerated, missing minor/patch count as 0 and numbers may be arbitrarily large.
Precedence follows SemVer section 11: numeric core, then a release above any pre-release;
pre-release identifiers compare numerically when all digits (and then below alphanumerics),
otherwise in ASCII order; build metadata (``+...``) is ignored. Components beyond the third are
treated as part of the pre-release, as osv.dev does.

>>> SEMVER.compare("1.0.0-alpha.1", "1.0.0-alpha.beta")
-1
>>> SEMVER.compare("v1.2.3+build", "1.2.3")
0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hullscan.match.versioning._base import CachedScheme, KeyedVersion
from hullscan.match.versioning.interface import InvalidVersionError

_CORE = re.compile(r"[0-9.]*")
_RELEASE: tuple[int] = (1,)


def identifier_key(identifiers: str) -> tuple[tuple[int, int | str], ...]:
    """Key of a dot-separated identifier list: digits numerically, below alphanumerics."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in identifiers.split("."))


def strip_zeros(numbers: list[int]) -> tuple[int, ...]:
    """Drop trailing zeros so that ``1.2`` and ``1.2.0`` get the same key."""
    end = len(numbers)
    while end and numbers[end - 1] == 0:
        end -= 1
    return tuple(numbers[:end])


@dataclass(frozen=True, slots=True)
class SemverParts:
    """A semver-like string split into numeric core, pre-release and build metadata."""

    core: tuple[int, ...]
    prerelease: str
    build: str


def split_semver(scheme: str, text: str, max_core: int) -> SemverParts:
    """Split leniently: ``[v]N(.N)*`` then the rest; extra core numbers join the pre-release."""
    body = text[1:] if text[:1] in "vV" else text
    core_text = _CORE.match(body).group()  # type: ignore[union-attr]  # [0-9.]* always matches
    numbers = [int(n) for n in core_text.split(".") if n]
    if not numbers:
        raise InvalidVersionError(
            scheme, text, "does not start with a number", hint="Expected MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]."
        )
    rest = body[len(core_text) :]
    extra = "".join(f".{n}" for n in numbers[max_core:])
    rest, _, build = (rest + extra).partition("+")
    return SemverParts(tuple(numbers[:max_core]), rest.removeprefix("-"), build)


@dataclass(frozen=True, slots=True)
class SemverVersion(KeyedVersion):
    """A semver-like version; `core`, `prerelease` and `build` as parsed."""

    core: tuple[int, ...] = field(compare=False, default=())
    prerelease: str = field(compare=False, default="")
    build: str = field(compare=False, default="")

    def format(self) -> str:
        """Return ``MAJOR.MINOR.PATCH[-PRE][+BUILD]`` (core padded to three numbers)."""
        core = ".".join(str(n) for n in (*self.core, 0, 0, 0)[: max(3, len(self.core))])
        pre = f"-{self.prerelease}" if self.prerelease else ""
        build = f"+{self.build}" if self.build else ""
        return f"{core}{pre}{build}"


class SemverScheme(CachedScheme[SemverVersion]):
    """SemVer 2.0 precedence, lenient about ``v`` prefixes and short cores."""

    max_core = 3

    def __init__(self, name: str = "semver") -> None:
        self.name = name
        super().__init__()

    def _prerelease_key(self, prerelease: str) -> tuple[object, ...]:
        return (0, identifier_key(prerelease)) if prerelease else _RELEASE

    def _parse(self, text: str) -> SemverVersion:
        parts = split_semver(self.name, text, self.max_core)
        key = (strip_zeros(list(parts.core)), self._prerelease_key(parts.prerelease))
        return SemverVersion(key, text, parts.core, parts.prerelease, parts.build)


class GoScheme(SemverScheme):
    """Go module versions: semver with ``v``; pseudo-versions are pre-releases, ``+incompatible`` ignored."""

    def __init__(self) -> None:
        super().__init__("go")


class NugetScheme(SemverScheme):
    """NuGet versions: SemVer 2 with up to four numeric parts, pre-release labels case-insensitive."""

    max_core = 4

    def __init__(self) -> None:
        super().__init__("nuget")

    def _prerelease_key(self, prerelease: str) -> tuple[object, ...]:
        return super()._prerelease_key(prerelease.lower())


class PubScheme(SemverScheme):
    """Dart Pub versions: SemVer, except build metadata counts and sorts above the plain release."""

    def __init__(self) -> None:
        super().__init__("pub")

    def _parse(self, text: str) -> SemverVersion:
        parts = split_semver(self.name, text, self.max_core)
        build_key = (1, identifier_key(parts.build)) if parts.build else (0,)
        key = (strip_zeros(list(parts.core)), self._prerelease_key(parts.prerelease), build_key)
        return SemverVersion(key, text, parts.core, parts.prerelease, parts.build)


SEMVER = SemverScheme()
GO = GoScheme()
NUGET = NugetScheme()
PUB = PubScheme()
