"""`docker save` / `skopeo copy docker-archive:` tarballs, read in place (never extracted).

Both forms are understood: legacy (`<id>/layer.tar` folders) and the OCI-blob form Docker 25+
writes (`blobs/sha256/<hex>` plus `index.json`). The outer tar is indexed once (headers only)
and each layer is read straight from its offset.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hullscan.errors import LayerError, ManifestError, SourceError
from hullscan.model.image import ImageDescription, LayerRef
from hullscan.pathnames import normalize_member_name
from hullscan.source import manifest as mf
from hullscan.source.blob import sniff_compression
from hullscan.source.interface import BlobOpener, ImageSource


class _SliceReader(io.RawIOBase):
    """A read-only window [offset, offset+size) of a file."""

    def __init__(self, path: Path, offset: int, size: int) -> None:
        super().__init__()
        self._handle = path.open("rb")
        self._handle.seek(offset)
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        want = min(len(buffer), self._left)
        data = self._handle.read(want)
        if not data:
            raise LayerError("archive ends inside a layer (truncated file)")
        n = len(data)
        buffer[:n] = data
        self._left -= n
        return n

    def close(self) -> None:
        self._handle.close()
        super().close()


@dataclass(frozen=True, slots=True)
class ArchiveMemberOpener(BlobOpener):
    """Opens one member of an uncompressed outer tar by offset."""

    archive: Path
    offset: int
    size: int

    def open(self) -> BinaryIO:
        return io.BufferedReader(_SliceReader(self.archive, self.offset, self.size), 1 << 20)


class DockerArchiveSource(ImageSource):
    """An image inside a docker-archive tarball."""

    def __init__(self, archive: Path, selector: str | None = None) -> None:
        self.archive = archive
        self.selector = selector
        self._members = self._index_members()
        self._description: ImageDescription | None = None
        self._openers: dict[str, ArchiveMemberOpener] = {}

    def _index_members(self) -> dict[str, tarfile.TarInfo]:
        if not self.archive.is_file():
            raise SourceError(f"{self.archive} does not exist or is not a file")
        with self.archive.open("rb") as handle:
            if sniff_compression(handle.read(4)) != "none":
                raise SourceError(
                    f"{self.archive} is compressed",
                    hint="Decompress it first (gunzip / zstd -d): layers are read in place by offset.",
                )
        members: dict[str, tarfile.TarInfo] = {}
        try:
            with tarfile.open(self.archive, mode="r:") as tar:
                for member in tar:
                    name, _ = normalize_member_name(member.name)
                    members[name.lstrip("/")] = member
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SourceError(f"{self.archive} is not a readable tar archive: {exc}") from exc
        return members

    def _member(self, name: str, what: str) -> tarfile.TarInfo:
        key, _ = normalize_member_name(name)
        member = self._members.get(key.lstrip("/"))
        depth = 0
        while member is not None and (member.issym() or member.islnk()) and depth < 8:
            depth += 1
            target = member.linkname
            if member.issym():
                target = str(Path(key).parent / target)
            key, _ = normalize_member_name(target)
            member = self._members.get(key.lstrip("/"))
        if member is None or not member.isfile():
            raise ManifestError(f"{what} {name!r} is missing from {self.archive}")
        return member

    def _read_member(self, name: str, what: str) -> bytes:
        member = self._member(name, what)
        if member.size > mf.MAX_DOCUMENT_BYTES:
            raise ManifestError(f"{what} {name!r} is too large ({member.size} bytes)")
        with self.archive.open("rb") as handle:
            handle.seek(member.offset_data)
            data = handle.read(member.size)
        if len(data) != member.size:
            raise ManifestError(f"{what} {name!r} is truncated")
        return data

    def _entry(self, manifest: list[Any]) -> dict[str, Any]:
        entries = [e for e in manifest if isinstance(e, dict)]
        if not entries:
            raise ManifestError(f"{self.archive}: manifest.json lists no images")
        if self.selector is None:
            return entries[0]
        for entry in entries:
            if self.selector in (entry.get("RepoTags") or []):
                return entry
        tags = sorted(t for e in entries for t in e.get("RepoTags") or [])
        raise SourceError(
            f"{self.archive} has no image tagged {self.selector!r}",
            hint=f"Available tags: {', '.join(tags) or 'none'}",
        )

    def describe(self) -> ImageDescription:
        if self._description is not None:
            return self._description
        raw = self._read_member("manifest.json", "manifest")
        try:
            manifest = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{self.archive}: manifest.json is not valid JSON") from exc
        if not isinstance(manifest, list):
            raise ManifestError(f"{self.archive}: manifest.json is not a list")
        entry = self._entry(manifest)
        config_name = str(entry.get("Config") or "")
        config_bytes = self._read_member(config_name, "config")
        config_doc = mf.load_json(config_bytes, "image config")
        config = mf.parse_config(config_doc)
        layer_names = [str(n) for n in entry.get("Layers") or []]
        layers = tuple(self._layer_ref(i, n, config.diff_ids) for i, n in enumerate(layer_names))
        self._description = ImageDescription(
            reference=f"docker-archive:{self.archive}" + (f":{self.selector}" if self.selector else ""),
            source_kind="docker-archive",
            config_digest="sha256:" + hashlib.sha256(config_bytes).hexdigest(),
            platform=mf.config_platform(config_doc),
            config=config,
            layers=layers,
            repo_tags=tuple(str(t) for t in entry.get("RepoTags") or []),
        )
        return self._description

    def _layer_ref(self, index: int, name: str, diff_ids: tuple[str, ...]) -> LayerRef:
        member = self._member(name, "layer")
        opener = ArchiveMemberOpener(self.archive, member.offset_data, member.size)
        diff_id = diff_ids[index] if index < len(diff_ids) else None
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "blobs":
            digest = f"{parts[1]}:{parts[2]}"
        else:
            with opener.open() as stream:
                head = stream.read(4)
            if sniff_compression(head) == "none" and diff_id:
                digest = diff_id
            else:
                digest = _hash_stream(opener)
        self._openers[digest] = opener
        return LayerRef(index=index, digest=digest, media_type="", size=member.size, diff_id=diff_id)

    def layer_opener(self, layer: LayerRef) -> BlobOpener:
        self.describe()
        return self._openers[layer.digest]


def _hash_stream(opener: BlobOpener) -> str:
    digest = hashlib.sha256()
    with opener.open() as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()
