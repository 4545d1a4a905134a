"""Fallback ordering for ecosystems without a dedicated scheme: rpmvercmp-style natural order.

Separators are ignored except as boundaries, digit runs compare numerically and above letter
runs, letters compare case-sensitively, ``~`` sorts first. It is a reasonable guess, never proof.

>>> GENERIC.compare("1.10", "1.9")
1
"""

from __future__ import annotations

from hullscan.match.versioning._base import CachedScheme, KeyedVersion
from hullscan.match.versioning.rpm import part_key


class GenericScheme(CachedScheme[KeyedVersion]):
    """Natural (rpmvercmp-like) ordering for unknown ecosystems."""

    name = "generic"

    def _parse(self, text: str) -> KeyedVersion:
        return KeyedVersion(part_key(text), text)


GENERIC = GenericScheme()
