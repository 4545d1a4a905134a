"""OCI and Docker manifest, index and config documents: parsing and platform selection."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hullscan.errors import ManifestError, PlatformError
from hullscan.model.image import HistoryEntry, ImageConfig, LayerRef, Platform

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset((OCI_INDEX, DOCKER_LIST))
MANIFEST_TYPES = frozenset((OCI_MANIFEST, DOCKER_MANIFEST))
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_INDEX_DEPTH = 8


def load_json(data: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON document (size-capped) that must be an object."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ManifestError(f"{what} is {len(data)} bytes, larger than any sane manifest")
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ManifestError(f"{what} is not a JSON object")
    return doc


def media_type_of(doc: Mapping[str, Any], declared: str | None = None) -> str:
    """Return a document's media type, inferring it from its shape when undeclared."""
    explicit = doc.get("mediaType") or declared
    if isinstance(explicit, str) and explicit:
        return explicit
    if "manifests" in doc:
        return OCI_INDEX
    if "layers" in doc:
        return OCI_MANIFEST
    return ""


def is_index(doc: Mapping[str, Any], declared: str | None = None) -> bool:
    """Return True if the document is an image index / manifest list."""
    return media_type_of(doc, declared) in INDEX_TYPES or (
        "manifests" in doc and "layers" not in doc
    )


DEFAULT_VARIANTS = {"arm64": "v8"}
"""An index entry without a variant means this one (arm64 images are v8 unless they say)."""
LAYER_MEDIA_SUFFIXES = ("tar", "tar+gzip", "tar+zstd", "tar.gzip", "tar.zstd")
"""OCI and Docker layer media types end like this; anything else is an artifact, not a layer."""


def descriptor_platform(descriptor: Mapping[str, Any]) -> Platform | None:
    """Return the platform a descriptor declares, if it declares a usable one."""
    raw = descriptor.get("platform")
    if not isinstance(raw, Mapping):
        return None
    os_name, arch = raw.get("os"), raw.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str):
        return None
    variant = raw.get("variant")
    return Platform(os_name, arch, variant if isinstance(variant, str) and variant else None)


def platform_matches(candidate: Platform, wanted: Platform) -> bool:
    """Return True if an index entry for `candidate` satisfies a request for `wanted`."""
    if (candidate.os, candidate.architecture) != (wanted.os, wanted.architecture):
        return False
    if wanted.variant is None:
        return True
    return (candidate.variant or DEFAULT_VARIANTS.get(candidate.architecture)) == wanted.variant


