"""Squash image layers into a plain directory, and compute the expected squashed path list.

`squash_layers` extracts with Python's tarfile, applying whiteouts and opaque markers, resolving
symlinked parent directories inside the root only (never outside), and never creating device
nodes or FIFOs. `expected_squashed_paths` is an independent, purely lexical computation from
`tar -tf` listings, for end-to-end comparisons between image sources.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hullscan.build.tarwriter import OPAQUE_MARKER, WHITEOUT_PREFIX, open_uncompressed

_MAX_LINK_HOPS = 40


@dataclass(slots=True)
class SquashReport:
    """What squashing skipped: special files (kept out of the host) and unsafe names."""

    special: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def member_path(name: str) -> str | None:
    """Return the normalized layer path of a member name, or None if it is unsafe or the root."""
    parts = [p for p in PurePosixPath("/" + name).parts[1:] if p not in (".", "")]
    if not parts or ".." in PurePosixPath(name).parts:
        return None
    return "/".join(parts)


def resolve_inside(root: Path, rel: str) -> Path:
    """Resolve the parent directories of `rel` under `root`, clamping symlinks at the root.

    The last component is not followed: callers replace it.
    """
    parts = rel.split("/")
    current: list[str] = []
    pending = list(parts[:-1])
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if current:
                current.pop()
            continue
        candidate = root.joinpath(*current, part)
        if candidate.is_symlink():
            hops += 1
            if hops > _MAX_LINK_HOPS:
                raise OSError(f"too many symlinks resolving {rel}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = []
            pending = [p for p in target.split("/") if p] + pending
            continue
        current.append(part)
    return root.joinpath(*current, parts[-1])


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def _apply_deletions(root: Path, layer: Path) -> None:
    with open_uncompressed(layer) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            rel = member_path(member.name)
            if rel is None:
                continue
            parent, _, base = rel.rpartition("/")
            if base == OPAQUE_MARKER:
                target = resolve_inside(root, f"{parent}/x").parent if parent else root
                if target.is_dir() and not target.is_symlink():
                    for child in target.iterdir():
                        _remove(child)
            elif base.startswith(WHITEOUT_PREFIX):
                name = (f"{parent}/" if parent else "") + base.removeprefix(WHITEOUT_PREFIX)
                _remove(resolve_inside(root, name))


def _extract_member(root: Path, tar: tarfile.TarFile, member: tarfile.TarInfo, report: SquashReport) -> None:
    rel = member_path(member.name)
    if rel is None:
        report.rejected.append(member.name)
        return
    base = rel.rpartition("/")[2]
    if base.startswith(WHITEOUT_PREFIX):
        return
    if not (member.isdir() or member.isreg() or member.issym() or member.islnk()):
        report.special.append(rel)
        return
    target = resolve_inside(root, rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    if member.isdir():
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            _remove(target)
        target.mkdir(exist_ok=True)
    else:
        if target.is_symlink() or target.exists():
            _remove(target)
        _create_leaf(root, tar, member, target)
    _set_metadata(target, member)


def _create_leaf(root: Path, tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    if member.issym():
        target.symlink_to(member.linkname)
    elif member.islnk():
        source_rel = member_path(member.linkname)
        source = resolve_inside(root, source_rel) if source_rel else None
        if source is not None and source.is_file() and not source.is_symlink():
            os.link(source, target)
        else:
            target.write_bytes(b"")
    else:
        extracted = tar.extractfile(member)
        with target.open("wb") as out:
            if extracted is not None:
                shutil.copyfileobj(extracted, out, 1024 * 1024)


def _set_metadata(target: Path, member: tarfile.TarInfo) -> None:
    if member.islnk():
        return
    if os.geteuid() == 0:
        os.lchown(target, member.uid, member.gid)
    if not member.issym():
        target.chmod(member.mode & 0o7777)


def squash_layers(layers: Sequence[Path], dest: Path) -> SquashReport:
    """Extract `layers` (bottom first) into the empty or missing directory `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    report = SquashReport()
    for layer in layers:
        _apply_deletions(dest, layer)
        with open_uncompressed(layer) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                _extract_member(dest, tar, member, report)
    return report


def tar_listing(layer: Path) -> list[tuple[str, str]]:
    """Return (type letter, normalized path) per member, as GNU tar lists them."""
    names = _run_tar(["tar", "-tf", str(layer)])
    verbose = _run_tar(["tar", "-tvf", str(layer)])
    out = []
    for name, line in zip(names, verbose, strict=True):
        rel = member_path(name)
        if rel is not None:
            out.append((line[0], rel))
    return out


def _run_tar(argv: list[str]) -> list[str]:
    result = subprocess.run([*argv, "--quoting-style=literal"], check=True, capture_output=True, text=True)
    return result.stdout.splitlines()


@dataclass(frozen=True, slots=True)
class ExpectedTree:
    """The squashed result of layers as pure path sets."""

    paths: frozenset[str]
    """Every visible path (directories, files, links, special files)."""
    special: frozenset[str]
    """Device and FIFO paths among `paths` (squash_layers does not create them)."""


def expected_squashed_paths(layers: Iterable[Path]) -> ExpectedTree:
    """Apply whiteouts lexically over `tar -tf` listings of each layer (no symlink resolution)."""
    kinds: dict[str, str] = {}
    for layer in layers:
        listing = tar_listing(layer)
        for _, rel in listing:
            parent, _, base = rel.rpartition("/")
            if base == OPAQUE_MARKER:
                _drop_below(kinds, parent)
            elif base.startswith(WHITEOUT_PREFIX):
                gone = (f"{parent}/" if parent else "") + base.removeprefix(WHITEOUT_PREFIX)
                kinds.pop(gone, None)
                _drop_below(kinds, gone)
        for kind, rel in listing:
            if rel.rpartition("/")[2].startswith(WHITEOUT_PREFIX):
                continue
            _add_parents(kinds, rel)
            kinds[rel] = kind
    special = frozenset(p for p, k in kinds.items() if k in "cbp")
    return ExpectedTree(frozenset(kinds), special)


def _drop_below(kinds: dict[str, str], directory: str) -> None:
    prefix = f"{directory}/" if directory else ""
    for path in [p for p in kinds if p.startswith(prefix) and p != directory]:
        del kinds[path]


def _add_parents(kinds: dict[str, str], rel: str) -> None:
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        kinds.setdefault("/".join(parts[:depth]), "d")


def walk_paths(root: Path) -> frozenset[str]:
    """Return every path below `root` (not following symlinks), relative, `/`-separated."""
    found: set[str] = set()
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        for name in (*dirnames, *filenames):
            found.add(name if rel_dir == "." else f"{rel_dir}/{name}")
    return frozenset(found)


def is_special(path: Path) -> bool:
    """Return True for device nodes, FIFOs and sockets."""
    mode = path.lstat().st_mode
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
