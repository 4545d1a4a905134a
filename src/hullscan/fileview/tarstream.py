"""A fast, forward-only tar reader for layer streams (ustar, GNU and PAX headers).

Python's `tarfile` spends most of a layer scan building TarInfo objects; this reader parses
the 512-byte headers straight out of a large buffer, skips member data by offset, and lets
the caller read a member's data (or just its first bytes) before moving on. It never seeks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from hullscan.errors import LayerError

BLOCK = 512
CHUNK = 1 << 20
_ZERO_BLOCK = bytes(BLOCK)
_META_TYPES = frozenset((b"x", b"X", b"g", b"L", b"K"))
_NO_DATA_TYPES = frozenset((b"1", b"2", b"3", b"4", b"5", b"6"))
MAX_META_BYTES = 1 << 20
"""Largest PAX or GNU long-name record we accept."""


class ByteStream(Protocol):
    """All the tar reader needs from its input: `read(size)`."""

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(slots=True)
class TarMember:
    """One member's header fields (after PAX / GNU long-name overrides)."""

    name: str
    type: bytes
    size: int
    mode: int
    uid: int
    gid: int
    mtime: int
    linkname: str


def _octal(field: bytes, what: str) -> int:
    if field and field[0] & 0x80:  # GNU base-256 for large values
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    text = field.split(b"\0", 1)[0]
    try:
        return int(text, 8) if text.strip() else 0
    except ValueError as exc:
        raise LayerError(f"tar header field {what} is not a number: {text[:20]!r}") from exc


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _checksum_ok(header: bytes) -> bool:
    field = header[148:156]
    stored = _octal(field, "chksum")
    unsigned = sum(header) - sum(field) + 8 * 32
    if stored == unsigned:
        return True
    signed = (
        sum(b - 256 if b > 127 else b for b in header)
        - sum(b - 256 if b > 127 else b for b in header[148:156])
        + 8 * 32
    )
    return stored == signed


