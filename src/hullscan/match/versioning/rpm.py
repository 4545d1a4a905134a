"""RPM versions (Red Hat, AlmaLinux, Rocky, SUSE, openSUSE, ...): ``[epoch:]version[-release]``.

Ordering follows ``rpmvercmp``: separators are ignored except as boundaries, digit runs compare
numerically and beat letter runs, ``~`` sorts before anything (even the end) and ``^`` after the
end but before any further segment. Each part is tokenised once into a tuple key.

>>> RPM.compare("1.0~rc1", "1.0")
-1
>>> RPM.compare("1.0^git1", "1.0")
1
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hullscan.match.versioning._base import CachedScheme, KeyedVersion

_TOKENS = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")
# Token ranks: the order rpmvercmp gives to what can stand at one position.
_TILDE, _END, _CARET, _ALPHA, _DIGITS = 0, 1, 2, 3, 4
_MARKS = {"~": (_TILDE,), "^": (_CARET,)}
_EMPTY: tuple[tuple[int, ...], ...] = ((-1,),)  # an absent part sorts before any present one


def part_key(part: str) -> tuple[tuple[object, ...], ...]:
    """Key of one EVR part: a tuple of ranked tokens closed by an end marker."""
    if not part:
        return _EMPTY
    tokens: list[tuple[object, ...]] = []
    for token in _TOKENS.findall(part):
        if token in _MARKS:
            tokens.append(_MARKS[token])
        elif token[0].isdigit():
            tokens.append((_DIGITS, int(token)))
        else:
            tokens.append((_ALPHA, token))
    tokens.append((_END,))
    return tuple(tokens)


def split_evr(text: str) -> tuple[str, str, str]:
    """Split ``[epoch:]version[-release]``; a prefix before ':' is an epoch only if all digits."""
    epoch, colon, rest = text.partition(":")
    if not colon or not epoch.isdigit() or not epoch.isascii():
        epoch, rest = "", text
    version, dash, release = rest.partition("-")
    return epoch or "0", version, (dash + release)


@dataclass(frozen=True, slots=True)
class RpmVersion(KeyedVersion):
    """A parsed RPM EVR ordered like ``rpmvercmp`` applied to epoch, version and release."""

    epoch: str = field(compare=False, default="0")
    version: str = field(compare=False, default="")
    release: str = field(compare=False, default="")


class RpmScheme(CachedScheme[RpmVersion]):
    """RPM (rpmvercmp) ordering of ``[epoch:]version[-release]``."""

    name = "rpm"

    def _parse(self, text: str) -> RpmVersion:
        epoch, version, release = split_evr(text)
        key = (part_key(epoch), part_key(version), part_key(release))
        return RpmVersion(key, text, epoch, version, release.removeprefix("-"))


RPM = RpmScheme()
