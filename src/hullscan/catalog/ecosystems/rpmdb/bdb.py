"""Read header blobs from a BerkeleyDB hash database (`Packages`), page by page.

Only what rpm's Packages file uses is understood: the hash metadata page (page 0), hash
pages holding key/data item pairs, and overflow-page chains holding data too large for a
hash page (almost every header). Byte order is taken from the metadata magic. Records are
keyed by a 4-byte package instance number; instance 0 holds a counter, not a header.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from hullscan.catalog.ecosystems.rpmdb.common import RpmDbError, StoredHeader

BDB_HASH_MAGIC = 0x061561
PAGE_HEADER_SIZE = 26
VALID_PAGE_SIZES = frozenset(1 << shift for shift in range(9, 17))
P_HASH_UNSORTED = 2
P_OVERFLOW = 7
P_HASHMETA = 8
P_HASH = 13
H_KEYDATA = 1
H_OFFPAGE = 3
MIN_HEADER_BYTES = 8


@dataclass(frozen=True, slots=True)
class _Meta:
    order: str
    page_size: int
    last_page: int


@dataclass(frozen=True, slots=True)
class _PageHeader:
    next_page: int
    entries: int
    free_offset: int
    page_type: int


def _meta(content: bytes) -> _Meta:
    if len(content) < 512:
        raise RpmDbError(f"BerkeleyDB file of {len(content)} bytes is too short for its metadata page")
    for order in ("<", ">"):
        magic, _version, page_size = struct.unpack_from(f"{order}III", content, 12)
        if magic == BDB_HASH_MAGIC:
            break
    else:
        raise RpmDbError("not a BerkeleyDB hash database (bad magic)")
    encryption, page_type = content[24], content[25]
    if page_size not in VALID_PAGE_SIZES:
        raise RpmDbError(f"BerkeleyDB page size {page_size} is not valid")
    if encryption:
        raise RpmDbError("encrypted BerkeleyDB databases are not supported")
    if page_type != P_HASHMETA:
        raise RpmDbError(f"BerkeleyDB metadata page has type {page_type}, not hash metadata")
    (last_page,) = struct.unpack_from(f"{order}I", content, 32)
    return _Meta(order, page_size, last_page)


def _page_header(content: bytes, meta: _Meta, page: int) -> _PageHeader:
    start = page * meta.page_size
    next_page, entries, free_offset = struct.unpack_from(f"{meta.order}IHH", content, start + 16)
    return _PageHeader(next_page, entries, free_offset, content[start + 25])


def read_bdb(content: bytes) -> Iterator[StoredHeader]:
    """Yield the header blob of every record (instance order as stored in hash pages)."""
    meta = _meta(content)
    available = len(content) // meta.page_size
    for page in range(1, min(meta.last_page + 1, available)):
        header = _page_header(content, meta, page)
        if header.page_type in (P_HASH, P_HASH_UNSORTED):
            yield from _hash_page_items(content, meta, page, header)
    if available <= meta.last_page:
        yield StoredHeader(
            "file",
            problem=f"truncated BerkeleyDB file: {available} of {meta.last_page + 1} pages present",
        )


def _hash_page_items(content: bytes, meta: _Meta, page: int, header: _PageHeader) -> Iterator[StoredHeader]:
    start = page * meta.page_size
    count = header.entries
    if PAGE_HEADER_SIZE + 2 * count > meta.page_size:
        yield StoredHeader(f"page {page}", problem=f"{count} items do not fit on a page")
        return
    offsets = struct.unpack_from(f"{meta.order}{count}H", content, start + PAGE_HEADER_SIZE)
    for pair in range(0, count - 1, 2):
        key = _record_number(content, meta, start, offsets, pair)
        label = f"page {page} record {key}" if key is not None else f"page {page} item {pair}"
        data_offset = offsets[pair + 1]
        if not PAGE_HEADER_SIZE <= data_offset < meta.page_size:
            yield StoredHeader(label, problem=f"item offset {data_offset} is outside the page")
            continue
        item_type = content[start + data_offset]
        if item_type == H_OFFPAGE and data_offset + 12 <= meta.page_size:
            yield _overflow_value(content, meta, start + data_offset, label)
        elif item_type == H_KEYDATA and key != 0:
            end = offsets[pair]
            value = content[start + data_offset + 1 : start + end]
            if len(value) >= MIN_HEADER_BYTES:
                yield StoredHeader(label, blob=value)


def _record_number(
    content: bytes, meta: _Meta, start: int, offsets: tuple[int, ...], pair: int
) -> int | None:
    offset = offsets[pair]
    end = offsets[pair - 1] if pair > 0 else meta.page_size
    if not PAGE_HEADER_SIZE <= offset < meta.page_size or end - offset != 5:
        return None
    if content[start + offset] != H_KEYDATA:
        return None
    (number,) = struct.unpack_from(f"{meta.order}I", content, start + offset + 1)
    return int(number)


def _overflow_value(content: bytes, meta: _Meta, item: int, label: str) -> StoredHeader:
    first_page, total = struct.unpack_from(f"{meta.order}II", content, item + 4)
    parts: list[bytes] = []
    seen: set[int] = set()
    page = first_page
    collected = 0
    while page != 0:
        if page in seen or (page + 1) * meta.page_size > len(content):
            return StoredHeader(label, problem=f"overflow chain broken at page {page}")
        seen.add(page)
        header = _page_header(content, meta, page)
        length = header.free_offset
        if header.page_type != P_OVERFLOW or length > meta.page_size - PAGE_HEADER_SIZE:
            return StoredHeader(label, problem=f"page {page} is not a valid overflow page")
        start = page * meta.page_size + PAGE_HEADER_SIZE
        parts.append(content[start : start + length])
        collected += length
        page = header.next_page
    if collected != total:
        return StoredHeader(label, problem=f"overflow data has {collected} bytes, {total} announced")
    return StoredHeader(label, blob=b"".join(parts))
