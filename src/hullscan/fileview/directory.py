"""A view of a root filesystem directory on disk, with the same guarantees as image layers."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hullscan.config import Limits
from hullscan.errors import LimitExceededError, SourceError
from hullscan.fileview.interface import FileView
from hullscan.fileview.layer import HEAD_BYTES
from hullscan.fileview.layered import resolve_path
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.files import FileKind, FileRecord


def _kind(mode: int) -> FileKind | None:
    checks = (
        (stat.S_ISREG, FileKind.FILE),
        (stat.S_ISDIR, FileKind.DIR),
        (stat.S_ISLNK, FileKind.SYMLINK),
        (stat.S_ISCHR, FileKind.CHAR_DEVICE),
        (stat.S_ISBLK, FileKind.BLOCK_DEVICE),
        (stat.S_ISFIFO, FileKind.FIFO),
    )
    for check, kind in checks:
        if check(mode):
            return kind
    return None


class DirectoryView(FileView):
    """Walks a directory once (never following symlinks) and reads files only on request."""

    def __init__(self, root: Path, digest: str, policy: CapturePolicy, limits: Limits) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a directory")
        self.root = root.resolve()
        self.digest = digest
        self._limits = limits
        self._warnings: list[str] = []
        self._records: dict[str, FileRecord] = {}
        self._analyses: dict[str, dict[str, Any]] = {}
        self._walk(policy)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._warnings)

    def _walk(self, policy: CapturePolicy) -> None:
        stack = [("/", self.root)]
        while stack:
            image_dir, host_dir = stack.pop()
            try:
                entries = list(os.scandir(host_dir))
            except OSError as exc:
                self._warnings.append(f"{image_dir}: unreadable directory ({exc.strerror})")
                continue
            for entry in entries:
                image_path = f"{image_dir.rstrip('/')}/{entry.name}"
                self._add(image_path, Path(entry.path), entry, stack, policy)

    def _add(
        self,
        image_path: str,
        host_path: Path,
        entry: os.DirEntry[str],
        stack: list[tuple[str, Path]],
        policy: CapturePolicy,
    ) -> None:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            self._warnings.append(f"{image_path}: cannot stat ({exc.strerror})")
            return
        kind = _kind(st.st_mode)
        if kind is None:
            self._warnings.append(f"{image_path}: unsupported file type; skipped")
            return
        link = os.readlink(host_path) if kind is FileKind.SYMLINK else None
        record = FileRecord(
            path=image_path,
            kind=kind,
            size=st.st_size if kind is FileKind.FILE else 0,
            mode=stat.S_IMODE(st.st_mode),
            layer_index=0,
            layer_digest=self.digest,
            link_target=link,
            mtime=int(st.st_mtime),
            uid=st.st_uid,
            gid=st.st_gid,
        )
        self._records[image_path] = record
        if kind is FileKind.DIR:
            stack.append((image_path, host_path))
        elif kind is FileKind.FILE and policy.analyzers:
            self._run_analyzers(record, policy)

    def _run_analyzers(self, record: FileRecord, policy: CapturePolicy) -> None:
        try:
            with self._open_host(record.path) as handle:
                head = handle.read(HEAD_BYTES)
                for analyzer in policy.analyzers:
                    if analyzer.wants(record.path, head, record.size):
                        handle.seek(0)
                        result = analyzer.analyze(record.path, handle, record.size)
                        if result is not None:
                            self._analyses.setdefault(record.path, {})[analyzer.name] = result
        except Exception as exc:  # noqa: BLE001 - one bad file must never abort the scan
            self._warnings.append(f"{record.path}: analysis failed: {exc}")

    def files(self) -> Iterator[FileRecord]:
        for path in sorted(self._records):
            yield self._records[path]

    def get(self, path: str) -> FileRecord | None:
        return self._records.get(path)

    def resolve(self, path: str) -> FileRecord | None:
        resolved = resolve_path(self._records, path, self._limits.max_symlink_hops)
        return self._records.get(resolved) if resolved else None

    def _open_host(self, image_path: str) -> io.BufferedReader:
        host = self.root / image_path.lstrip("/")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(host, flags)
        try:
            self._check_regular_inside_root(fd, host, image_path)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb")

    def _check_regular_inside_root(self, fd: int, host: Path, image_path: str) -> None:
        """Refuse (as not found) anything but a regular file whose real path stays under the root."""
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileNotFoundError(image_path)
        real = Path(os.path.realpath(host))
        if not real.is_relative_to(self.root):
            raise FileNotFoundError(image_path)

    def read(self, path: str) -> bytes:
        record = self.resolve(path)
        if record is None or record.kind is not FileKind.FILE:
            raise FileNotFoundError(path)
        if record.size > self._limits.max_capture_bytes:
            raise LimitExceededError(f"{path}: {record.size} bytes is over the capture cap")
        with self._open_host(record.path) as handle:
            return handle.read(self._limits.max_capture_bytes + 1)

    def analysis(self, path: str, analyzer: str) -> Any:
        record = self.resolve(path)
        if record is None:
            return None
        return self._analyses.get(record.path, {}).get(analyzer)

    def close(self) -> None:
        """Nothing to release; present for symmetry with layered views."""
        with contextlib.suppress(Exception):
            self._analyses.clear()
