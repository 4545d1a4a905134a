"""Write `docker save`-style archives: the legacy form and the OCI-blob form of Docker 25+.

Legacy: `<id>/layer.tar` + `<id>/json` + `<id>/VERSION`, `<config-hex>.json`, `manifest.json`,
`repositories`. OCI-blob: `blobs/sha256/*` (uncompressed layers, config, manifest), `index.json`,
`oci-layout`, `manifest.json`, `repositories`. Layers are stored uncompressed, as Docker does,
and streamed into the archive.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hullscan.build.oci import (
    CONFIG_MEDIA_TYPE,
    INDEX_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    REF_NAME,
    ImageSpec,
    as_layer_blob,
    canonical_json,
    sha256_digest,
)
from hullscan.build.tarwriter import DEFAULT_MTIME, LayerBlob, LayerBuildError, open_uncompressed
from hullscan.model.image import Platform

UNCOMPRESSED_LAYER = "application/vnd.oci.image.layer.v1.tar"
CONTAINERD_NAME = "io.containerd.image.name"


class ArchiveForm(StrEnum):
    """Which `docker save` layout to write."""

    LEGACY = "legacy"
    OCI = "oci"


@dataclass(frozen=True, slots=True)
class DockerArchive:
    """What was written: the archive path and the ids a reader will report."""

    path: Path
    image_id: str
    """Digest of the config blob (`docker images --digests` IMAGE ID)."""
    diff_ids: tuple[str, ...]
    repo_tags: tuple[str, ...]


def split_repo_tag(repo_tag: str) -> tuple[str, str]:
    """Split `repo:tag` (the tag defaults to `latest`; a port colon is not a tag)."""
    repo, sep, tag = repo_tag.rpartition(":")
    if not sep or "/" in tag:
        return repo_tag, "latest"
    return repo, tag


def containerd_name(repo_tag: str) -> str:
    """Return the fully qualified name Docker writes into `io.containerd.image.name`."""
    repo, tag = split_repo_tag(repo_tag)
    first = repo.split("/", 1)[0]
    if "/" not in repo:
        repo = f"docker.io/library/{repo}"
    elif "." not in first and ":" not in first and first != "localhost":
        repo = f"docker.io/{repo}"
    return f"{repo}:{tag}"


class _ArchiveBuilder:
    """Adds members to the outer archive tar with fixed metadata."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self._dirs: set[str] = set()

    def _parents(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            directory = "/".join(parts[:depth])
            if directory not in self._dirs:
                self._dirs.add(directory)
                info = _info(directory, tarfile.DIRTYPE, 0o755)
                self.tar.addfile(info)

    def add_bytes(self, name: str, data: bytes) -> None:
        self._parents(name)
        info = _info(name, tarfile.REGTYPE, 0o644)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))

    def add_layer(self, name: str, layer: LayerBlob) -> None:
        self._parents(name)
        info = _info(name, tarfile.REGTYPE, 0o644)
        info.size = layer.uncompressed_size
        with open_uncompressed(layer.path) as stream:
            self.tar.addfile(info, stream)


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = DEFAULT_MTIME
    info.uname = info.gname = ""
    return info


