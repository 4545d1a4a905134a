"""The contract every version scheme honours: parse text into an ordered key, compare two strings.

A *scheme* knows one ecosystem's ordering rules (dpkg, rpm, PEP 440, ...). It turns a version
string into a frozen, hashable, totally ordered `Version` object, so matchers can sort, bisect and
compare without knowing which ecosystem they are looking at.
"""

from __future__ import annotations

from typing import Protocol, Self, runtime_checkable

from hullscan.errors import HullscanError


class InvalidVersionError(HullscanError, ValueError):
    """A version string cannot be understood by the scheme it was given to."""

    hint = (
        "Check that the version belongs to the package's ecosystem (a Debian version for a .deb, "
        "a PEP 440 version for a Python package, ...); the advisory or inventory may be malformed."
    )

    def __init__(self, scheme: str, text: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"invalid {scheme} version {text!r}: {reason}", hint=hint)
        self.scheme = scheme
        self.text = text
        self.reason = reason


@runtime_checkable
class Version(Protocol):
    """A parsed version: immutable, hashable and totally ordered against versions of its scheme."""

    @property
    def text(self) -> str:
        """The string this version was parsed from, unchanged."""
        ...

    def __lt__(self, other: Self, /) -> bool: ...
    def __le__(self, other: Self, /) -> bool: ...
    def __gt__(self, other: Self, /) -> bool: ...
    def __ge__(self, other: Self, /) -> bool: ...
    def __hash__(self) -> int: ...


class VersionScheme(Protocol):
    """One ecosystem's version syntax and ordering."""

    @property
    def name(self) -> str:
        """Short scheme name, e.g. ``dpkg`` or ``pep440``."""
        ...

    def parse(self, text: str) -> Version:
        """Parse `text`; raise `InvalidVersionError` (with a hint) if it cannot be a version here."""
        ...

    def compare(self, a: str, b: str) -> int:
        """Return -1, 0 or 1 as `a` sorts before, equal to or after `b` in this scheme."""
        ...


def reject_blank(scheme: str, text: str) -> None:
    """Raise `InvalidVersionError` for empty strings or strings with whitespace or control chars."""
    if not text:
        raise InvalidVersionError(scheme, text, "empty version string")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidVersionError(
            scheme,
            text,
            "contains whitespace or control characters",
            hint="Strip surrounding whitespace; a version is a single token.",
        )


def sign(value: int) -> int:
    """Return -1, 0 or 1 with the sign of `value`."""
    return (value > 0) - (value < 0)
