"""Turn what the user typed into an image source: by prefix, or by looking at the path."""

from __future__ import annotations

import tarfile
from pathlib import Path

from hullscan.config import RegistryOptions
from hullscan.errors import SourceError
from hullscan.model.image import Platform
from hullscan.source.directory import DirectorySource
from hullscan.source.docker_archive import DockerArchiveSource
from hullscan.source.interface import ImageSource
from hullscan.source.oci_layout import OciLayoutSource

PREFIXES = ("oci:", "oci-dir:", "docker-archive:", "dir:", "registry://", "registry:", "docker://")


def _split_selector(text: str) -> tuple[Path, str | None]:
    """Split `PATH[:TAG|@DIGEST]`, preferring the longest prefix that exists on disk."""
    if Path(text).exists():
        return Path(text), None
    if "@" in text:
        path, _, digest = text.rpartition("@")
        return Path(path), digest
    if ":" in text:
        path, _, tag = text.rpartition(":")
        return Path(path), tag
    return Path(text), None


def _registry(reference: str, options: RegistryOptions, platform: Platform | None) -> ImageSource:
    from hullscan.source.registry import RegistrySource  # noqa: PLC0415 - optional, heavier

    return RegistrySource(reference, options=options, platform=platform)


def open_source(
    reference: str,
    platform: Platform | None = None,
    registry: RegistryOptions | None = None,
) -> ImageSource:
    """Return the ImageSource for a reference such as `oci:DIR:TAG` or a bare path."""
    registry = registry or RegistryOptions()
    if reference.startswith(("oci:", "oci-dir:")):
        path, selector = _split_selector(reference.partition(":")[2])
        return OciLayoutSource(path, selector, platform)
    if reference.startswith("docker-archive:"):
        path, selector = _split_selector(reference.partition(":")[2])
        return DockerArchiveSource(path, selector)
    if reference.startswith("dir:"):
        return DirectorySource(Path(reference[4:]))
    if reference.startswith(("registry://", "registry:", "docker://")):
        return _registry(reference, registry, platform)
    return _detect_path(reference, registry, platform)


def _detect_path(reference: str, registry: RegistryOptions, platform: Platform | None) -> ImageSource:
    path = Path(reference)
    if path.is_dir():
        if (path / "index.json").is_file() and (path / "oci-layout").is_file():
            return OciLayoutSource(path, None, platform)
        return DirectorySource(path)
    if path.is_file():
        if tarfile.is_tarfile(path):
            return DockerArchiveSource(path)
        raise SourceError(
            f"{path} is neither an OCI layout, a docker-archive tarball nor a directory",
            hint="Give the kind as a prefix: oci:, docker-archive:, dir: or registry://",
        )
    path_part, selector = _split_selector(reference)
    if selector and path_part.is_dir() and (path_part / "index.json").is_file():
        return OciLayoutSource(path_part, selector, platform)
    if "/" in reference and not reference.startswith((".", "/")):
        return _registry("registry://" + reference, registry, platform)
    raise SourceError(f"{reference}: no such file, directory or image reference")
