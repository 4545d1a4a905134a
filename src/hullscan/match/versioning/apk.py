"""Alpine (apk) versions: ``number{.number}[letter]{_suffix[N]}[~hash][-rN]``.

Suffixes order ``_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p``.
Numeric components after the first that start with ``0`` compare as strings (apk's "fraction"
rule). Strings apk would reject are still ordered the way the conformance fixtures record: two
malformed versions compare as plain strings; a malformed one against a well-formed one compares
its parsed prefix and then sorts below when it has unparsed text left.

>>> APK.compare("1.2_rc1", "1.2")
-1
>>> APK.compare("1.2-r1", "1.2_p1")
-1
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hullscan.match.versioning._base import CachedScheme, CmpVersion
from hullscan.match.versioning.interface import sign

_NUMBERS = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_LETTER = re.compile(r"[a-z]")
_SUFFIX = re.compile(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)([0-9]*)")
_HASH = re.compile(r"~[0-9a-f]+")
_BUILD = re.compile(r"-r([0-9]*)")
_SUFFIX_WEIGHT = {"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}
_NO_SUFFIX = (4, 0)


def _cmp_component(index: int, a: str, b: str | None) -> int:
    """Compare number components; `b` None is padding (numeric zero)."""
    if b is None:
        return sign(int(a))
    if index > 0 and (a[0] == "0" or b[0] == "0"):
        return (a > b) - (a < b)
    return sign(int(a) - int(b))


@dataclass(frozen=True, slots=True, eq=False)
class ApkVersion(CmpVersion):
    """A parsed apk version (see module docstring for the ordering)."""

    text: str
    numbers: tuple[str, ...]
    letter: str
    suffixes: tuple[tuple[int, int], ...]
    build: int
    remainder: str
    valid: bool

    def _cmp_numbers(self, other: ApkVersion) -> int:
        mine, theirs = self.numbers, other.numbers
        for index in range(max(len(mine), len(theirs))):
            if index >= len(mine):
                diff = -_cmp_component(index, theirs[index], None)
            elif index >= len(theirs):
                diff = _cmp_component(index, mine[index], None)
            else:
                diff = _cmp_component(index, mine[index], theirs[index])
            if diff:
                return diff
        return 0

    def _cmp_suffixes(self, other: ApkVersion) -> int:
        mine, theirs = self.suffixes, other.suffixes
        for index in range(max(len(mine), len(theirs))):
            a = mine[index] if index < len(mine) else _NO_SUFFIX
            b = theirs[index] if index < len(theirs) else _NO_SUFFIX
            if a != b:
                return -1 if a < b else 1
        return 0

    def cmp(self, other: ApkVersion) -> int:
        """Three-way comparison in apk order."""
        if not self.valid and not other.valid:
            return (self.text > other.text) - (self.text < other.text)
        diff = self._cmp_numbers(other)
        if diff:
            return diff
        if self.letter != other.letter:
            return -1 if self.letter < other.letter else 1  # no letter ("") sorts first
        diff = self._cmp_suffixes(other)
        if diff:
            return diff
        if self.build != other.build:
            return -1 if self.build < other.build else 1
        return (not self.remainder) - (not other.remainder)

    def hash_key(self) -> object:
        """Equal versions share their first number (padding counts as 0)."""
        return int(self.numbers[0]) if self.numbers else 0


class ApkScheme(CachedScheme[ApkVersion]):
    """Alpine / Wolfi / Chainguard package version ordering."""

    name = "apk"

    def _parse(self, text: str) -> ApkVersion:
        rest = text
        numbers: tuple[str, ...] = ()
        if match := _NUMBERS.match(rest):
            numbers = tuple(match.group().split("."))
            rest = rest[match.end() :]
        letter = ""
        if match := _LETTER.match(rest):
            letter = match.group()
            rest = rest[1:]
        suffixes: list[tuple[int, int]] = []
        while match := _SUFFIX.match(rest):
            suffixes.append((_SUFFIX_WEIGHT[match.group(1)], int(match.group(2) or 0)))
            rest = rest[match.end() :]
        if match := _HASH.match(rest):
            rest = rest[match.end() :]
        build = 0
        valid = True
        if rest:
            if match := _BUILD.match(rest):
                build = int(match.group(1) or 0)
                rest = rest[match.end() :]
            else:
                valid = False
        return ApkVersion(text, numbers, letter, tuple(suffixes), build, rest, valid)


APK = ApkScheme()
