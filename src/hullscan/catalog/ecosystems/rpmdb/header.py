"""Decode one RPM header blob as the rpm database stores it (index entries + data store).

A stored header has no lead and no header magic: two big-endian 32-bit counts (index entries,
data bytes), the index entries (tag, type, offset, count; 16 bytes each), then the data store.
Every offset and count is checked against the blob, so a truncated blob raises
`HeaderError` instead of reading past its end.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum


class HeaderError(ValueError):
    """The blob is not a well-formed RPM header."""


class TagType(IntEnum):
    """The data types of header entries (rpmTagType)."""

    NULL = 0
    CHAR = 1
    INT8 = 2
    INT16 = 3
    INT32 = 4
    INT64 = 5
    STRING = 6
    BIN = 7
    STRING_ARRAY = 8
    I18NSTRING = 9


class Tag(IntEnum):
    """The header tags the cataloger reads (rpmTag numbers)."""

    NAME = 1000
    VERSION = 1001
    RELEASE = 1002
    EPOCH = 1003
    SUMMARY = 1004
    SIZE = 1009
    VENDOR = 1011
    LICENSE = 1014
    URL = 1020
    ARCH = 1022
    OLDFILENAMES = 1027
    FILEDIGESTS = 1035
    SOURCERPM = 1044
    PROVIDENAME = 1047
    REQUIRENAME = 1049
    DIRINDEXES = 1116
    BASENAMES = 1117
    DIRNAMES = 1118
    LONGSIZE = 5009
    FILEDIGESTALGO = 5011
    MODULARITYLABEL = 5096


MAX_INDEX_ENTRIES = 0xFFFF
MAX_DATA_BYTES = 256 * 1024 * 1024
_PREAMBLE = struct.Struct(">II")
_ENTRY = struct.Struct(">iIiI")
_INT_FORMATS = {
    TagType.INT8: "B",
    TagType.CHAR: "B",
    TagType.INT16: "H",
    TagType.INT32: "I",
    TagType.INT64: "Q",
}


@dataclass(frozen=True, slots=True)
class _Entry:
    type: int
    offset: int
    count: int


class Header:
    """Random access to the entries of one header blob; values decoded on demand."""

    __slots__ = ("_data", "_entries")

    def __init__(self, blob: bytes) -> None:
        if len(blob) < _PREAMBLE.size:
            raise HeaderError(f"header blob of {len(blob)} bytes is shorter than its 8-byte preamble")
        index_count, data_length = _PREAMBLE.unpack_from(blob)
        if not 0 < index_count <= MAX_INDEX_ENTRIES or data_length > MAX_DATA_BYTES:
            raise HeaderError(f"implausible header sizes ({index_count} entries, {data_length} data bytes)")
        data_start = _PREAMBLE.size + index_count * _ENTRY.size
        if len(blob) < data_start + data_length:
            raise HeaderError(f"truncated header: {len(blob)} bytes, {data_start + data_length} needed")
        self._data = blob[data_start : data_start + data_length]
        self._entries = dict(self._read_index(blob, index_count))

    def _read_index(self, blob: bytes, index_count: int) -> Iterator[tuple[int, _Entry]]:
        for position in range(index_count):
            tag, tag_type, offset, count = _ENTRY.unpack_from(blob, _PREAMBLE.size + position * _ENTRY.size)
            if tag_type > TagType.I18NSTRING or offset < 0 or offset > len(self._data):
                raise HeaderError(f"index entry {position} (tag {tag}) points outside the data store")
            yield tag, _Entry(tag_type, offset, count)

    def __contains__(self, tag: int) -> bool:
        return tag in self._entries

    def strings(self, tag: int) -> list[str]:
        """Return a string or string-array tag as a list (empty when absent)."""
        entry = self._entries.get(tag)
        if entry is None:
            return []
        if entry.type not in (TagType.STRING, TagType.STRING_ARRAY, TagType.I18NSTRING):
            raise HeaderError(f"tag {tag} has type {entry.type}, not a string")
        count = 1 if entry.type == TagType.STRING else entry.count
        if count > len(self._data):
            raise HeaderError(f"tag {tag} claims {count} strings in a {len(self._data)}-byte store")
        values: list[str] = []
        position = entry.offset
        for _ in range(count):
            end = self._data.find(b"\x00", position)
            if end < 0:
                raise HeaderError(f"tag {tag}: string runs past the end of the data store")
            values.append(self._data[position:end].decode("utf-8", "replace"))
            position = end + 1
        return values

    def string(self, tag: int) -> str | None:
        """Return the first string of a tag, or None when absent."""
        values = self.strings(tag)
        return values[0] if values else None

    def integers(self, tag: int) -> list[int]:
        """Return an integer tag's values (empty when absent)."""
        entry = self._entries.get(tag)
        if entry is None:
            return []
        code = _INT_FORMATS.get(TagType(entry.type))
        if code is None:
            raise HeaderError(f"tag {tag} has type {entry.type}, not an integer")
        if entry.offset + entry.count * struct.calcsize(code) > len(self._data):
            raise HeaderError(f"tag {tag}: {entry.count} values run past the end of the data store")
        layout = struct.Struct(f">{entry.count}{code}")
        return list(layout.unpack_from(self._data, entry.offset))

    def integer(self, tag: int) -> int | None:
        """Return the first value of an integer tag, or None when absent."""
        values = self.integers(tag)
        return values[0] if values else None
