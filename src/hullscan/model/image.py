"""What an image is, independent of where it was read from."""

from __future__ import annotations

import platform as host_platform
from dataclasses import dataclass, field

_MACHINE_TO_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "i386": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


@dataclass(frozen=True, slots=True)
class Platform:
    """An OCI platform: os/architecture[/variant]."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse `os/arch[/variant]` (e.g. `linux/arm64/v8`)."""
        parts = text.strip().split("/")
        if len(parts) < 2 or not all(parts):
            msg = f"not a platform: {text!r} (expected OS/ARCH[/VARIANT])"
            raise ValueError(msg)
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else None)

    @classmethod
    def host(cls) -> Platform:
        """Return the platform of the machine hullscan runs on."""
        machine = host_platform.machine().lower()
        arch = _MACHINE_TO_GOARCH.get(machine, machine)
        variant = "v8" if arch == "arm64" else ("v7" if arch == "arm" else None)
        return cls("linux", arch, variant)

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True, slots=True)
class LayerRef:
    """One layer of an image as its manifest names it."""

    index: int
    digest: str
    """Digest of the blob as stored (compressed), e.g. `sha256:…`."""
    media_type: str
    size: int
    diff_id: str | None = None
    """Digest of the uncompressed tar, from the image config."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of an image's build history."""

    created_by: str = ""
    created: str | None = None
    comment: str | None = None
    empty_layer: bool = False


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """The parts of the image config a user cares about."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    user: str = ""
    working_dir: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    created: str | None = None
    history: tuple[HistoryEntry, ...] = ()
    diff_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImageDescription:
    """An image: its identity, platform, config and layers."""

    reference: str
    """What the user typed (normalized source prefix included)."""
    source_kind: str
    """`oci`, `docker-archive`, `dir`, `registry`."""
    manifest_digest: str | None = None
    config_digest: str | None = None
    platform: Platform | None = None
    config: ImageConfig = field(default_factory=ImageConfig)
    layers: tuple[LayerRef, ...] = ()
    repo_tags: tuple[str, ...] = ()
    media_type: str | None = None

    @property
    def id(self) -> str:
        """Return the image id (config digest) or the manifest digest when there is no config."""
        return self.config_digest or self.manifest_digest or self.reference
