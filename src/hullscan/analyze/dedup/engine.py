"""Stream every layer of several images once, counting what a deduplicating store would keep.

A layer that several images share (same diff_id) is read once and weighed by how many images use
it. Each regular file is hashed (SHA-256) and cut into content-defined chunks (BLAKE2b-128 each);
memory holds one entry per distinct file and per distinct chunk, never file contents beyond one
read block and one pending chunk.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hullscan.analyze.dedup.chunker import DEFAULT_PARAMS, Chunker, ChunkParams
from hullscan.analyze.dedup.model import (
    DedupReport,
    DuplicateComponent,
    DuplicateFile,
    ImageBytes,
    Level,
    Location,
)
from hullscan.config import Limits
from hullscan.errors import HullscanError, LayerError, LimitExceededError
from hullscan.fileview.tarstream import TarStream
from hullscan.model.inventory import Inventory
from hullscan.model.package import PackageType
from hullscan.pathnames import normalize_member_name
from hullscan.source.blob import open_layer_stream
from hullscan.source.interface import BlobOpener, ImageSource

READ_BLOCK = 1024 * 1024
TOP_FILES = 20


class DedupError(HullscanError):
    """The images could not be read for deduplication."""

    hint = "Check that every image reference opens with `hullscan inspect IMAGE`."


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """A bundled component copy to identify by content: where it is and what it is."""

    layer_digest: str
    path: str
    component: str
    version: str
    os_owned: bool = False
    """The file belongs to an OS package (Debian's own libz): it labels duplicated files but is
    not a bundled copy, so it never counts as a bundled duplicate."""


@dataclass(frozen=True, slots=True)
class ImageInput:
    """One opened image: its reference, its source and the bundled components it holds."""

    reference: str
    source: ImageSource
    components: tuple[ComponentRef, ...] = ()


@dataclass(slots=True)
class _Layer:
    key: str
    """diff_id when known (same content, whatever the compression), else the blob digest."""
    reader: Callable[[], Iterator[tuple[str, int, BinaryIO | None, Callable[[int], bytes]]]]
    uses: list[tuple[str, int, str]] = field(default_factory=list)
    """(image reference, layer index, layer digest) for every image holding the layer."""


@dataclass(slots=True)
class _FileEntry:
    size: int
    copies: int
    example: Location


@dataclass(slots=True)
class _Totals:
    logical_bytes: int = 0
    logical_files: int = 0
    layer_bytes: int = 0
    chunk_bytes: int = 0
    streamed: int = 0
    files: dict[bytes, _FileEntry] = field(default_factory=dict)
    chunks: dict[bytes, int] = field(default_factory=dict)
    per_image_bytes: dict[str, int] = field(default_factory=dict)
    per_image_files: dict[str, int] = field(default_factory=dict)
    located: dict[tuple[str, str], bytes] = field(default_factory=dict)
    """(layer digest, path) → file digest, for the bundled components asked about."""


ReadMember = Callable[[int], bytes]
Member = tuple[str, int, BinaryIO | None, ReadMember]


def _tar_members(opener: BlobOpener, digest: str, limits: Limits) -> Iterator[Member]:
    """Yield (path, size, None, read) for each regular file of a layer blob, in stream order."""
    raw = opener.open()
    stream, verifier = open_layer_stream(raw, digest, limits.max_layer_bytes, f"layer {digest[:19]}")
    with stream:
        tar = TarStream(stream)
        try:
            for member in tar:
                if member.type not in (b"0", b"7"):
                    continue
                path, _ = normalize_member_name(member.name)
                if member.size > limits.max_file_bytes:
                    msg = f"member {member.name!r} is {member.size} bytes, over the per-file cap"
                    raise LimitExceededError(msg)
                yield path, member.size, None, tar.read_data
        except HullscanError:
            raise
        except (EOFError, OSError, ValueError, UnicodeError) as exc:
            msg = f"layer {digest[:19]} is not a readable tar stream: {exc}"
            raise LayerError(msg) from exc
        while stream.read(READ_BLOCK):
            pass
        verifier.drain()


def _directory_members(root: Path, limits: Limits) -> Iterator[Member]:
    """Yield regular files under `root` (no symlinks followed; hard-linked inodes once)."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    stack.append(Path(entry.path))
                    continue
                if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) in seen:
                    continue
                if info.st_nlink > 1:
                    seen.add((info.st_dev, info.st_ino))
                if info.st_size > limits.max_file_bytes:
                    msg = f"{entry.path} is {info.st_size} bytes, over the per-file cap"
                    raise LimitExceededError(msg)
                path = "/" + Path(entry.path).relative_to(root).as_posix()
                with open(entry.path, "rb") as handle:  # noqa: PTH123 - scandir gives str paths
                    yield path, info.st_size, handle, handle.read


