"""Classify a version change (revision / patch / minor / major / epoch) by the ecosystem's own rules.

>>> classify("deb", "3.0.11-1~deb12u2", "3.0.11-1~deb12u3")
<Bump.REVISION: 'revision'>
>>> classify("deb", "1:2.3-1", "2:2.3-1")
<Bump.EPOCH: 'epoch'>
>>> classify("python", "2.2.1", "2.2.3")
<Bump.PATCH: 'patch'>
>>> classify("npm", "4.17.21", "5.0.0")
<Bump.MAJOR: 'major'>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

from hullscan.analyze.upgrade.model import Bump
from hullscan.match.versioning import InvalidVersionError, scheme_for_ecosystem

_NUMBER = re.compile(r"\d+")
_EPOCH = re.compile(r"^(\d+):")
_APK_REVISION = re.compile(r"^(.*)-r(\d+)$")


@dataclass(frozen=True, slots=True)
class _Split:
    """A version as epoch, upstream part and distribution revision."""

    epoch: int
    upstream: str
    revision: str


def _split_distro(version: str, *, apk: bool = False) -> _Split:
    epoch_match = _EPOCH.match(version)
    epoch = int(epoch_match.group(1)) if epoch_match else 0
    rest = version[epoch_match.end() :] if epoch_match else version
    if apk:
        found = _APK_REVISION.match(rest)
        return _Split(epoch, found.group(1), found.group(2)) if found else _Split(epoch, rest, "")
    upstream, dash, revision = rest.rpartition("-")
    return _Split(epoch, upstream, revision) if dash else _Split(epoch, rest, "")


def _numeric_bump(old: str, new: str) -> Bump:
    """Compare leading numeric components: first differing one decides major / minor / patch."""
    old_numbers = [int(n) for n in _NUMBER.findall(old)]
    new_numbers = [int(n) for n in _NUMBER.findall(new)]
    for position in range(max(len(old_numbers), len(new_numbers))):
        left = old_numbers[position] if position < len(old_numbers) else 0
        right = new_numbers[position] if position < len(new_numbers) else 0
        if left != right:
            return (Bump.MAJOR, Bump.MINOR)[position] if position < 2 else Bump.PATCH
    return Bump.PATCH


def _distro_bump(old: str, new: str, *, apk: bool = False) -> Bump:
    before, after = _split_distro(old, apk=apk), _split_distro(new, apk=apk)
    if before.epoch != after.epoch:
        return Bump.EPOCH
    if before.upstream == after.upstream:
        return Bump.REVISION
    return _numeric_bump(before.upstream, after.upstream)


def _pep440_bump(old: str, new: str) -> Bump:
    try:
        before, after = Pep440Version(old), Pep440Version(new)
    except InvalidVersion:
        return _numeric_bump(old, new)
    if before.epoch != after.epoch:
        return Bump.EPOCH
    return _release_bump(before.release, after.release)


def _release_bump(before: tuple[int, ...], after: tuple[int, ...]) -> Bump:
    width = max(len(before), len(after), 3)
    left = (*before, *(0,) * (width - len(before)))
    right = (*after, *(0,) * (width - len(after)))
    for position in range(width):
        if left[position] != right[position]:
            return (Bump.MAJOR, Bump.MINOR)[position] if position < 2 else Bump.PATCH
    return Bump.PATCH


_DISTRO_TYPES = frozenset({"deb", "rpm"})


def classify(ecosystem: str, old: str, new: str) -> Bump:
    """Return how big the change from `old` to `new` is in `ecosystem` (a purl-like type name)."""
    if ecosystem in _DISTRO_TYPES:
        return _distro_bump(old, new)
    if ecosystem == "apk":
        return _distro_bump(old, new, apk=True)
    if ecosystem == "python":
        return _pep440_bump(old, new)
    return _numeric_bump(old.removeprefix("v"), new.removeprefix("v"))


_SCHEME_ALIASES = {"python": "pypi", "rust-crate": "cargo", "go-module": "golang", "java-archive": "maven"}


def order(ecosystem: str, old: str, new: str) -> int | None:
    """Return -1/0/1 comparing `old` with `new` in the ecosystem's scheme; None when unorderable."""
    scheme = scheme_for_ecosystem(_SCHEME_ALIASES.get(ecosystem, ecosystem))
    try:
        return scheme.compare(old, new)
    except InvalidVersionError:
        return None
