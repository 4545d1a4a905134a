"""A small npm range evaluator (node-semver `satisfies` semantics) for dependency checks.

Handles `||`, hyphen ranges, X-ranges (`1.x`, `*`, ``), tilde, caret and primitive comparators,
and the pre-release rule: a pre-release version satisfies a range only when some comparator of
the same set names a pre-release of the same `major.minor.patch`.

>>> satisfies("1.2.4", "^1.2.3")
True
>>> satisfies("2.0.0-beta.1", "^1.2.3 || >=2.0.0-beta.0")
True
>>> satisfies("1.3.0-rc.1", "^1.2.3")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^\s*[v=]*\s*(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$")
_PARTIAL = re.compile(
    r"^[v=]*(\d+|[xX*])?(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_OPERATOR = re.compile(r"^(~>|~|\^|<=|>=|<|>|=)?\s*(.*)$")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")


class RangeError(ValueError):
    """A range (or version) npm would not accept."""


@dataclass(frozen=True, slots=True, order=False)
class SemVer:
    """A strict semantic version."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()

    @property
    def key(self) -> tuple[object, ...]:
        """Return a sort key honouring SemVer precedence (release above its pre-releases)."""
        pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)


def parse_version(text: str) -> SemVer:
    """Parse a version (a leading `v` or `=` allowed, like node-semver's loose-free parse)."""
    found = _VERSION.match(text)
    if found is None:
        raise RangeError(f"not a semantic version: {text!r}")
    major, minor, patch, pre = found.groups()
    return SemVer(int(major), int(minor), int(patch), _prerelease(pre))


def _prerelease(text: str | None) -> tuple[int | str, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


@dataclass(frozen=True, slots=True)
class _Comparator:
    op: str
    version: SemVer


def _compare(a: SemVer, b: SemVer) -> int:
    return (a.key > b.key) - (a.key < b.key)


def _test(comparator: _Comparator, version: SemVer) -> bool:
    result = _compare(version, comparator.version)
    return {
        "<": result < 0,
        "<=": result <= 0,
        ">": result > 0,
        ">=": result >= 0,
        "=": result == 0,
    }[comparator.op]


_ZERO = SemVer(0, 0, 0)


def _wild(part: str | None) -> bool:
    return part is None or part in ("x", "X", "*")


def _partial(text: str) -> tuple[int | None, int | None, int | None, tuple[int | str, ...]]:
    found = _PARTIAL.match(text)
    if found is None:
        raise RangeError(f"not a version or X-range: {text!r}")
    major, minor, patch, pre = found.groups()
    numbers: list[int | None] = []
    for part in (major, minor, patch):
        numbers.append(None if _wild(part) or (numbers and numbers[-1] is None) else int(str(part)))
    return numbers[0], numbers[1], numbers[2], _prerelease(pre) if numbers[2] is not None else ()


def _upper(major: int, minor: int | None) -> SemVer:
    """The exclusive upper bound `<X.(Y+1).0-0` or `<(X+1).0.0-0`."""
    if minor is None:
        return SemVer(major + 1, 0, 0, (0,))
    return SemVer(major, minor + 1, 0, (0,))


def _x_range(text: str) -> list[_Comparator]:
    major, minor, patch, pre = _partial(text)
    if major is None:
        return [_Comparator(">=", _ZERO)]
    if patch is not None and minor is not None:
        return [_Comparator("=", SemVer(major, minor, patch, pre))]
    return [_Comparator(">=", SemVer(major, minor or 0, 0)), _Comparator("<", _upper(major, minor))]


def _tilde(text: str) -> list[_Comparator]:
    major, minor, patch, pre = _partial(text)
    if major is None:
        return [_Comparator(">=", _ZERO)]
    if minor is None:
        return [_Comparator(">=", SemVer(major, 0, 0)), _Comparator("<", _upper(major, None))]
    return [_Comparator(">=", SemVer(major, minor, patch or 0, pre)), _Comparator("<", _upper(major, minor))]


def _caret(text: str) -> list[_Comparator]:
    major, minor, patch, pre = _partial(text)
    if major is None:
        return [_Comparator(">=", _ZERO)]
    low = SemVer(major, minor or 0, patch or 0, pre)
    if major > 0 or minor is None:
        return [_Comparator(">=", low), _Comparator("<", _upper(major, None))]
    if minor > 0 or patch is None:
        return [_Comparator(">=", low), _Comparator("<", _upper(0, minor))]
    return [_Comparator(">=", low), _Comparator("<", SemVer(0, 0, patch + 1, (0,)))]


def _primitive(op: str, text: str) -> list[_Comparator]:
    major, minor, patch, pre = _partial(text)
    if major is None:
        return [_Comparator("<", _ZERO)] if op in ("<", ">") else [_Comparator(">=", _ZERO)]
    if patch is not None and minor is not None:
        return [_Comparator(op, SemVer(major, minor, patch, pre))]
    if op == ">":
        return [
            _Comparator(">=", SemVer(major, minor + 1, 0) if minor is not None else SemVer(major + 1, 0, 0))
        ]
    if op == "<=":
        return [_Comparator("<", _upper(major, minor))]
    if op == "<":
        return [_Comparator("<", SemVer(major, minor or 0, 0, (0,)))]
    return [_Comparator(">=", SemVer(major, minor or 0, 0))]


def _hyphen(low: str, high: str) -> list[_Comparator]:
    lmajor, lminor, lpatch, lpre = _partial(low)
    start = [] if lmajor is None else [_Comparator(">=", SemVer(lmajor, lminor or 0, lpatch or 0, lpre))]
    hmajor, hminor, hpatch, hpre = _partial(high)
    if hmajor is None:
        return start or [_Comparator(">=", _ZERO)]
    if hminor is None or hpatch is None:
        return [*start, _Comparator("<", _upper(hmajor, hminor))]
    return [*start, _Comparator("<=", SemVer(hmajor, hminor, hpatch, hpre))]


def _comparator_set(text: str) -> list[_Comparator]:
    hyphen = _HYPHEN.match(text)
    if hyphen is not None:
        return _hyphen(hyphen.group(1), hyphen.group(2))
    joined = re.sub(r"(~>|~|\^|<=|>=|<|>|=)\s+", r"\1", text.strip())
    comparators: list[_Comparator] = []
    for token in joined.split():
        found = _OPERATOR.match(token)
        op, rest = (found.group(1) or "", found.group(2)) if found else ("", token)
        if op in ("~", "~>"):
            comparators.extend(_tilde(rest))
        elif op == "^":
            comparators.extend(_caret(rest))
        elif op in ("", "="):
            comparators.extend(_x_range(rest))
        else:
            comparators.extend(_primitive(op, rest))
    return comparators or [_Comparator(">=", _ZERO)]


def parse_range(text: str) -> list[list[_Comparator]]:
    """Parse a range into comparator sets (OR of ANDs); raise RangeError when npm would not."""
    return [_comparator_set(part) for part in text.split("||")]


def _set_allows(comparators: list[_Comparator], version: SemVer) -> bool:
    if not all(_test(c, version) for c in comparators):
        return False
    if not version.prerelease:
        return True
    return any(
        c.version.prerelease
        and c.version.major == version.major
        and c.version.minor == version.minor
        and c.version.patch == version.patch
        for c in comparators
    )


def satisfies(version: str, range_text: str) -> bool:
    """Return True when `version` is in `range_text`; raise RangeError on unparseable input."""
    parsed = parse_version(version)
    return any(_set_allows(group, parsed) for group in parse_range(range_text))
