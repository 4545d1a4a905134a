"""Struct layouts of ELF headers by class and byte order, shared by every reader of raw ELF bytes."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class ElfFormats:
    """Struct layouts of one ELF class and byte order."""

    ehdr: struct.Struct
    phdr: struct.Struct
    shdr: struct.Struct
    dyn: struct.Struct
    nhdr: struct.Struct
    word: int
    """Address / xword width (4 or 8)."""
    rel: int
    rela: int


@cache
def elf_formats(elfclass: int, little_endian: bool) -> ElfFormats:
    """Return the layouts for ELFCLASS32/64 (`elfclass` 32 or 64) in the given byte order."""
    e = "<" if little_endian else ">"
    if elfclass == 64:
        return ElfFormats(
            ehdr=struct.Struct(e + "16xHHIQQQIHHHHHH"),
            phdr=struct.Struct(e + "IIQQQQQQ"),
            shdr=struct.Struct(e + "IIQQQQIIQQ"),
            dyn=struct.Struct(e + "qQ"),
            nhdr=struct.Struct(e + "III"),
            word=8,
            rel=16,
            rela=24,
        )
    return ElfFormats(
        ehdr=struct.Struct(e + "16xHHIIIIIHHHHHH"),
        phdr=struct.Struct(e + "IIIIIIII"),
        shdr=struct.Struct(e + "IIIIIIIIII"),
        dyn=struct.Struct(e + "iI"),
        nhdr=struct.Struct(e + "III"),
        word=4,
        rel=8,
        rela=12,
    )