def write_docker_archive(
    dest: Path,
    layers: Sequence[Path | LayerBlob],
    config: ImageSpec | Mapping[str, Any] | None = None,
    repo_tags: Sequence[str] = ("hullscan-test:latest",),
    form: ArchiveForm = ArchiveForm.LEGACY,
    platform: Platform | None = None,
) -> DockerArchive:
    """Write a `docker save`-style tarball of one image at `dest` (atomically)."""
    blobs = [as_layer_blob(layer) for layer in layers]
    config_bytes = canonical_json(ImageSpec.coerce(config).to_config(blobs, platform or Platform.host()))
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".archive-", dir=dest.parent)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            builder = _ArchiveBuilder(tar)
            if form is ArchiveForm.LEGACY:
                _write_legacy(builder, blobs, config_bytes, repo_tags)
            else:
                _write_oci(builder, blobs, config_bytes, repo_tags)
            os.fchmod(raw.fileno(), 0o644)
        Path(tmp_name).replace(dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return DockerArchive(
        path=dest,
        image_id=sha256_digest(config_bytes),
        diff_ids=tuple(b.diff_id for b in blobs),
        repo_tags=tuple(repo_tags),
    )


def _repositories(repo_tags: Sequence[str], top: str) -> bytes:
    repositories: dict[str, dict[str, str]] = {}
    for repo_tag in repo_tags:
        repo, tag = split_repo_tag(repo_tag)
        repositories.setdefault(repo, {})[tag] = top
    return canonical_json(repositories)


def _v1_ids(blobs: Sequence[LayerBlob]) -> list[str]:
    """Chain ids like Docker's v1 compatibility ids: each depends on its parent and diff_id."""
    ids: list[str] = []
    parent = ""
    for blob in blobs:
        parent = hashlib.sha256(f"{parent}\n{blob.diff_id}".encode()).hexdigest()
        ids.append(parent)
    return ids


def _write_legacy(
    builder: _ArchiveBuilder, blobs: Sequence[LayerBlob], config: bytes, repo_tags: Sequence[str]
) -> None:
    if not blobs:
        raise LayerBuildError("a docker archive needs at least one layer")
    config_name = f"{sha256_digest(config).removeprefix('sha256:')}.json"
    ids = _v1_ids(blobs)
    for position, (layer_id, blob) in enumerate(zip(ids, blobs, strict=True)):
        v1: dict[str, Any] = {"id": layer_id, "created": "1970-01-01T00:00:00Z", "container_config": {}}
        if position:
            v1["parent"] = ids[position - 1]
        builder.add_bytes(f"{layer_id}/VERSION", b"1.0")
        builder.add_bytes(f"{layer_id}/json", canonical_json(v1))
        builder.add_layer(f"{layer_id}/layer.tar", blob)
    builder.add_bytes(config_name, config)
    manifest = [
        {"Config": config_name, "RepoTags": list(repo_tags), "Layers": [f"{i}/layer.tar" for i in ids]}
    ]
    builder.add_bytes("manifest.json", canonical_json(manifest))
    builder.add_bytes("repositories", _repositories(repo_tags, ids[-1]))


def _write_oci(
    builder: _ArchiveBuilder, blobs: Sequence[LayerBlob], config: bytes, repo_tags: Sequence[str]
) -> None:
    if not blobs:
        raise LayerBuildError("a docker archive needs at least one layer")
    config_digest = sha256_digest(config)
    manifest = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config_digest, "size": len(config)},
            "layers": [
                {"mediaType": UNCOMPRESSED_LAYER, "digest": b.diff_id, "size": b.uncompressed_size}
                for b in blobs
            ],
        }
    )
    manifest_digest = sha256_digest(manifest)
    written: set[str] = set()
    for blob in blobs:
        if blob.diff_id not in written:
            written.add(blob.diff_id)
            builder.add_layer(_blob_name(blob.diff_id), blob)
    builder.add_bytes(_blob_name(config_digest), config)
    builder.add_bytes(_blob_name(manifest_digest), manifest)
    index_entries = [
        {
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": manifest_digest,
            "size": len(manifest),
            "annotations": {
                CONTAINERD_NAME: containerd_name(repo_tag),
                REF_NAME: split_repo_tag(repo_tag)[1],
            },
        }
        for repo_tag in repo_tags
    ]
    index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": index_entries}
    builder.add_bytes("index.json", canonical_json(index))
    docker_manifest = [
        {
            "Config": _blob_name(config_digest),
            "RepoTags": list(repo_tags),
            "Layers": [_blob_name(b.diff_id) for b in blobs],
        }
    ]
    builder.add_bytes("manifest.json", canonical_json(docker_manifest))
    builder.add_bytes("oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
    builder.add_bytes("repositories", _repositories(repo_tags, blobs[-1].diff_id.removeprefix("sha256:")))


def _blob_name(digest: str) -> str:
    return f"blobs/sha256/{digest.removeprefix('sha256:')}"