def select_descriptor(
    index: Mapping[str, Any], wanted: Platform | None, what: str
) -> dict[str, Any]:
    """Pick the manifest descriptor for the wanted platform (host's by default)."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise ManifestError(f"{what} lists no manifests")
    usable = [m for m in manifests if isinstance(m, dict) and isinstance(m.get("digest"), str)]
    # attestation manifests (buildx) carry platform unknown/unknown
    real = [m for m in usable if (descriptor_platform(m) or Platform("x", "x")).os != "unknown"]
    if len(real) == 1 and wanted is None:
        return real[0]
    target = wanted or Platform.host()
    for descriptor in real:
        platform = descriptor_platform(descriptor)
        if platform is None or platform_matches(platform, target):
            return descriptor
    offered = ", ".join(str(descriptor_platform(m)) for m in real) or "none"
    raise PlatformError(f"{what} has no manifest for {target}; it offers: {offered}")


def resolve_manifest(
    doc: dict[str, Any],
    fetch: Callable[[Mapping[str, Any]], dict[str, Any]],
    wanted: Platform | None,
    what: str,
) -> tuple[dict[str, Any], Mapping[str, Any] | None]:
    """Follow (possibly nested) indexes down to one image manifest.

    Returns (manifest, descriptor that named it or None when `doc` was the manifest).
    """
    descriptor: Mapping[str, Any] | None = None
    for _ in range(MAX_INDEX_DEPTH):
        if not is_index(doc, descriptor.get("mediaType") if descriptor else None):
            return doc, descriptor
        descriptor = select_descriptor(doc, wanted, what)
        doc = fetch(descriptor)
    raise ManifestError(f"{what}: indexes nested more than {MAX_INDEX_DEPTH} deep")


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str):
        return (value,)
    return ()


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(sorted(str(k) for k in value)) if isinstance(value, Mapping) else ()


def parse_config(doc: Mapping[str, Any]) -> ImageConfig:
    """Return the user-facing parts of an image config document."""
    cfg = doc.get("config") or doc.get("container_config") or {}
    if not isinstance(cfg, Mapping):
        cfg = {}
    labels = cfg.get("Labels") or {}
    history = doc.get("history") or []
    rootfs = doc.get("rootfs") or {}
    return ImageConfig(
        entrypoint=_strings(cfg.get("Entrypoint")),
        cmd=_strings(cfg.get("Cmd")),
        env=_strings(cfg.get("Env")),
        user=str(cfg.get("User") or ""),
        working_dir=str(cfg.get("WorkingDir") or ""),
        labels=tuple(sorted((str(k), str(v)) for k, v in labels.items()))
        if isinstance(labels, Mapping)
        else (),
        exposed_ports=_keys(cfg.get("ExposedPorts")),
        volumes=_keys(cfg.get("Volumes")),
        created=doc.get("created") if isinstance(doc.get("created"), str) else None,
        history=tuple(
            HistoryEntry(
                created_by=str(h.get("created_by") or ""),
                created=h.get("created"),
                comment=h.get("comment"),
                empty_layer=bool(h.get("empty_layer")),
            )
            for h in history
            if isinstance(h, Mapping)
        ),
        diff_ids=_strings(rootfs.get("diff_ids")) if isinstance(rootfs, Mapping) else (),
    )


def config_platform(doc: Mapping[str, Any]) -> Platform | None:
    """Return the platform recorded in an image config."""
    os_name, arch = doc.get("os"), doc.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str):
        return None
    variant = doc.get("variant")
    return Platform(os_name, arch, variant if isinstance(variant, str) else None)


def layer_refs(manifest: Mapping[str, Any], diff_ids: tuple[str, ...], what: str) -> tuple[LayerRef, ...]:
    """Return the layers a manifest lists, with the config's diff_ids when they line up.

    A layer whose media type is not a tar layer means the manifest is an artifact (a chart, a
    signature), not an image: that is an error rather than a silently empty layer.
    """
    layers = manifest.get("layers")
    if not isinstance(layers, list):
        raise ManifestError(f"{what} has no layer list")
    aligned = len(diff_ids) == len(layers)
    refs = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, Mapping) or not isinstance(layer.get("digest"), str):
            raise ManifestError(f"{what}: layer {index} has no digest")
        media_type = str(layer.get("mediaType") or "")
        if media_type and not media_type.endswith(LAYER_MEDIA_SUFFIXES):
            raise ManifestError(
                f"{what}: layer {index} has media type {media_type!r}, not a tar layer",
                hint="This looks like an OCI artifact, not a container image.",
            )
        size = layer.get("size")
        refs.append(
            LayerRef(
                index=index,
                digest=str(layer["digest"]),
                media_type=media_type,
                size=size if isinstance(size, int) else -1,
                diff_id=diff_ids[index] if aligned else None,
            )
        )
    return tuple(refs)


def config_descriptor(manifest: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """Return the config descriptor of a manifest."""
    config = manifest.get("config")
    if not isinstance(config, Mapping) or not isinstance(config.get("digest"), str):
        raise ManifestError(f"{what} has no config descriptor")
    return config


def check_digest_form(digest: str, what: str) -> str:
    """Return the hex part of a `sha256:…` digest, refusing anything that could be a path."""
    algo, _, hexdigest = digest.partition(":")
    if algo not in ("sha256", "sha512") or not hexdigest or not all(
        c in "0123456789abcdef" for c in hexdigest
    ):
        raise ManifestError(f"{what}: {digest!r} is not a valid digest")
    return hexdigest


def ordered_unique(items: Sequence[str]) -> tuple[str, ...]:
    """Return items without duplicates, first occurrence kept."""
    return tuple(dict.fromkeys(items))
