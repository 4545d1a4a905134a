"""Maven versions, ordered by the POM "Version Order Specification" (as ComparableVersion does).

A version is split into tokens at ``.``, ``-`` and digit/letter transitions (a transition counts
as ``-``); each token remembers its separator. Trailing null tokens (``0``, ``""``, ``final``,
``ga``, ``release``) are trimmed at the end of each hyphen group. Tokens then compare pairwise,
the shorter version padded with nulls: same separator -> numbers numerically and above
qualifiers, qualifiers ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final < sp``,
unknown qualifiers after those, alphabetically; different separators ->
``.qualifier < -qualifier < -number < .number``.

>>> MAVEN.compare("1.0-alpha-1", "1.0")
-1
>>> MAVEN.compare("1.0.0", "1-ga")
0
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hullscan.match.versioning._base import CachedScheme, CmpVersion

_RAW = re.compile(r"([.-]?)([^.-]*)")
_TRANSITION = re.compile(r"[0-9]+|[^0-9]+")
_KEYWORDS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_KEYWORD_RANK = {word: rank for rank, word in enumerate(_KEYWORDS)}
_UNKNOWN_RANK = len(_KEYWORDS)
_ALIASES = {"cr": "rc", "ga": "", "final": "", "release": ""}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_NULL_VALUES = frozenset({"0", ""})
# Order between tokens with different separators.
_DOT_QUALIFIER, _DASH_QUALIFIER, _DASH_NUMBER, _DOT_NUMBER = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class MavenToken:
    """One token: its separator (``""`` for the first, ``.`` or ``-``) and lower-cased value."""

    sep: str
    value: str
    padding: bool = False

    @property
    def numeric(self) -> bool:
        """True for an all-digit token."""
        return self.value.isdigit()

    def separator_rank(self) -> int:
        """Rank for comparing tokens whose separators differ."""
        if self.numeric:
            return _DASH_NUMBER if self.sep == "-" else _DOT_NUMBER
        return _DASH_QUALIFIER if self.sep == "-" else _DOT_QUALIFIER

    def less_than(self, other: MavenToken) -> bool:
        """Strict order between two unequal tokens."""
        if self.sep != other.sep:
            return self.separator_rank() < other.separator_rank()
        if self.numeric and other.numeric:
            return int(self.value) < int(other.value)
        if self.numeric and not self.padding:
            return False
        if other.numeric and not other.padding:
            return True
        mine = _KEYWORD_RANK.get(self.value, _UNKNOWN_RANK)
        theirs = _KEYWORD_RANK.get(other.value, _UNKNOWN_RANK)
        if mine == theirs == _UNKNOWN_RANK:
            return self.value < other.value
        return mine < theirs


def _padding_for(token: MavenToken) -> MavenToken:
    """The null token standing in for a missing position opposite `token`."""
    if token.sep == "-":
        return MavenToken("-", "", padding=True)
    return MavenToken(token.sep, "" if token.value == "sp" else "0", padding=True)


def _normalise(piece: str, followed_by_more: bool) -> str:
    value = piece.lower() or "0"
    value = _ALIASES.get(value, value)
    if followed_by_more:
        value = _SHORT.get(value, value)
    if value.isdigit():
        value = str(int(value))
    return value


def tokenize(text: str) -> tuple[MavenToken, ...]:
    """Split and normalise a Maven version into tokens, trailing nulls trimmed per hyphen group."""
    tokens: list[MavenToken] = []
    for match in _RAW.finditer(text):
        if match.start() == len(text) and match.start() > 0 and not match.group(1):
            break
        sep, raw = match.group(1), match.group(2)
        pieces = _TRANSITION.findall(raw) or [""]
        for index, piece in enumerate(pieces):
            piece_sep = sep if index == 0 else "-"
            tokens.append(MavenToken(piece_sep, _normalise(piece, index < len(pieces) - 1)))
    return tuple(_trim(tokens))


def _trim(tokens: list[MavenToken]) -> list[MavenToken]:
    index = len(tokens) - 1
    while index > 0:
        if tokens[index].value in _NULL_VALUES:
            del tokens[index]
            index -= 1
            continue
        while index >= 0 and tokens[index].sep != "-":
            index -= 1
        index -= 1
    return tokens


@dataclass(frozen=True, slots=True, eq=False)
class MavenVersion(CmpVersion):
    """A parsed Maven version (tokens as described in the module docstring)."""

    text: str
    tokens: tuple[MavenToken, ...]

    def _less_than(self, other: MavenVersion) -> bool:
        mine, theirs = self.tokens, other.tokens
        for index in range(max(len(mine), len(theirs))):
            left = mine[index] if index < len(mine) else _padding_for(theirs[index])
            right = theirs[index] if index < len(theirs) else _padding_for(mine[index])
            if (left.sep, left.value) != (right.sep, right.value):
                return left.less_than(right)
        return False

    def cmp(self, other: MavenVersion) -> int:
        """Three-way comparison in Maven order."""
        if self.hash_key() == other.hash_key():
            return 0
        return -1 if self._less_than(other) else 1

    def hash_key(self) -> object:
        """Versions are equal exactly when their normalised tokens are."""
        return tuple((t.sep, t.value) for t in self.tokens)


class MavenScheme(CachedScheme[MavenVersion]):
    """Maven artifact version ordering."""

    name = "maven"

    def _parse(self, text: str) -> MavenVersion:
        return MavenVersion(text, tokenize(text))


MAVEN = MavenScheme()