def _plan(images: Sequence[ImageInput], limits: Limits) -> list[_Layer]:
    """Group the images' layers by content identity, keeping first-seen order."""
    layers: dict[str, _Layer] = {}
    for image in images:
        rootfs = image.source.rootfs()
        description = image.source.describe()
        if rootfs is not None:
            key = f"dir:{rootfs.resolve()}"
            digest = str(getattr(image.source, "pseudo_digest", "dir:" + str(rootfs)))
            layer = layers.setdefault(key, _Layer(key, _bind_directory(rootfs, limits)))
            layer.uses.append((image.reference, 0, digest))
            continue
        for ref in description.layers:
            key = ref.diff_id or ref.digest
            opener = image.source.layer_opener(ref)
            layer = layers.setdefault(key, _Layer(key, _bind_tar(opener, ref.digest, limits)))
            layer.uses.append((image.reference, ref.index, ref.digest))
    return list(layers.values())


def _bind_tar(opener: BlobOpener, digest: str, limits: Limits) -> Callable[[], Iterator[Member]]:
    return lambda: _tar_members(opener, digest, limits)


def _bind_directory(root: Path, limits: Limits) -> Callable[[], Iterator[Member]]:
    return lambda: _directory_members(root, limits)


class _Counter:
    """Feeds files into the totals."""

    def __init__(self, params: ChunkParams, wanted: Mapping[tuple[str, str], object]) -> None:
        self.params = params
        self.totals = _Totals()
        self.wanted = wanted

    def layer(self, layer: _Layer) -> None:
        weight = len(layer.uses)
        image, index, _ = layer.uses[0]
        digests = {digest for _, _, digest in layer.uses}
        for path, size, _, read in layer.reader():
            file_digest = self._file(read, size, weight, Location(image, index, path))
            for digest in digests:
                if (digest, path) in self.wanted:
                    self.totals.located[(digest, path)] = file_digest
            for reference, _, _ in layer.uses:
                self.totals.per_image_bytes[reference] = self.totals.per_image_bytes.get(reference, 0) + size
                self.totals.per_image_files[reference] = self.totals.per_image_files.get(reference, 0) + 1

    def _file(self, read: ReadMember, size: int, weight: int, where: Location) -> bytes:
        totals = self.totals
        totals.logical_bytes += size * weight
        totals.logical_files += weight
        totals.layer_bytes += size
        totals.streamed += size
        whole = hashlib.sha256()
        chunker = Chunker(self.params)
        left = size
        while left > 0:
            block = read(min(READ_BLOCK, left))
            if not block:
                msg = f"{where.path}: content ends {left} bytes early"
                raise LayerError(msg)
            left -= len(block)
            whole.update(block)
            self._chunks(chunker.feed(block))
        self._chunks(chunker.finish())
        digest = whole.digest()
        entry = totals.files.get(digest)
        if entry is None:
            totals.files[digest] = _FileEntry(size, weight, where)
        else:
            entry.copies += weight
        return digest

    def _chunks(self, chunks: list[bytes]) -> None:
        store = self.totals.chunks
        for chunk in chunks:
            key = hashlib.blake2b(chunk, digest_size=16).digest()
            if key not in store:
                store[key] = len(chunk)
                self.totals.chunk_bytes += len(chunk)


def dedup_images(
    images: Sequence[ImageInput],
    limits: Limits | None = None,
    params: ChunkParams = DEFAULT_PARAMS,
    top: int = TOP_FILES,
) -> DedupReport:
    """Read every distinct layer of `images` once and report what sharing would save."""
    limits = limits or Limits()
    layers = _plan(images, limits)
    wanted = {(ref.layer_digest, ref.path): ref for image in images for ref in image.components}
    counter = _Counter(params, wanted)
    for layer in layers:
        counter.layer(layer)
    totals = counter.totals
    components = _components(images, totals, bundled_only=True)
    labels = _labels(_components(images, totals, bundled_only=False))
    levels = (
        Level("layers", totals.layer_bytes, totals.logical_bytes, len(layers)),
        Level("files", sum(e.size for e in totals.files.values()), totals.logical_bytes, len(totals.files)),
        Level("chunks", totals.chunk_bytes, totals.logical_bytes, len(totals.chunks)),
    )
    return DedupReport(
        images=tuple(_image_bytes(images, layers, totals)),
        logical_bytes=totals.logical_bytes,
        logical_files=totals.logical_files,
        levels=levels,
        bundled_duplicate_bytes=_bundled_saved(components),
        components=tuple(components),
        top_files=tuple(_top_files(totals, labels, top)),
        chunk_params=(params.min_size, params.normal_size, params.max_size),
        streamed_bytes=totals.streamed,
    )


