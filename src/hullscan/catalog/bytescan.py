"""Cheap byte-marker checks over seekable streams, so heavy parsers run only where they can succeed."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from typing import BinaryIO

from hullscan.catalog.elfstruct import elf_formats

CHUNK = 8 * 1024 * 1024


def contains_any(stream: BinaryIO, needles: Sequence[bytes]) -> bool:
    """Return True if any needle occurs in the stream (read in chunks; position restored)."""
    if isinstance(stream, io.BytesIO):
        data = stream.getvalue()  # shares the buffer of a BytesIO made from bytes: no copy
        return any(needle in data for needle in needles)
    overlap = max(len(n) for n in needles) - 1
    start = stream.tell()
    try:
        stream.seek(0)
        tail = b""
        while chunk := stream.read(CHUNK):
            window = tail + chunk
            if any(needle in window for needle in needles):
                return True
            tail = window[-overlap:] if overlap else b""
        return False
    finally:
        stream.seek(start)


MAX_SECTION_NAMES_BYTES = 1024 * 1024
_SECTION_INDEX_RESERVED = 0xFF00


def elf_section_names(stream: BinaryIO) -> frozenset[bytes] | None:
    """Return the section names of an ELF file, or None when its section table cannot say.

    Reads the ELF header, the section header table and the section name table only. None
    (no table, extended numbering, anything out of bounds) means: fall back to scanning bytes.
    """
    start = stream.tell()
    try:
        return _section_names(stream)
    except (OSError, struct.error, ValueError):
        return None
    finally:
        stream.seek(start)


def _read_exactly(stream: BinaryIO, offset: int, size: int) -> bytes:
    stream.seek(offset)
    data = stream.read(size)
    if len(data) < size:
        raise ValueError("short read")
    return data


def _section_names(stream: BinaryIO) -> frozenset[bytes]:
    header = _read_exactly(stream, 0, 64)  # a 32-bit ELF header is 52 bytes, but no ELF file is that small
    if not header.startswith(b"\x7fELF") or header[4] not in (1, 2) or header[5] not in (1, 2):
        raise ValueError("not ELF")
    layout = elf_formats(32 if header[4] == 1 else 64, little_endian=header[5] == 1)
    shdr = layout.shdr
    shoff, entsize, count, names_index = (layout.ehdr.unpack_from(header)[i] for i in (5, 10, 11, 12))
    if not shoff or not count or names_index >= min(count, _SECTION_INDEX_RESERVED) or entsize < shdr.size:
        raise ValueError("no usable section table")
    table = _read_exactly(stream, shoff, entsize * count)
    names_offset, names_size = shdr.unpack_from(table, names_index * entsize)[4:6]
    if names_size > MAX_SECTION_NAMES_BYTES:
        raise ValueError("implausible section name table")
    strings = _read_exactly(stream, names_offset, names_size)
    offsets = {shdr.unpack_from(table, index * entsize)[0] for index in range(count)}
    if max(offsets) >= names_size:
        raise ValueError("section name out of bounds")
    padded = strings + b"\x00"
    return frozenset(padded[offset : padded.find(b"\x00", offset)] for offset in offsets)
