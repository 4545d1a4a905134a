"""Who owns each regular file of an image: an OS package, a language package, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OwnerClass(StrEnum):
    """The kind of owner a file has."""

    OS = "os"
    """Listed by an OS package database (dpkg `.list`, rpm, apk)."""
    LANGUAGE = "language"
    """Listed by a language package (RECORD, node_modules directory, Go binary ...)."""
    UNOWNED = "unowned"
    """No package claims it: copied in, generated at install time, or built in place."""


class ElfKind(StrEnum):
    """What an unowned ELF file is (from the `elf` content analysis)."""

    EXECUTABLE = "executable"
    SHARED_LIBRARY = "shared-library"
    OBJECT = "object"
    CORE = "core"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class UnownedFile:
    """A regular file no package owns: where it is, how big, and whether it is native code."""

    path: str
    size: int
    layer_digest: str | None
    elf: ElfKind | None = None

    def __reduce__(self) -> tuple[type[UnownedFile], tuple[str, int, str | None, ElfKind | None]]:
        """Pickle as a constructor call (three times faster to load than the dataclass default).

        An image has tens of thousands of unowned files; the default `__setstate__` looks up the
        dataclass fields again for each one.
        """
        return (UnownedFile, (self.path, self.size, self.layer_digest, self.elf))


@dataclass(frozen=True, slots=True)
class OwnershipTotal:
    """How many files and bytes one owner class (or one package type) accounts for."""

    owner: str
    """An `OwnerClass` value, or a package type (`deb`, `python` ...) in `by_type`."""
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class FileOwnershipSummary:
    """Ownership totals of the visible regular files, and the list of unowned ones."""

    by_class: tuple[OwnershipTotal, ...] = ()
    by_type: tuple[OwnershipTotal, ...] = ()
    unowned: tuple[UnownedFile, ...] = ()

    @property
    def total_files(self) -> int:
        """Return the number of regular files considered."""
        return sum(t.files for t in self.by_class)

    @property
    def total_bytes(self) -> int:
        """Return the bytes of the regular files considered."""
        return sum(t.bytes for t in self.by_class)

    def of(self, owner: OwnerClass) -> OwnershipTotal:
        """Return the totals of one owner class (zero when absent)."""
        for total in self.by_class:
            if total.owner == owner.value:
                return total
        return OwnershipTotal(owner.value, 0, 0)
