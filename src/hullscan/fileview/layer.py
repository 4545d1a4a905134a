"""Index one layer blob in a single streaming pass: file records, wanted contents, analyses.

The caller says which paths it wants the content of (catalogers decide from the path
alone) and which content analyzers to run (they decide from the path and the first bytes).
Nothing is written to the host filesystem except spooled analyzer input in `spool_dir`.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from hullscan.config import Limits
from hullscan.errors import HullscanError, LayerError, LimitExceededError
from hullscan.fileview.policy import CapturePolicy, ContentAnalyzer
from hullscan.fileview.tarstream import ByteStream, TarMember, TarStream
from hullscan.model.files import FileKind, FileRecord
from hullscan.pathnames import normalize_member_name
from hullscan.source.blob import open_layer_stream
from hullscan.source.interface import BlobOpener

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
HEAD_BYTES = 64
IN_MEMORY_ANALYSIS_BYTES = 32 * 1024 * 1024


@dataclass(slots=True)
class LayerIndex:
    """Everything one pass over a layer learned."""

    digest: str
    index: int
    records: list[FileRecord] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)
    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    blob_bytes: int = 0
    """Bytes of the (compressed) blob as stored."""

    @property
    def file_count(self) -> int:
        """Return how many regular files and links the layer holds."""
        return sum(1 for r in self.records if r.kind != FileKind.DIR)

    @property
    def total_size(self) -> int:
        """Return the sum of regular file sizes."""
        return sum(r.size for r in self.records if r.kind is FileKind.FILE)


_KIND_BY_TYPE = {
    b"0": FileKind.FILE,
    b"7": FileKind.FILE,
    b"5": FileKind.DIR,
    b"2": FileKind.SYMLINK,
    b"1": FileKind.HARDLINK,
    b"3": FileKind.CHAR_DEVICE,
    b"4": FileKind.BLOCK_DEVICE,
    b"6": FileKind.FIFO,
}


def _whiteout_kind(path: str) -> tuple[FileKind, str] | None:
    """Return (marker kind, target path) if `path` is a whiteout marker."""
    head, _, base = path.rpartition("/")
    if not base.startswith(WHITEOUT_PREFIX):
        return None
    if base == OPAQUE_MARKER:
        return FileKind.OPAQUE, head or "/"
    target = base[len(WHITEOUT_PREFIX) :]
    if not target or target in (".", ".."):
        return None
    return FileKind.WHITEOUT, f"{head}/{target}"


class _Indexer:
    """State of one streaming pass."""

    def __init__(
        self, digest: str, index: int, policy: CapturePolicy, limits: Limits, spool_dir: Path | None
    ) -> None:
        self.out = LayerIndex(digest=digest, index=index)
        self.policy = policy
        self.limits = limits
        self.spool_dir = spool_dir

    def add(self, tar: TarStream, member: TarMember) -> None:
        path, warning = normalize_member_name(member.name)
        if warning:
            self.out.warnings.append(warning)
        if path == "/":
            return
        kind = _KIND_BY_TYPE.get(member.type)
        if kind is None:
            self.out.warnings.append(f"member {member.name!r}: unsupported tar type {member.type!r}")
            return
        if member.size > self.limits.max_file_bytes:
            msg = f"member {member.name!r} is {member.size} bytes, over the per-file cap"
            raise LimitExceededError(msg)
        kind, path, link = self._kind_path_and_link(member, kind, path)
        record = FileRecord(
            path=path,
            kind=kind,
            size=member.size if kind is FileKind.FILE else 0,
            mode=member.mode,
            layer_index=self.out.index,
            layer_digest=self.out.digest,
            link_target=link,
            mtime=int(member.mtime),
            uid=member.uid,
            gid=member.gid,
        )
        self.out.records.append(record)
        if kind is FileKind.FILE:
            self._maybe_capture(tar, member, path)
        elif kind is FileKind.HARDLINK and link in self.out.contents and self.policy.wants(path):
            self.out.contents[path] = self.out.contents[link]

    def _kind_path_and_link(
        self, member: TarMember, kind: FileKind, path: str
    ) -> tuple[FileKind, str, str | None]:
        """Turn whiteout markers into WHITEOUT records and read symlink / hard-link targets."""
        whiteout = _whiteout_kind(path)
        if whiteout is not None:
            whiteout_kind, whiteout_path = whiteout
            return whiteout_kind, whiteout_path, None
        if kind is FileKind.SYMLINK:
            return kind, path, member.linkname
        if kind is FileKind.HARDLINK:
            link, link_warning = normalize_member_name(member.linkname)
            if link_warning:
                self.out.warnings.append(link_warning)
            return kind, path, link
        return kind, path, None

    def _maybe_capture(self, tar: TarStream, member: TarMember, path: str) -> None:
        wanted = self.policy.wants(path)
        if not wanted and not self.policy.analyzers:
            return
        if wanted and member.size > self.limits.max_capture_bytes:
            self.out.warnings.append(
                f"{path}: {member.size} bytes is over the capture cap; not read by catalogers"
            )
            wanted = False
        if wanted:
            data = tar.read_data()
            self.out.contents[path] = data
            self._analyze(path, io.BytesIO(data), member.size, data[:HEAD_BYTES])
            return
        head = tar.read_data(HEAD_BYTES)
        chosen = [a for a in self.policy.analyzers if a.wants(path, head, member.size)]
        if not chosen:
            return
        stream = self._spool(head, tar, member.size)
        try:
            self._analyze(path, stream, member.size, head, chosen)
        finally:
            stream.close()

    def _spool(self, head: bytes, rest: TarStream, size: int) -> BinaryIO:
        if size <= IN_MEMORY_ANALYSIS_BYTES:
            return io.BytesIO(rest.read_data(prefix=head))  # BytesIO shares the bytes: no copy
        spool = tempfile.TemporaryFile(dir=self.spool_dir)  # noqa: SIM115 - closed by caller
        spool.write(head)
        while chunk := rest.read_data(1024 * 1024):
            spool.write(chunk)
        spool.seek(0)
        return spool

    def _analyze(
        self,
        path: str,
        stream: BinaryIO,
        size: int,
        head: bytes,
        chosen: Sequence[ContentAnalyzer] | None = None,
    ) -> None:
        if chosen is None:
            chosen = [a for a in self.policy.analyzers if a.wants(path, head, size)]
        for analyzer in chosen:
            stream.seek(0)
            try:
                result = analyzer.analyze(path, stream, size)
            except Exception as exc:  # noqa: BLE001 - one bad file must never abort the scan
                self.out.warnings.append(f"{path}: analyzer {analyzer.name} failed: {exc}")
                continue
            if result is not None:
                self.out.analyses.setdefault(path, {})[analyzer.name] = result


def index_layer_stream(
    stream: ByteStream,
    *,
    digest: str,
    index: int,
    policy: CapturePolicy,
    limits: Limits,
    spool_dir: Path | None = None,
) -> LayerIndex:
    """Index an uncompressed tar stream (one pass, no seeking)."""
    indexer = _Indexer(digest, index, policy, limits, spool_dir)
    count = 0
    tar = TarStream(stream)
    try:
        for member in tar:
            count += 1
            if count > limits.max_entries_per_layer:
                msg = f"layer {digest[:19]} has more than {limits.max_entries_per_layer} members"
                raise LimitExceededError(msg)
            indexer.add(tar, member)
    except HullscanError:
        raise
    except (EOFError, OSError, ValueError, UnicodeError) as exc:
        msg = f"layer {digest[:19]} is not a readable tar stream: {exc}"
        raise LayerError(msg) from exc
    indexer.out.records.sort(key=lambda r: r.path)
    return indexer.out


def index_layer_blob(
    opener: BlobOpener,
    *,
    digest: str,
    index: int,
    policy: CapturePolicy,
    limits: Limits,
    verify_digest: bool = True,
    spool_dir: Path | None = None,
) -> LayerIndex:
    """Open, verify, decompress and index one layer blob."""
    what = f"layer {index} ({digest[:19]})"
    raw = opener.open()
    stream, verifier = open_layer_stream(raw, digest if verify_digest else None, limits.max_layer_bytes, what)
    with stream:
        result = index_layer_stream(
            stream, digest=digest, index=index, policy=policy, limits=limits, spool_dir=spool_dir
        )
        # tar streams end with padding the tar reader may not consume: drain it, then the
        # remaining compressed bytes, so the digest covers the whole blob.
        while stream.read(1024 * 1024):
            pass
        verifier.drain()
    result.blob_bytes = verifier.bytes_read
    return result


def read_member(opener: BlobOpener, wanted_path: str, limits: Limits) -> bytes | None:
    """Stream a layer again to fetch one file's content (fallback for uncaptured files)."""
    raw = opener.open()
    stream, _ = open_layer_stream(raw, None, limits.max_layer_bytes, "layer")
    with stream:
        tar = TarStream(stream)
        for member in tar:
            path, _ = normalize_member_name(member.name)
            if path != wanted_path:
                continue
            if _KIND_BY_TYPE.get(member.type) is FileKind.FILE:
                if member.size > limits.max_capture_bytes:
                    msg = f"{wanted_path}: {member.size} bytes is over the capture cap"
                    raise LimitExceededError(msg)
                return tar.read_data()
            return None
    return None
