"""CRAN (R) package versions: integers separated by ``.`` or ``-``, compared as integer lists.

A longer list sorts after its prefix (``0.1.0 < 0.1.0.0``), as R's ``package_version`` does.

>>> CRAN.compare("0.9", "0.75")
-1
"""

from __future__ import annotations

import re

from hullscan.match.versioning._base import CachedScheme, KeyedVersion
from hullscan.match.versioning.interface import InvalidVersionError

_CRAN = re.compile(r"[0-9]+(?:[.-][0-9]+)*")


class CranScheme(CachedScheme[KeyedVersion]):
    """R package version ordering."""

    name = "cran"

    def _parse(self, text: str) -> KeyedVersion:
        if not _CRAN.fullmatch(text):
            raise InvalidVersionError(self.name, text, "expected integers separated by '.' or '-'")
        return KeyedVersion(tuple(int(n) for n in re.split(r"[.-]", text)), text)


CRAN = CranScheme()
