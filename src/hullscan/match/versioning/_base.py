"""Shared building blocks for schemes: a key-ordered version value and a caching scheme base.

Most schemes reduce a version to a tuple key once (cached), after which every comparison is a
single tuple comparison. Schemes whose reference order is not a strict total order (Packagist,
Maven) compare with a function instead, through `CmpVersion`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from hullscan.match.versioning.interface import reject_blank, sign

if TYPE_CHECKING:
    from collections.abc import Callable

#: How many distinct strings each scheme remembers parses for.
PARSE_CACHE_SIZE = 1 << 16


@dataclass(frozen=True, slots=True)
class KeyedVersion:
    """A version ordered, compared and hashed by its precomputed `key` alone."""

    key: tuple[Any, ...] = field(repr=False)
    text: str = field(compare=False)

    # Hand-written (not dataclass order=True) to skip building a tuple per comparison.
    def __lt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self.key < other.key)

    def __le__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self.key <= other.key)

    def __gt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self.key > other.key)

    def __ge__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self.key >= other.key)

    def __str__(self) -> str:
        return self.text


class CmpVersion(ABC):
    """A version ordered by a three-way `cmp`; `hash_key` must agree with `cmp(...) == 0`."""

    __slots__ = ()
    # Subclasses are slotted dataclasses with a `text: str` field (the string parsed from).
    text: str

    @abstractmethod
    def cmp(self, other: Any) -> int:
        """Return -1, 0 or 1 comparing self with `other` (same class)."""

    @abstractmethod
    def hash_key(self) -> object:
        """Return a value equal for every pair of versions that compare equal."""

    def _check(self, other: object) -> bool:
        return type(other) is type(self)

    def __lt__(self, other: object) -> bool:
        if not self._check(other):
            return NotImplemented
        return self.cmp(other) < 0

    def __le__(self, other: object) -> bool:
        if not self._check(other):
            return NotImplemented
        return self.cmp(other) <= 0

    def __gt__(self, other: object) -> bool:
        if not self._check(other):
            return NotImplemented
        return self.cmp(other) > 0

    def __ge__(self, other: object) -> bool:
        if not self._check(other):
            return NotImplemented
        return self.cmp(other) >= 0

    def __eq__(self, other: object) -> bool:
        if not self._check(other):
            return NotImplemented
        return self.cmp(other) == 0

    def __hash__(self) -> int:
        return hash(self.hash_key())

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


V = TypeVar("V", bound=KeyedVersion | CmpVersion)


class CachedScheme(ABC, Generic[V]):
    """A scheme that parses each distinct string once and compares parsed values."""

    name: str = "abstract"

    def __init__(self) -> None:
        self._cached: Callable[[str], V] = lru_cache(maxsize=PARSE_CACHE_SIZE)(self._checked)

    def _checked(self, text: str) -> V:
        reject_blank(self.name, text)
        return self._parse(text)

    @abstractmethod
    def _parse(self, text: str) -> V:
        """Parse a non-blank string (uncached); raise `InvalidVersionError` when invalid."""

    def parse(self, text: str) -> V:
        """Parse `text` (cached); raise `InvalidVersionError` when it is not a valid version."""
        return self._cached(text)

    def compare(self, a: str, b: str) -> int:
        """Return -1, 0 or 1 as `a` sorts before, equal to or after `b`."""
        va = self._cached(a)
        vb = self._cached(b)
        if isinstance(va, CmpVersion):
            return sign(va.cmp(vb))
        if va == vb:
            return 0
        return -1 if va < vb else 1

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
