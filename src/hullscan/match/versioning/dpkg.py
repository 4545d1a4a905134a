"""Debian package versions (dpkg, also Ubuntu): ``[epoch:]upstream[-revision]`` with ``~`` sorting first.

The comparison follows dpkg's ``verrevcmp``: alternating non-digit and digit runs; non-digits
weigh letters < other characters, ``~`` below everything including the end of the string; digit
runs compare as integers. Each part is flattened to integers once and turned into a tuple key
(`zero_padded_key`), so `compare` costs two cache look-ups and one tuple comparison.

>>> DPKG.compare("1.0~rc1-1", "1.0-1")
-1
>>> DPKG.compare("1:0.9", "2.0")
1
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from hullscan.match.versioning._base import PARSE_CACHE_SIZE, CachedScheme, KeyedVersion
from hullscan.match.versioning._keys import zero_padded_key
from hullscan.match.versioning.interface import InvalidVersionError, reject_blank

_RUNS = re.compile(rb"([^0-9]*)([0-9]*)")
_EPOCH = re.compile(r"[0-9]+")


def _byte_weight(byte: int) -> int:
    """Weight of one byte in dpkg's lexical comparison (``order()`` in lib/dpkg/version.c)."""
    if byte == 0x7E:  # "~" sorts before everything, even the end of the string
        return -1
    if 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A:  # ASCII letters
        return byte
    if byte >= 0x80:  # a signed char in C: (byte - 256) + 256
        return byte
    return byte + 256


_WEIGHTS = tuple(_byte_weight(b) for b in range(256))


def _flatten(part: str) -> list[int]:
    """Flatten a dpkg version part into lexical weights, 0 terminators and integers."""
    flat: list[int] = []
    for lexical, digits in _RUNS.findall(part.encode("utf-8", "surrogateescape")):
        flat.extend(_WEIGHTS[b] for b in lexical)
        flat.append(0)
        flat.append(int(digits) if digits else 0)
    return flat


@dataclass(frozen=True, slots=True)
class DpkgVersion(KeyedVersion):
    """A parsed Debian version; ordered exactly like ``dpkg --compare-versions``."""

    epoch: int = field(compare=False, default=0)
    upstream: str = field(compare=False, default="")
    revision: str = field(compare=False, default="")

    def format(self) -> str:
        """Return the canonical spelling (epoch only when non-zero, revision only when given)."""
        epoch = f"{self.epoch}:" if self.epoch else ""
        revision = f"-{self.revision}" if self.revision else ""
        return f"{epoch}{self.upstream}{revision}"


def split_dpkg(text: str) -> tuple[int, str, str]:
    """Split a Debian version into (epoch, upstream, revision); raise on structural errors."""
    reject_blank("dpkg", text)
    epoch = 0
    rest = text
    if ":" in text:
        head, rest = text.split(":", 1)
        if not _EPOCH.fullmatch(head):
            raise InvalidVersionError(
                "dpkg", text, "epoch is not a number", hint="A Debian epoch is digits before the first ':'."
            )
        epoch = int(head)
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    if not upstream:
        raise InvalidVersionError("dpkg", text, "empty upstream version")
    if dash and not revision:
        raise InvalidVersionError("dpkg", text, "empty revision after '-'")
    return epoch, upstream, revision


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def dpkg_key(text: str) -> tuple[object, ...]:
    """Return the ordering key of a Debian version string (cached)."""
    epoch, upstream, revision = split_dpkg(text)
    return (epoch, zero_padded_key(_flatten(upstream), 0), zero_padded_key(_flatten(revision), 0))


def compare_dpkg(a: str, b: str) -> int:
    """Return -1, 0 or 1 like ``dpkg --compare-versions a lt/eq/gt b``."""
    ka = dpkg_key(a)
    kb = dpkg_key(b)
    if ka == kb:
        return 0
    return 1 if ka > kb else -1


class DpkgScheme(CachedScheme[DpkgVersion]):
    """Debian / Ubuntu version ordering (dpkg)."""

    name = "dpkg"

    def _parse(self, text: str) -> DpkgVersion:
        epoch, upstream, revision = split_dpkg(text)
        return DpkgVersion(dpkg_key(text), text, epoch, upstream, revision)

    def compare(self, a: str, b: str) -> int:
        """Return -1, 0 or 1 like ``dpkg --compare-versions``."""
        return compare_dpkg(a, b)


DPKG = DpkgScheme()