def _image_bytes(
    images: Sequence[ImageInput], layers: Sequence[_Layer], totals: _Totals
) -> Iterator[ImageBytes]:
    for image in images:
        count = sum(1 for layer in layers for use in layer.uses if use[0] == image.reference)
        yield ImageBytes(
            image.reference,
            count,
            totals.per_image_bytes.get(image.reference, 0),
            totals.per_image_files.get(image.reference, 0),
        )


def _components(
    images: Sequence[ImageInput], totals: _Totals, *, bundled_only: bool
) -> list[DuplicateComponent]:
    """Group component copies by (component, version, content digest); keep duplicates.

    `bundled_only` leaves out the copies OS packages own.
    """
    groups: dict[tuple[str, str, bytes], list[Location]] = {}
    index_of = _layer_indexes(images)
    for image in images:
        for ref in image.components:
            if bundled_only and ref.os_owned:
                continue
            digest = totals.located.get((ref.layer_digest, ref.path))
            if digest is None:
                continue
            where = Location(image.reference, index_of.get((image.reference, ref.layer_digest), 0), ref.path)
            groups.setdefault((ref.component, ref.version, digest), []).append(where)
    out = [
        DuplicateComponent(component, version, digest.hex(), totals.files[digest].size, tuple(locations))
        for (component, version, digest), locations in groups.items()
        if len(locations) > 1
    ]
    return sorted(out, key=lambda c: (-c.saved_bytes, c.component, c.digest))


def _bundled_saved(components: Sequence[DuplicateComponent]) -> int:
    """Return the bytes saved on duplicated component files, each file content counted once.

    One file can hold several components (static linking): their groups share a digest and the
    same copies, which a store keeps once, not once per component.
    """
    copies: dict[str, set[Location]] = {}
    sizes: dict[str, int] = {}
    for component in components:
        copies.setdefault(component.digest, set()).update(component.locations)
        sizes[component.digest] = component.size
    return sum((len(where) - 1) * sizes[digest] for digest, where in copies.items())


def _labels(components: Sequence[DuplicateComponent]) -> dict[str, str]:
    """Return file digest -> the components it holds (`openssl 3.0.7, zlib 1.3`)."""
    names: dict[str, list[str]] = {}
    for component in components:
        label = f"{component.component} {component.version}".strip()
        if label not in names.setdefault(component.digest, []):
            names[component.digest].append(label)
    return {digest: ", ".join(sorted(found)) for digest, found in names.items()}


def _layer_indexes(images: Sequence[ImageInput]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for image in images:
        for ref in image.source.describe().layers:
            found.setdefault((image.reference, ref.digest), ref.index)
    return found


def _top_files(totals: _Totals, labels: Mapping[str, str], top: int) -> list[DuplicateFile]:
    duplicated = [(key, entry) for key, entry in totals.files.items() if entry.copies > 1 and entry.size]
    duplicated.sort(key=lambda item: (-(item[1].copies - 1) * item[1].size, item[1].example.path))
    return [
        DuplicateFile(digest.hex(), entry.size, entry.copies, entry.example, labels.get(digest.hex(), ""))
        for digest, entry in duplicated[:top]
    ]


_OS_PACKAGE_TYPES = frozenset({PackageType.DEB.value, PackageType.RPM.value, PackageType.APK.value})


def components_of(inventory: Inventory) -> tuple[ComponentRef, ...]:
    """Return the bundled native component copies of an inventory, as dedup look-ups."""
    refs = []
    for package in inventory.packages:
        if package.type is not PackageType.BINARY or "component" not in package.metadata:
            continue
        location = package.locations[0] if package.locations else None
        if location is None or location.layer_digest is None:
            continue
        path = str(package.metadata.get("host_path") or location.path)
        host = package.metadata.get("host")
        os_owned = isinstance(host, dict) and host.get("type") in _OS_PACKAGE_TYPES
        refs.append(ComponentRef(location.layer_digest, path, package.name, package.version, os_owned))
    return tuple(refs)
