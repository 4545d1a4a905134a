"""Write OCI image layouts (single image, multi-platform index, nested index) from layer blobs.

Content-addressed blobs under `blobs/sha256/`, canonical JSON (sorted keys, no spaces), atomic
writes, and an `index.json` whose entries carry `org.opencontainers.image.ref.name`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullscan.build.tarwriter import LayerBlob, LayerBuildError, describe_blob
from hullscan.model.image import Platform

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
DEFAULT_CREATED = "1970-01-01T00:00:00Z"
DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def canonical_json(value: Any) -> bytes:
    """Serialize `value` the same way every time (sorted keys, compact separators)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_digest(data: bytes) -> str:
    """Return `sha256:<hex>` of `data`."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), 0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One history line of the image config."""

    created_by: str
    empty_layer: bool = False
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """What goes into an image config besides the layers."""

    entrypoint: Sequence[str] = ()
    cmd: Sequence[str] = ()
    env: Sequence[str] = (DEFAULT_PATH_ENV,)
    user: str = ""
    workdir: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    history: Sequence[HistoryItem | str] = ()
    """One line per layer (strings are `created_by`); empty: one generic line per layer."""
    created: str = DEFAULT_CREATED

    @classmethod
    def coerce(cls, value: ImageSpec | Mapping[str, Any] | None) -> ImageSpec:
        """Accept an `ImageSpec`, a mapping with the same keys, or None."""
        if value is None:
            return cls()
        if isinstance(value, ImageSpec):
            return value
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise LayerBuildError(f"unknown image config keys: {sorted(unknown)}")
        return cls(**value)

    def to_config(self, layers: Sequence[LayerBlob], platform: Platform) -> dict[str, Any]:
        """Return the OCI image config document for `layers` on `platform`."""
        optional: dict[str, Any] = {
            "Entrypoint": list(self.entrypoint),
            "Cmd": list(self.cmd),
            "User": self.user,
            "WorkingDir": self.workdir,
            "Labels": dict(self.labels),
        }
        inner = {"Env": list(self.env)} | {k: v for k, v in optional.items() if v}
        config: dict[str, Any] = {
            "created": self.created,
            "architecture": platform.architecture,
            "os": platform.os,
            "config": inner,
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
            "history": self._history(len(layers)),
        }
        if platform.variant:
            config["variant"] = platform.variant
        return config

    def _history(self, layer_count: int) -> list[dict[str, Any]]:
        items = list(self.history) or [f"hullscan layer {n}" for n in range(layer_count)]
        out: list[dict[str, Any]] = []
        for item in items:
            entry = HistoryItem(item) if isinstance(item, str) else item
            line: dict[str, Any] = {"created": self.created, "created_by": entry.created_by}
            if entry.empty_layer:
                line["empty_layer"] = True
            if entry.comment:
                line["comment"] = entry.comment
            out.append(line)
        return out


@dataclass(frozen=True, slots=True)
class Descriptor:
    """An OCI content descriptor."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the descriptor as an OCI JSON object."""
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.platform is not None:
            out["platform"] = platform_json(self.platform)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


def platform_json(platform: Platform) -> dict[str, str]:
    """Return the OCI JSON form of a platform."""
    out = {"architecture": platform.architecture, "os": platform.os}
    if platform.variant:
        out["variant"] = platform.variant
    return out


def as_layer_blob(layer: Path | LayerBlob) -> LayerBlob:
    """Return a `LayerBlob`, computing digests for a bare path."""
    return layer if isinstance(layer, LayerBlob) else describe_blob(layer)


