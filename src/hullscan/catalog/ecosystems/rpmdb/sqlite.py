"""Read header blobs from an SQLite rpmdb (`rpmdb.sqlite`), entirely in memory."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from hullscan.catalog.ecosystems.rpmdb.common import RpmDbError, StoredHeader

SQLITE_MAGIC = b"SQLite format 3\x00"
_WAL_VERSION_OFFSETS = (18, 19)


def _without_wal_flag(content: bytes) -> bytes:
    """Return the image with the WAL read/write versions reset to legacy (1).

    A WAL-mode database cannot be deserialized into memory; the main file alone is a
    consistent snapshot as of the last checkpoint.
    """
    if len(content) > 19 and (content[18] == 2 or content[19] == 2):
        patched = bytearray(content)
        for offset in _WAL_VERSION_OFFSETS:
            patched[offset] = 1
        return bytes(patched)
    return content


def read_sqlite(content: bytes) -> Iterator[StoredHeader]:
    """Yield the blobs of the `Packages` table (hnum order)."""
    connection = sqlite3.connect(":memory:")
    try:
        try:
            connection.deserialize(_without_wal_flag(content))
            rows = connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
        except sqlite3.Error as exc:
            raise RpmDbError(f"unreadable rpmdb.sqlite: {exc}") from exc
    finally:
        connection.close()
    for hnum, blob in rows:
        if isinstance(blob, bytes):
            yield StoredHeader(f"hnum {hnum}", blob=blob)
        else:
            yield StoredHeader(f"hnum {hnum}", problem=f"blob is {type(blob).__name__}, not bytes")
