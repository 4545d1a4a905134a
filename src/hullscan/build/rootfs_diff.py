"""Turn the change between two directory trees into a layer: new/changed entries plus whiteouts.

Used to record what a build step (an `apt-get install`, a `pip install`) did to a copy of a rootfs,
the way a container builder commits a layer. Entries are compared by kind, mode, owner, size,
mtime and link target, without reading file contents; symlinks are never followed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TypedDict

from hullscan.build.tarwriter import (
    Compression,
    Device,
    Directory,
    Entry,
    Fifo,
    Hardlink,
    LayerBlob,
    LayerBuildError,
    RegularFile,
    Symlink,
    Whiteout,
    write_layer,
)


def _signature(path: Path, info: os.stat_result) -> tuple[object, ...]:
    link = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
    size = 0 if stat.S_ISDIR(info.st_mode) else info.st_size
    return (info.st_mode, info.st_uid, info.st_gid, size, info.st_mtime_ns, info.st_rdev, link)


def _children(directory: Path) -> list[str]:
    return sorted(child.name for child in directory.iterdir())


class _Differ:
    def __init__(self, base: Path, new: Path) -> None:
        self.base = base
        self.new = new
        self.inodes: dict[tuple[int, int], str] = {}

    def entries(self, rel: str = "") -> Iterator[Entry]:
        """Yield changes below directory `rel` (which exists in `new`)."""
        new_dir = self.new / rel if rel else self.new
        base_dir = self.base / rel if rel else self.base
        base_names = set(_children(base_dir)) if base_dir.is_dir() and not base_dir.is_symlink() else set()
        new_names = _children(new_dir)
        for name in sorted(base_names - set(new_names)):
            yield Whiteout(path=f"{rel}/{name}" if rel else name)
        for name in new_names:
            yield from self._entry(f"{rel}/{name}" if rel else name)

    def _entry(self, rel: str) -> Iterator[Entry]:
        path = self.new / rel
        info = path.lstat()
        base_path = self.base / rel
        base_info = base_path.lstat() if base_path.exists() or base_path.is_symlink() else None
        changed = base_info is None or _signature(path, info) != _signature(base_path, base_info)
        if stat.S_ISDIR(info.st_mode):
            below = list(self.entries(rel))
            if changed or below:
                yield Directory(path=rel, **_meta(info))
            yield from below
        elif changed:
            entry = self._make(path, rel, info)
            if entry is not None:
                yield entry

    def _make(self, path: Path, rel: str, info: os.stat_result) -> Entry | None:
        """Return the entry for a non-directory, or None for sockets (tar cannot hold them)."""
        meta = _meta(info)
        kind = stat.S_IFMT(info.st_mode)
        if kind == stat.S_IFLNK:
            return Symlink(path=rel, target=os.readlink(path), **meta)
        if kind == stat.S_IFREG:
            key = (info.st_dev, info.st_ino)
            if info.st_nlink > 1 and key in self.inodes:
                return Hardlink(path=rel, target=self.inodes[key], **meta)
            self.inodes.setdefault(key, rel)
            return RegularFile(path=rel, source=path, **meta)
        if kind in (stat.S_IFCHR, stat.S_IFBLK):
            major, minor = os.major(info.st_rdev), os.minor(info.st_rdev)
            device: Literal["char", "block"] = "char" if kind == stat.S_IFCHR else "block"
            return Device(path=rel, kind=device, major=major, minor=minor, **meta)
        if kind == stat.S_IFIFO:
            return Fifo(path=rel, **meta)
        return None


class _Meta(TypedDict):
    mode: int
    uid: int
    gid: int


def _meta(info: os.stat_result) -> _Meta:
    return {"mode": stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid}


def diff_layer(base: Path, new: Path, dest: Path, compression: Compression = Compression.GZIP) -> LayerBlob:
    """Write the layer that turns tree `base` into tree `new` to `dest`."""
    if not (base.is_dir() and new.is_dir()):
        raise LayerBuildError(f"both trees must be directories: {base}, {new}")
    return write_layer(dest, list(_Differ(base, new).entries()), compression)