class OciLayoutWriter:
    """Adds blobs, images and indexes to an OCI layout directory and keeps its `index.json`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blob_dir = root / "blobs" / "sha256"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(root / "oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
        self._entries: list[dict[str, Any]] = self._existing_entries()

    def _existing_entries(self) -> list[dict[str, Any]]:
        index = self.root / "index.json"
        if not index.is_file():
            return []
        manifests = json.loads(index.read_text()).get("manifests", [])
        return [m for m in manifests if isinstance(m, dict)]

    def blob_path(self, digest: str) -> Path:
        """Return where the blob named `digest` lives."""
        return self.blob_dir / digest.removeprefix("sha256:")

    def put_bytes(self, data: bytes, media_type: str) -> Descriptor:
        """Store `data` as a blob and return its descriptor."""
        digest = sha256_digest(data)
        path = self.blob_path(digest)
        if not path.is_file():
            atomic_write(path, data)
        return Descriptor(media_type, digest, len(data))

    def put_json(self, value: Any, media_type: str) -> Descriptor:
        """Store a JSON document as a blob (canonical form)."""
        return self.put_bytes(canonical_json(value), media_type)

    def put_layer(self, layer: Path | LayerBlob) -> LayerBlob:
        """Store a layer blob (hard-linked when possible, else copied) and describe it."""
        blob = as_layer_blob(layer)
        target = self.blob_path(blob.digest)
        if not target.is_file():
            _link_or_copy(blob.path, target)
        return blob

    def add_image(
        self,
        layers: Sequence[Path | LayerBlob],
        config: ImageSpec | Mapping[str, Any] | None = None,
        platform: Platform | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> Descriptor:
        """Store layers, config and manifest; return the manifest descriptor (with platform)."""
        chosen = platform or Platform.host()
        blobs = [self.put_layer(layer) for layer in layers]
        config_doc = ImageSpec.coerce(config).to_config(blobs, chosen)
        config_desc = self.put_json(config_doc, CONFIG_MEDIA_TYPE)
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": config_desc.to_json(),
            "layers": [Descriptor(b.media_type, b.digest, b.size).to_json() for b in blobs],
        }
        if annotations:
            manifest["annotations"] = dict(annotations)
        stored = self.put_json(manifest, MANIFEST_MEDIA_TYPE)
        return Descriptor(MANIFEST_MEDIA_TYPE, stored.digest, stored.size, platform=chosen)

    def add_index(self, manifests: Sequence[Descriptor]) -> Descriptor:
        """Store an image index over `manifests` and return its descriptor."""
        index = {
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [m.to_json() for m in manifests],
        }
        stored = self.put_json(index, INDEX_MEDIA_TYPE)
        return Descriptor(INDEX_MEDIA_TYPE, stored.digest, stored.size)

    def tag(self, descriptor: Descriptor, name: str) -> None:
        """Point `name` at `descriptor` in `index.json` (replacing an older entry of that name)."""
        self._entries = [e for e in self._entries if e.get("annotations", {}).get(REF_NAME) != name]
        entry = descriptor.to_json()
        entry["annotations"] = {**entry.get("annotations", {}), REF_NAME: name}
        self._entries.append(entry)
        self.save()

    def save(self) -> None:
        """Write `index.json`."""
        index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": self._entries}
        atomic_write(self.root / "index.json", canonical_json(index))


def _link_or_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    tmp.replace(target)


def write_oci_layout(
    dest: Path,
    layers: Sequence[Path | LayerBlob],
    config: ImageSpec | Mapping[str, Any] | None = None,
    tag: str = "latest",
    platform: Platform | None = None,
) -> str:
    """Write (or add to) the OCI layout `dest` holding one image tagged `tag`; return its digest."""
    writer = OciLayoutWriter(dest)
    descriptor = writer.add_image(layers, config, platform)
    writer.tag(Descriptor(descriptor.media_type, descriptor.digest, descriptor.size), tag)
    return descriptor.digest


@dataclass(frozen=True, slots=True)
class PlatformImage:
    """One platform's image inside a multi-platform index."""

    platform: Platform
    layers: Sequence[Path | LayerBlob]
    config: ImageSpec | Mapping[str, Any] | None = None


def write_multi_platform_layout(
    dest: Path,
    images: Sequence[PlatformImage],
    tag: str = "latest",
    *,
    nested: bool = False,
) -> str:
    """Write an image index over several platform images, tagged `tag`; return its digest.

    With `nested`, the tagged index holds a single child index, which holds the manifests.
    """
    if not images:
        raise LayerBuildError("a multi-platform index needs at least one image")
    writer = OciLayoutWriter(dest)
    manifests = [writer.add_image(i.layers, i.config, i.platform) for i in images]
    index = writer.add_index(manifests)
    if nested:
        index = writer.add_index([index])
    writer.tag(index, tag)
    return index.digest
