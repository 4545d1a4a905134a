"""Python package versions (PEP 440), ordered by `packaging.version.Version`.

Strings that are not valid PEP 440 (old PyPI uploads such as ``0.9.beta`` or ``1.0-bulbasaur``)
are ordered the way setuptools' legacy parser did: below every valid version, among themselves by
a normalised token list. That keeps ranges in old advisories usable instead of failing them.

>>> PEP440.compare("1.0rc1", "1.0")
-1
>>> PEP440.compare("1.0.post1", "1.0")
1
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from packaging.version import InvalidVersion
from packaging.version import Version as PackagingVersion

from hullscan.match.versioning._base import CachedScheme, KeyedVersion

_LEGACY_PARTS = re.compile(r"(\d+|[a-z]+|\.|-)")
_LEGACY_REPLACE = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}
_LEGACY, _VALID = 0, 1
# Stand-ins for packaging's Infinity / NegativeInfinity inside plain tuples.
_BELOW, _PRESENT, _ABOVE = (0,), 1, (2,)


def _legacy_parts(text: str) -> list[str]:
    """Tokens of a legacy (pre-PEP 440) version: zero-padded numbers, ``*``-tagged words."""
    parts: list[str] = []
    for raw in _LEGACY_PARTS.split(text.lower()):
        token = _LEGACY_REPLACE.get(raw, raw)
        if token in ("", "."):
            continue
        parts.append(token.zfill(8) if token[0].isdigit() else "*" + token)
    parts.append("*final")
    return parts


def legacy_key(text: str) -> tuple[str, ...]:
    """Order key setuptools gave non-PEP 440 versions (trailing zeros and ``final-`` dropped)."""
    key: list[str] = []
    for part in _legacy_parts(text):
        if part.startswith("*"):
            if part < "*final":
                while key and key[-1] == "*final-":
                    key.pop()
            while key and key[-1] == "00000000":
                key.pop()
        key.append(part)
    return tuple(key)


def pep440_key(version: PackagingVersion) -> tuple[object, ...]:
    """PEP 440 order as a plain tuple (the same order as `packaging`'s own comparison key)."""
    release = list(version.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if version.pre is None and version.post is None and version.dev is not None:
        pre: tuple[object, ...] = _BELOW  # 1.0.dev0 sorts before 1.0a0
    elif version.pre is None:
        pre = _ABOVE
    else:
        pre = (_PRESENT, *version.pre)
    post = _BELOW if version.post is None else (_PRESENT, version.post)
    dev = _ABOVE if version.dev is None else (_PRESENT, version.dev)
    local: tuple[object, ...] = _BELOW
    if version.local is not None:
        parts = version.local.split(".")
        local = (_PRESENT, tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts))
    return (version.epoch, tuple(release), pre, post, dev, local)


@dataclass(frozen=True, slots=True)
class Pep440Version(KeyedVersion):
    """A Python version; `parsed` is the `packaging` object, or None for a legacy string."""

    parsed: PackagingVersion | None = field(compare=False, default=None)

    def format(self) -> str:
        """Return the normalised PEP 440 spelling (the original text for legacy versions)."""
        return str(self.parsed) if self.parsed is not None else self.text


class Pep440Scheme(CachedScheme[Pep440Version]):
    """PEP 440 ordering, with setuptools' legacy order below it for invalid strings."""

    name = "pep440"

    def _parse(self, text: str) -> Pep440Version:
        try:
            parsed = PackagingVersion(text)
        except InvalidVersion:
            return Pep440Version((_LEGACY, legacy_key(text)), text, None)
        return Pep440Version((_VALID, pep440_key(parsed)), text, parsed)


PEP440 = Pep440Scheme()
