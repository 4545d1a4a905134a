"""Frozen option objects passed from the CLI to the façade; no argument parsing here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import platformdirs

MIB = 1024 * 1024
GIB = 1024 * MIB


class Scope(StrEnum):
    """Which files a view shows: what the container sees, or every layer's files."""

    SQUASHED = "squashed"
    ALL_LAYERS = "all-layers"


def default_cache_dir() -> Path:
    """Return the user cache directory (XDG), overridable with HULLSCAN_CACHE_DIR."""
    override = os.environ.get("HULLSCAN_CACHE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("hullscan"))


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety caps against decompression bombs and oversized files."""

    max_layer_bytes: int = 16 * GIB
    """Most uncompressed bytes one layer may expand to."""
    max_image_bytes: int = 64 * GIB
    """Most uncompressed bytes all layers together may expand to."""
    max_file_bytes: int = 4 * GIB
    """Largest single file a layer may hold."""
    max_capture_bytes: int = 64 * MIB
    """Largest file whose content is kept for a cataloger; bigger ones become unknowns."""
    max_entries_per_layer: int = 2_000_000
    """Most tar members in one layer."""
    max_symlink_hops: int = 40
    """Symlink resolution gives up (loop) after this many hops, like the kernel's ELOOP."""


@dataclass(frozen=True, slots=True)
class RegistryOptions:
    """How to talk to a registry."""

    username: str | None = None
    password: str | None = None
    insecure: bool = False
    """Allow plain HTTP (always allowed for loopback addresses)."""
    docker_config: Path | None = None
    timeout_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything that decides how an image is read."""

    scope: Scope = Scope.SQUASHED
    platform: str | None = None
    cache_dir: Path = field(default_factory=default_cache_dir)
    use_cache: bool = True
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    registry: RegistryOptions = field(default_factory=RegistryOptions)
