"""Deterministic layer tarballs: PAX format, sorted entries, fixed times and owners, streamed to disk.

Layers are described by entry values (files, directories, links, whiteouts, devices, raw members
for bad-input tests) or taken from a real directory with `layer_from_directory`. Nothing is
buffered in memory beyond one copy chunk, and no device node is ever created on the host.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO, Literal, cast

import zstandard
from isal import igzip

from hullscan.errors import HullscanError

DEFAULT_MTIME = 0
"""Timestamp written on every entry unless one is given (reproducible output)."""
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class LayerBuildError(HullscanError):
    """A layer description cannot be written as a tar layer."""

    hint = "Check the entry paths: relative, no '..', each path once (use RawMember for odd names)."


class Compression(StrEnum):
    """How a layer blob is compressed."""

    GZIP = "gzip"
    ZSTD = "zstd"
    NONE = "none"

    @property
    def oci_media_type(self) -> str:
        """Return the OCI layer media type for this compression."""
        suffix = {"gzip": "+gzip", "zstd": "+zstd", "none": ""}[self.value]
        return f"application/vnd.oci.image.layer.v1.tar{suffix}"

    @classmethod
    def sniff(cls, head: bytes) -> Compression:
        """Return the compression a blob uses, from its first bytes."""
        if head.startswith(GZIP_MAGIC):
            return cls.GZIP
        if head.startswith(ZSTD_MAGIC):
            return cls.ZSTD
        return cls.NONE


@dataclass(frozen=True, slots=True, kw_only=True)
class _Meta:
    """Ownership, permission and time shared by every entry kind (None: the kind's default)."""

    mode: int | None = None
    uid: int = 0
    gid: int = 0
    mtime: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegularFile(_Meta):
    """A regular file whose content is `data` or the host file `source`."""

    path: str
    data: bytes | None = None
    source: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Directory(_Meta):
    """A directory."""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Symlink(_Meta):
    """A symbolic link; `target` is written verbatim (relative, absolute, looping, `..`)."""

    path: str
    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Hardlink(_Meta):
    """A hard link to another member of the same layer, named by its layer path."""

    path: str
    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Whiteout(_Meta):
    """Deletes `path` from lower layers (written as `DIR/.wh.NAME`)."""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpaqueDir(_Meta):
    """Hides everything lower layers put in directory `path` (written as `path/.wh..wh..opq`)."""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Device(_Meta):
    """A character or block device entry (only a tar header; never created on the host)."""

    path: str
    kind: Literal["char", "block"] = "char"
    major: int = 0
    minor: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Fifo(_Meta):
    """A named pipe entry."""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RawMember(_Meta):
    """A member written exactly as given, for bad-input tests (`/abs`, `../up`, duplicates)."""

    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    linkname: str = ""

    @property
    def path(self) -> str:
        """Return the member name (used for sorting)."""
        return self.name


Entry = RegularFile | Directory | Symlink | Hardlink | Whiteout | OpaqueDir | Device | Fifo | RawMember


@dataclass(frozen=True, slots=True)
class LayerBlob:
    """A layer blob written to disk, with the digests an image manifest and config need."""

    path: Path
    digest: str
    """sha256 of the blob as stored (compressed)."""
    diff_id: str
    """sha256 of the uncompressed tar."""
    size: int
    uncompressed_size: int
    compression: Compression

    @property
    def media_type(self) -> str:
        """Return the OCI media type of the blob."""
        return self.compression.oci_media_type


def normalize_path(path: str) -> str:
    """Return `path` as a layer member name: relative, no `.`/`..` components, no trailing `/`."""
    parts = [p for p in PurePosixPath("/" + path).parts[1:] if p != "."]
    if not parts or ".." in parts:
        raise LayerBuildError(f"not a usable layer path: {path!r}")
    return "/".join(parts)


def _sort_key(entry: Entry) -> tuple[str, ...]:
    if isinstance(entry, RawMember):
        return tuple(entry.name.split("/"))
    return tuple(normalize_path(entry.path).split("/"))


def order_entries(entries: Iterable[Entry]) -> list[Entry]:
    """Sort entries by path components, keeping each hard link after the file it names."""
    entries = list(entries)
    ordered: list[Entry] = []
    seen: set[str] = set()
    waiting: dict[str, list[Hardlink]] = {}
    typed = [e for e in entries if not isinstance(e, RawMember)]
    names = [normalize_path(e.path) for e in typed]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise LayerBuildError(f"paths given more than once: {dupes}")
    link_targets = {normalize_path(e.target) for e in typed if isinstance(e, Hardlink)}
    for entry in sorted(entries, key=_sort_key):
        if isinstance(entry, Hardlink) and _needs_wait(entry, seen, link_targets, set(names)):
            waiting.setdefault(normalize_path(entry.target), []).append(entry)
            continue
        _emit(entry, ordered, seen, waiting)
    ordered.extend(link for links in waiting.values() for link in links)
    return ordered


def _needs_wait(link: Hardlink, seen: set[str], targets: set[str], names: set[str]) -> bool:
    target = normalize_path(link.target)
    return target in names and target in targets and target not in seen


def _emit(entry: Entry, ordered: list[Entry], seen: set[str], waiting: dict[str, list[Hardlink]]) -> None:
    ordered.append(entry)
    if isinstance(entry, RawMember):
        return
    name = normalize_path(entry.path)
    seen.add(name)
    for link in waiting.pop(name, []):
        _emit(link, ordered, seen, waiting)


class _HashingSink(io.RawIOBase):
    """A write-only stream that hashes and counts what passes through to `target`."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self._target = target
        self.sha256 = hashlib.sha256()
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data)
        self._target.write(view)
        self.sha256.update(view)
        self.count += view.nbytes
        return view.nbytes


class _CompressingSink(io.RawIOBase):
    """Uncompressed bytes in, compressed bytes out to a hashing sink; hashes the input too."""

    def __init__(self, outer: _HashingSink, compression: Compression) -> None:
        super().__init__()
        self.compression = compression
        self._outer = outer
        self._stream: IO[bytes] = cast("IO[bytes]", outer)
        if compression is Compression.GZIP:
            self._stream = igzip.GzipFile(fileobj=outer, mode="wb", mtime=0)  # type: ignore[no-untyped-call,assignment]
        elif compression is Compression.ZSTD:
            compressor = zstandard.ZstdCompressor(level=3)
            self._stream = compressor.stream_writer(cast("IO[bytes]", outer), closefd=False)
        self.inner = _HashingSink(self._stream)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        return self.inner.write(data)

    def finish(self) -> None:
        """Flush and end the compressed stream (the outer file stays open)."""
        if self.compression is not Compression.NONE:
            self._stream.close()


def write_layer(
    dest: Path,
    entries: Iterable[Entry],
    compression: Compression = Compression.GZIP,
    *,
    mtime: int = DEFAULT_MTIME,
    presorted: bool = False,
) -> LayerBlob:
    """Write `entries` as a layer tar at `dest` (atomically) and return its digests.

    Entries are sorted by path (hard links after their target) unless `presorted`.
    """
    items: Iterable[Entry] = entries if presorted else order_entries(entries)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".layer-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            outer = _HashingSink(raw)
            sink = _CompressingSink(outer, compression)
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for entry in items:
                    _add_entry(tar, entry, mtime)
            sink.finish()
            raw.flush()
            os.fchmod(raw.fileno(), 0o644)
            os.fsync(raw.fileno())
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return LayerBlob(
        path=dest,
        digest=f"sha256:{outer.sha256.hexdigest()}",
        diff_id=f"sha256:{sink.inner.sha256.hexdigest()}",
        size=outer.count,
        uncompressed_size=sink.inner.count,
        compression=compression,
    )


_DEFAULT_MODES: dict[type, int] = {
    RegularFile: 0o644,
    Directory: 0o755,
    Symlink: 0o777,
    Hardlink: 0o644,
    Whiteout: 0o644,
    OpaqueDir: 0o644,
    Device: 0o660,
    Fifo: 0o644,
    RawMember: 0o644,
}


def _header(entry: Entry, name: str, kind: bytes, default_mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = entry.mode if entry.mode is not None else _DEFAULT_MODES[type(entry)]
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    info.mtime = entry.mtime if entry.mtime is not None else default_mtime
    return info


def _add_entry(tar: tarfile.TarFile, entry: Entry, mtime: int) -> None:
    if isinstance(entry, RawMember):
        info = _header(entry, entry.name, entry.type, mtime)
        info.linkname = entry.linkname
        info.size = len(entry.data) if entry.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
        tar.addfile(info, io.BytesIO(entry.data) if info.size else None)
    elif isinstance(entry, RegularFile):
        _add_file(tar, entry, mtime)
    else:
        name, kind, linkname = _special_member(entry)
        info = _header(entry, name, kind, mtime)
        info.linkname = linkname
        if isinstance(entry, Device):
            info.devmajor, info.devminor = entry.major, entry.minor
        tar.addfile(info)


def _special_member(entry: Entry) -> tuple[str, bytes, str]:
    """Return (member name, tar type, link name) for entries without content."""
    path = normalize_path(entry.path)
    if isinstance(entry, Whiteout | OpaqueDir):
        return _marker_name(entry, path), tarfile.REGTYPE, ""
    if isinstance(entry, Directory):
        return path, tarfile.DIRTYPE, ""
    if isinstance(entry, Symlink):
        return path, tarfile.SYMTYPE, entry.target
    if isinstance(entry, Hardlink):
        return path, tarfile.LNKTYPE, normalize_path(entry.target)
    if isinstance(entry, Device):
        return path, tarfile.CHRTYPE if entry.kind == "char" else tarfile.BLKTYPE, ""
    if isinstance(entry, Fifo):
        return path, tarfile.FIFOTYPE, ""
    raise LayerBuildError(f"unsupported entry {entry!r}")


def _marker_name(entry: Whiteout | OpaqueDir, path: str) -> str:
    if isinstance(entry, OpaqueDir):
        return f"{path}/{OPAQUE_MARKER}"
    parent, _, base = path.rpartition("/")
    return (f"{parent}/" if parent else "") + WHITEOUT_PREFIX + base


def _add_file(tar: tarfile.TarFile, entry: RegularFile, mtime: int) -> None:
    info = _header(entry, normalize_path(entry.path), tarfile.REGTYPE, mtime)
    if (entry.data is None) == (entry.source is None):
        raise LayerBuildError(f"{entry.path}: give exactly one of data= or source=")
    if entry.data is not None:
        info.size = len(entry.data)
        tar.addfile(info, io.BytesIO(entry.data))
        return
    assert entry.source is not None  # noqa: S101 - narrowed by the check above
    with entry.source.open("rb") as handle:
        info.size = os.fstat(handle.fileno()).st_size
        tar.addfile(info, handle)


def layer_from_directory(
    rootfs: Path,
    dest: Path,
    compression: Compression = Compression.GZIP,
    *,
    owner: tuple[int, int] | None = None,
    preserve_mtime: bool = False,
    exclude: Callable[[str], bool] | None = None,
) -> LayerBlob:
    """Tar the directory `rootfs` as a layer without following symlinks.

    Modes (setuid included), owners (or `owner` for all), hard links and device/FIFO entries are
    kept; sockets are skipped. `exclude(relative_path)` drops a path and, for a directory,
    everything below it. Times are fixed unless `preserve_mtime`.
    """
    if not rootfs.is_dir():
        raise LayerBuildError(f"not a directory: {rootfs}", hint="Pass the root of an unpacked filesystem.")
    walker = _DirectoryWalker(rootfs, owner, preserve_mtime, exclude)
    return write_layer(dest, walker.entries(), compression, presorted=True)


@dataclass(slots=True)
class _DirectoryWalker:
    root: Path
    owner: tuple[int, int] | None
    preserve_mtime: bool
    exclude: Callable[[str], bool] | None
    _inodes: dict[tuple[int, int], str] | None = None

    def entries(self) -> Iterator[Entry]:
        self._inodes = {}
        yield from self._walk(self.root, "")

    def _walk(self, directory: Path, prefix: str) -> Iterator[Entry]:
        for name in sorted(child.name for child in directory.iterdir()):
            rel = f"{prefix}{name}"
            if self.exclude is not None and self.exclude(rel):
                continue
            path = directory / name
            info = path.lstat()
            entry = self._entry(path, rel, info)
            if entry is not None:
                yield entry
            if stat.S_ISDIR(info.st_mode):
                yield from self._walk(path, rel + "/")

    def _entry(self, path: Path, rel: str, info: os.stat_result) -> Entry | None:
        uid, gid = self.owner if self.owner is not None else (info.st_uid, info.st_gid)
        meta = {
            "mode": stat.S_IMODE(info.st_mode),
            "uid": uid,
            "gid": gid,
            "mtime": int(info.st_mtime) if self.preserve_mtime else None,
        }
        kind = stat.S_IFMT(info.st_mode)
        if kind == stat.S_IFDIR:
            return Directory(path=rel, **meta)  # type: ignore[arg-type]
        if kind == stat.S_IFLNK:
            return Symlink(path=rel, target=os.readlink(path), **meta)  # type: ignore[arg-type]
        if kind == stat.S_IFREG:
            return self._regular(path, rel, info, meta)
        if kind in (stat.S_IFCHR, stat.S_IFBLK):
            device_kind: Literal["char", "block"] = "char" if kind == stat.S_IFCHR else "block"
            major, minor = os.major(info.st_rdev), os.minor(info.st_rdev)
            return Device(path=rel, kind=device_kind, major=major, minor=minor, **meta)  # type: ignore[arg-type]
        if kind == stat.S_IFIFO:
            return Fifo(path=rel, **meta)  # type: ignore[arg-type]
        return None  # sockets and other kinds cannot live in a tar layer

    def _regular(self, path: Path, rel: str, info: os.stat_result, meta: dict[str, int | None]) -> Entry:
        assert self._inodes is not None  # noqa: S101 - set by entries()
        if info.st_nlink > 1:
            key = (info.st_dev, info.st_ino)
            first = self._inodes.get(key)
            if first is not None:
                return Hardlink(path=rel, target=first, **meta)  # type: ignore[arg-type]
            self._inodes[key] = rel
        return RegularFile(path=rel, source=path, **meta)  # type: ignore[arg-type]


def open_uncompressed(path: Path) -> BinaryIO:
    """Open a layer blob file and return a stream of its uncompressed tar bytes."""
    raw = path.open("rb")
    compression = Compression.sniff(raw.read(4))
    raw.seek(0)
    if compression is Compression.GZIP:
        return cast("BinaryIO", igzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[no-untyped-call]
    if compression is Compression.ZSTD:
        return cast("BinaryIO", zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return raw


def describe_blob(path: Path) -> LayerBlob:
    """Compute digest, diff_id and sizes of an existing layer blob file (one streaming pass)."""
    outer = hashlib.sha256()
    with path.open("rb") as raw:
        compression = Compression.sniff(raw.read(4))
        raw.seek(0)
        while chunk := raw.read(_CHUNK):
            outer.update(chunk)
        size = raw.tell()
    inner = hashlib.sha256()
    uncompressed = 0
    with open_uncompressed(path) as stream:
        while chunk := stream.read(_CHUNK):
            inner.update(chunk)
            uncompressed += len(chunk)
    return LayerBlob(
        path=path,
        digest=f"sha256:{outer.hexdigest()}",
        diff_id=f"sha256:{inner.hexdigest()}",
        size=size,
        uncompressed_size=uncompressed,
        compression=compression,
    )