def parse_pax(data: bytes) -> dict[str, str]:
    r"""Parse PAX extended header records (`LEN key=value\n`)."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise LayerError("malformed PAX header record") from exc
        if length <= 0 or pos + length > len(data):
            raise LayerError("PAX header record length out of range")
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        fields[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return fields


class TarStream:
    """Iterate over the members of an uncompressed tar stream."""

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._buf = b""
        self._pos = 0
        self._remaining = 0  # data bytes of the current member not yet consumed
        self._padding = 0
        self.offset = 0

    def _fill(self, need: int) -> bool:
        """Make `need` bytes available at _pos; False on a clean EOF before any of them."""
        available = len(self._buf) - self._pos
        if available >= need:
            return True
        parts = [self._buf[self._pos :]]
        while available < need:
            chunk = self._stream.read(max(CHUNK, need - available))
            if not chunk:
                break
            parts.append(chunk)
            available += len(chunk)
        self._buf = b"".join(parts)
        self._pos = 0
        return available >= need

    def _take(self, count: int, prefix: bytes = b"") -> bytes:
        available = len(self._buf) - self._pos
        if count <= available:
            data = self._buf[self._pos : self._pos + count]
            self._pos += count
            self.offset += count
            return prefix + data if prefix else data
        # A member larger than the buffer: gather its pieces and join them once, leaving nothing
        # of it buffered (two copies of a large file in memory at the peak, not four).
        parts = [prefix, self._buf[self._pos :]]
        self._buf, self._pos = b"", 0
        missing = count - available
        while missing > 0:
            chunk = self._stream.read(min(CHUNK, missing))
            if not chunk:
                raise LayerError("layer tar stream ends in the middle of a member (truncated)")
            parts.append(chunk)
            missing -= len(chunk)
        self.offset += count
        return b"".join(parts)

    def _skip(self, count: int) -> None:
        available = len(self._buf) - self._pos
        if count <= available:
            self._pos += count
            self.offset += count
            return
        self._pos = len(self._buf)
        self.offset += available
        left = count - available
        while left > 0:
            chunk = self._stream.read(min(CHUNK, left))
            if not chunk:
                raise LayerError("layer tar stream ends in the middle of a member (truncated)")
            left -= len(chunk)
            self.offset += len(chunk)
        self._buf = b""
        self._pos = 0

    def read_data(self, limit: int | None = None, *, prefix: bytes = b"") -> bytes:
        """Read up to `limit` (default: all remaining) data bytes of the current member.

        `prefix` is put in front of the data within the same copy (a file's head, read earlier).
        """
        count = self._remaining if limit is None else min(limit, self._remaining)
        data = self._take(count, prefix)
        self._remaining -= count
        return data

    def _meta_data(self, size: int) -> bytes:
        if size > MAX_META_BYTES:
            raise LayerError(f"tar metadata record of {size} bytes is implausibly large")
        data = self._take(size)
        self._skip(-size % BLOCK)
        return data

    def _next_header(self) -> bytes | None:
        """Return the next 512-byte header, or None at the end of the archive."""
        skip = self._remaining + self._padding
        self._remaining = self._padding = 0
        pos = self._pos + skip
        if pos + BLOCK <= len(self._buf):  # fast path: header already buffered
            self._pos = pos + BLOCK
            self.offset += skip + BLOCK
            header = self._buf[pos : pos + BLOCK]
        else:
            self._skip(skip)
            if not self._fill(BLOCK):
                if len(self._buf) - self._pos:
                    raise LayerError("layer tar stream ends inside a header (truncated)")
                return None  # EOF without end-of-archive blocks: tolerated like GNU tar
            header = self._take(BLOCK)
        if header == _ZERO_BLOCK:
            return None
        # A header carrying the ustar magic where we expect it is well aligned; otherwise (old
        # v7 tars, or a stream gone out of step through corruption) the checksum decides.
        if header[257:262] != b"ustar" and not _checksum_ok(header):
            raise LayerError(f"bad tar header checksum at offset {self.offset - BLOCK}")
        return header

    def __iter__(self) -> Iterator[TarMember]:
        pax_global: dict[str, str] = {}
        pending: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        while (header := self._next_header()) is not None:
            kind = header[156:157]
            size = _octal(header[124:136], "size")
            if size < 0:
                raise LayerError("negative member size in tar header")
            if kind in _META_TYPES:
                data = self._meta_data(size)
                if kind == b"g":
                    pax_global.update(parse_pax(data))
                elif kind == b"L":
                    long_name = _text(data)
                elif kind == b"K":
                    long_link = _text(data)
                else:
                    pending.update(parse_pax(data))
                continue
            pax = {**pax_global, **pending} if pax_global else pending
            member = self._member(header, kind, size, pax, long_name, long_link)
            if pending:
                pending = {}
            long_name = long_link = None
            data_size = 0 if kind in _NO_DATA_TYPES else member.size
            self._remaining = data_size
            self._padding = -data_size % BLOCK
            yield member

    @staticmethod
    def _member(
        header: bytes,
        kind: bytes,
        size: int,
        pax: dict[str, str],
        long_name: str | None,
        long_link: str | None,
    ) -> TarMember:
        name = _text(header[0:100])
        if header[257:263] == b"ustar\x00":
            prefix = _text(header[345:500])
            if prefix:
                name = f"{prefix}/{name}"
        name = pax.get("path", long_name or name)
        linkname = pax.get("linkpath", long_link or _text(header[157:257]))
        if "size" in pax:
            size = int(pax["size"])
        return TarMember(
            name=name,
            type=kind if kind != b"\0" else b"0",
            size=size,
            mode=_octal(header[100:108], "mode") & 0o7777,
            uid=int(pax["uid"]) if "uid" in pax else _octal(header[108:116], "uid"),
            gid=int(pax["gid"]) if "gid" in pax else _octal(header[116:124], "gid"),
            mtime=int(float(pax["mtime"])) if "mtime" in pax else _octal(header[136:148], "mtime"),
            linkname=linkname,
        )
