"""RubyGems versions, ordered like ``Gem::Version#<=>``.

A version is split into digit and letter segments (``-`` means ``.pre.``); a letter segment makes
it a pre-release and sorts below any number (and below the implicit 0 of a shorter version).
Trailing zeros of the numeric part and of the part after the first letter segment are ignored.

>>> RUBYGEMS.compare("1.0.a", "1.0")
-1
>>> RUBYGEMS.compare("1.0.0", "1")
0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hullscan.match.versioning._base import CachedScheme, KeyedVersion
from hullscan.match.versioning._keys import zero_padded_key
from hullscan.match.versioning.interface import InvalidVersionError

_VALID = re.compile(r"[0-9A-Za-z.-]*[0-9A-Za-z][0-9A-Za-z.-]*")
_SEGMENTS = re.compile(r"[0-9]+|[a-zA-Z]+")
_ZERO = (1, 0)


def _drop_trailing_zeros(segments: list[int | str]) -> list[int | str]:
    end = len(segments)
    while end and segments[end - 1] == 0:
        end -= 1
    return segments[:end]


def canonical_segments(text: str) -> list[int | str]:
    """Gem::Version's canonical segments: numeric head and letter tail, each without trailing 0s."""
    segments: list[int | str] = [
        int(s) if s.isdigit() else s for s in _SEGMENTS.findall(text.replace("-", ".pre."))
    ]
    first_letter = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    return _drop_trailing_zeros(segments[:first_letter]) + _drop_trailing_zeros(segments[first_letter:])


@dataclass(frozen=True, slots=True)
class GemVersion(KeyedVersion):
    """A RubyGems version; `prerelease` is true when it has a letter segment."""

    prerelease: bool = field(compare=False, default=False)


class RubyGemsScheme(CachedScheme[GemVersion]):
    """RubyGems ``Gem::Version`` ordering."""

    name = "rubygems"

    def _parse(self, text: str) -> GemVersion:
        stripped = text.strip()
        if not _VALID.fullmatch(stripped):
            raise InvalidVersionError(self.name, text, "not a Gem::Version (digits, letters, '.', '-')")
        segments = canonical_segments(stripped)
        encoded = [(0, s) if isinstance(s, str) else (1, s) for s in segments]
        prerelease = any(isinstance(s, str) for s in segments)
        return GemVersion(zero_padded_key(encoded, _ZERO), text, prerelease)


RUBYGEMS = RubyGemsScheme()
