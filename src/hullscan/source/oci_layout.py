"""OCI image layout directories (`oci:DIR[:TAG|@DIGEST]`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hullscan.errors import DigestMismatchError, ManifestError, SourceError
from hullscan.model.image import ImageDescription, LayerRef, Platform
from hullscan.source import manifest as mf
from hullscan.source.interface import BlobOpener, ImageSource

REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True, slots=True)
class FileBlobOpener(BlobOpener):
    """Opens a blob stored as a plain file."""

    path: Path

    def open(self) -> BinaryIO:
        try:
            return self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"cannot open blob {self.path}: {exc.strerror}") from exc


class OciLayoutSource(ImageSource):
    """An image inside an OCI layout directory, chosen by tag, digest or platform."""

    def __init__(
        self, root: Path, selector: str | None = None, platform: Platform | None = None
    ) -> None:
        self.root = root
        self.selector = selector
        self.platform = platform
        if not (root / "index.json").is_file():
            raise SourceError(
                f"{root} is not an OCI layout (no index.json)",
                hint="Point at a directory written by `skopeo copy … oci:DIR` or `umoci`.",
            )
        self._description: ImageDescription | None = None

    def blob_path(self, digest: str, what: str = "blob") -> Path:
        """Return the path of a blob, refusing digests that are not hex."""
        hexdigest = mf.check_digest_form(digest, what)
        algo = digest.partition(":")[0]
        return self.root / "blobs" / algo / hexdigest

    def read_blob(self, descriptor: Mapping[str, Any], what: str) -> bytes:
        """Read and verify a small blob (manifest, index, config)."""
        digest = str(descriptor.get("digest"))
        path = self.blob_path(digest, what)
        try:
            size = path.stat().st_size
            if size > mf.MAX_DOCUMENT_BYTES:
                raise ManifestError(f"{what} blob {digest[:19]} is {size} bytes; too large")
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ManifestError(f"{what} blob {digest} is missing from {self.root}") from exc
        algo, _, expected = digest.partition(":")
        if hashlib.new(algo, data).hexdigest() != expected:
            raise DigestMismatchError(f"{what} blob {digest[:19]} does not match its digest")
        return data

    def _top_descriptor(self, index: dict[str, Any]) -> dict[str, Any] | None:
        manifests = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
        if self.selector is None:
            return None if len(manifests) != 1 else manifests[0]
        for descriptor in manifests:
            annotations = descriptor.get("annotations") or {}
            if self.selector in (descriptor.get("digest"), annotations.get(REF_NAME)):
                return descriptor
        names = sorted(
            str((m.get("annotations") or {}).get(REF_NAME) or m.get("digest")) for m in manifests
        )
        raise SourceError(
            f"{self.root} has no image named {self.selector!r}",
            hint=f"Available: {', '.join(names) or 'none'}",
        )

    def describe(self) -> ImageDescription:
        if self._description is not None:
            return self._description
        what = f"OCI layout {self.root}"
        index = mf.load_json((self.root / "index.json").read_bytes(), f"{what} index.json")
        top = self._top_descriptor(index)

        def fetch(descriptor: Mapping[str, Any]) -> dict[str, Any]:
            return mf.load_json(self.read_blob(descriptor, "manifest"), "manifest")

        doc = fetch(top) if top is not None else index
        manifest, chosen = mf.resolve_manifest(doc, fetch, self.platform, what)
        chosen = chosen or top
        config_desc = mf.config_descriptor(manifest, what)
        config_doc = mf.load_json(self.read_blob(config_desc, "config"), "image config")
        config = mf.parse_config(config_doc)
        tag = None
        if top is not None:
            tag = (top.get("annotations") or {}).get(REF_NAME)
        self._description = ImageDescription(
            reference=f"oci:{self.root}" + (f":{self.selector}" if self.selector else ""),
            source_kind="oci",
            manifest_digest=str(chosen["digest"]) if chosen else None,
            config_digest=str(config_desc["digest"]),
            platform=mf.config_platform(config_doc),
            config=config,
            layers=mf.layer_refs(manifest, config.diff_ids, what),
            repo_tags=(str(tag),) if tag else (),
            media_type=mf.media_type_of(manifest),
        )
        return self._description

    def layer_opener(self, layer: LayerRef) -> BlobOpener:
        return FileBlobOpener(self.blob_path(layer.digest, "layer"))
