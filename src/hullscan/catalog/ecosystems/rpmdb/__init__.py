"""Read RPM header blobs out of an rpm database file without the rpm binary.

Three storage formats exist: SQLite `rpmdb.sqlite` (Fedora 33+, RHEL 9+), BerkeleyDB hash
`Packages` (RHEL ≤ 8, CentOS, Amazon Linux 2) and NDB `Packages.db` (SUSE). `read_headers`
sniffs the format from the first bytes and yields one `StoredHeader` per package record.
"""

from __future__ import annotations

from collections.abc import Iterator

from hullscan.catalog.ecosystems.rpmdb.bdb import BDB_HASH_MAGIC, read_bdb
from hullscan.catalog.ecosystems.rpmdb.common import RpmDbError, StoredHeader
from hullscan.catalog.ecosystems.rpmdb.header import Header, HeaderError, Tag
from hullscan.catalog.ecosystems.rpmdb.ndb import NDB_MAGIC, read_ndb
from hullscan.catalog.ecosystems.rpmdb.sqlite import SQLITE_MAGIC, read_sqlite

__all__ = ["Header", "HeaderError", "RpmDbError", "StoredHeader", "Tag", "detect_format", "read_headers"]


def detect_format(content: bytes) -> str | None:
    """Return `sqlite`, `bdb` or `ndb` from the file's magic bytes, or None."""
    if content.startswith(SQLITE_MAGIC):
        return "sqlite"
    if content[:4] == NDB_MAGIC:
        return "ndb"
    if content[12:16] in (BDB_HASH_MAGIC.to_bytes(4, "little"), BDB_HASH_MAGIC.to_bytes(4, "big")):
        return "bdb"
    return None


def read_headers(content: bytes) -> Iterator[StoredHeader]:
    """Yield the stored header blobs of an rpm database; raises RpmDbError if unreadable."""
    kind = detect_format(content)
    if kind == "sqlite":
        return read_sqlite(content)
    if kind == "ndb":
        return read_ndb(content)
    if kind == "bdb":
        return read_bdb(content)
    raise RpmDbError(f"not an rpm database (no SQLite, BerkeleyDB hash or NDB magic; {len(content)} bytes)")
