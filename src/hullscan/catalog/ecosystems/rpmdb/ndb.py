"""Read header blobs from an NDB rpmdb (`Packages.db`, SUSE's rpm backend).

Layout (rpm lib/backend/ndb/rpmpkg.c): a 32-byte header (magic `RpmP`, version, generation,
slot page count), slot pages of 16-byte slots (magic `Slot`, package index, block offset,
block count; the header takes the first two slot positions), then blobs addressed in 16-byte
blocks, each starting with a 16-byte blob header (magic `BlbS`, package index, generation,
length). All integers are little-endian.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from hullscan.catalog.ecosystems.rpmdb.common import RpmDbError, StoredHeader

NDB_MAGIC = b"RpmP"
SLOT_MAGIC = b"Slot"
BLOB_MAGIC = b"BlbS"
PAGE_SIZE = 4096
BLOCK_SIZE = 16
MAX_SLOT_PAGES = 2048
_QUAD = struct.Struct("<4sIII")


def read_ndb(content: bytes) -> Iterator[StoredHeader]:
    """Yield the blob of every used slot, in slot order."""
    if len(content) < 32 or content[:4] != NDB_MAGIC:
        raise RpmDbError("not an NDB Packages.db (bad magic)")
    _, version, _, slot_pages = _QUAD.unpack_from(content)
    if version != 0 or not 0 < slot_pages <= MAX_SLOT_PAGES:
        raise RpmDbError(f"unsupported NDB header (version {version}, {slot_pages} slot pages)")
    slot_end = slot_pages * PAGE_SIZE
    if len(content) < slot_end:
        raise RpmDbError(f"truncated NDB file: {len(content)} bytes, slot pages need {slot_end}")
    for position, offset in enumerate(range(2 * BLOCK_SIZE, slot_end, BLOCK_SIZE)):
        magic, package_index, block_offset, _ = _QUAD.unpack_from(content, offset)
        if magic != SLOT_MAGIC:
            raise RpmDbError(f"slot {position}: bad slot magic {magic!r}")
        if package_index:
            yield _blob(content, position, package_index, block_offset * BLOCK_SIZE)


def _blob(content: bytes, position: int, package_index: int, start: int) -> StoredHeader:
    key = f"slot {position} (package {package_index})"
    if start + _QUAD.size > len(content):
        return StoredHeader(key, problem=f"blob offset {start} is past the end of the file")
    magic, blob_index, _, length = _QUAD.unpack_from(content, start)
    if magic != BLOB_MAGIC or blob_index != package_index:
        return StoredHeader(key, problem=f"no blob for package {package_index} at offset {start}")
    body = start + _QUAD.size
    if body + length > len(content):
        return StoredHeader(key, problem=f"truncated blob: {length} bytes announced at offset {body}")
    return StoredHeader(key, blob=content[body : body + length])
