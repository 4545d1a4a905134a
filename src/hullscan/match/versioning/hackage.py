"""Hackage (Haskell) package versions: dot-separated integers compared as lists (``1.0 < 1.0.0``).

>>> HACKAGE.compare("1.0.0", "1.0")
1
"""

from __future__ import annotations

import re

from hullscan.match.versioning._base import CachedScheme, KeyedVersion
from hullscan.match.versioning.interface import InvalidVersionError

_HACKAGE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


class HackageScheme(CachedScheme[KeyedVersion]):
    """Haskell ``Data.Version`` ordering of numeric branches."""

    name = "hackage"

    def _parse(self, text: str) -> KeyedVersion:
        if not _HACKAGE.fullmatch(text):
            raise InvalidVersionError(self.name, text, "expected integers separated by '.'")
        return KeyedVersion(tuple(int(n) for n in text.split(".")), text)


HACKAGE = HackageScheme()
