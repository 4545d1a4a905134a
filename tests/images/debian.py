"""Real Debian test images: a debootstrap root plus layers of links, hard links and whiteouts.

`debian_rootfs()` runs debootstrap once and caches the root as a directory and as a layer blob.
`debian_image()` stacks test layers on it and writes the same image four ways: OCI layout,
docker-archive (legacy and OCI-blob forms) and a squashed rootfs directory, together with the
expected squashed path set computed independently from `tar -tf` listings.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.docker_archive import ArchiveForm, write_docker_archive
from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.tarwriter import (
    Compression,
    Directory,
    Entry,
    Hardlink,
    LayerBlob,
    OpaqueDir,
    RegularFile,
    Symlink,
    Whiteout,
    describe_blob,
    layer_from_directory,
    write_layer,
)

from .cache import cached_build, file_lock, is_complete
from .squash import ExpectedTree, expected_squashed_paths, squash_layers
from .tools import ensure_tool, run

IMAGE_VERSION = "2"
"""Bump when the layers below change, so cached images are rebuilt."""
_APT_CACHE_GLOBS = ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_*")


def host_debian_mirrors() -> list[str]:
    """Return the Debian mirror URIs configured on the host (deb822 and one-line sources)."""
    texts = [p.read_text() for p in Path("/etc/apt/sources.list.d").glob("*.sources")]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        texts.append(legacy.read_text())
    uris: list[str] = []
    for text in texts:
        for raw_line in text.splitlines():
            line = raw_line.strip()
            match = re.match(r"URIs:\s*(.+)", line) or re.match(r"deb\s+(?:\[[^]]*\]\s+)?(\S+)", line)
            if match:
                uris.extend(u for u in match.group(1).split() if "security" not in u)
    return list(dict.fromkeys(u.rstrip("/") for u in uris if u.startswith("http")))


@dataclass(frozen=True, slots=True)
class DebianRootfs:
    """A cached debootstrap root."""

    rootfs: Path
    """The root directory (device nodes in /dev, as debootstrap made them)."""
    layer: LayerBlob
    """The same root as a gzip layer blob."""


def _debootstrap(suite: str, variant: str, work: Path) -> None:
    ensure_tool("debootstrap")
    target = work / "rootfs"
    errors = []
    for mirror in host_debian_mirrors():
        if target.exists():
            shutil.rmtree(target)
        result = subprocess.run(
            ["debootstrap", f"--variant={variant}", suite, str(target), mirror],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode == 0:
            break
        errors.append(f"{mirror}: {result.stdout[-1500:]}{result.stderr[-1500:]}")
    else:
        raise RuntimeError("debootstrap failed with every host mirror:\n" + "\n".join(errors))
    for pattern in _APT_CACHE_GLOBS:
        for path in target.glob(pattern):
            path.unlink()
    layer = layer_from_directory(target, work / "rootfs.tar.gz")
    (work / "layer.json").write_text(json.dumps(blob_json(layer)))


def blob_json(blob: LayerBlob) -> dict[str, object]:
    return {
        "digest": blob.digest,
        "diff_id": blob.diff_id,
        "size": blob.size,
        "uncompressed_size": blob.uncompressed_size,
        "compression": blob.compression.value,
    }


def load_blob(path: Path, meta: Path) -> LayerBlob:
    """Rebuild a `LayerBlob` from its sidecar JSON (or by reading the blob if that is missing)."""
    if not meta.is_file():
        return describe_blob(path)
    data = json.loads(meta.read_text())
    return LayerBlob(
        path=path,
        digest=data["digest"],
        diff_id=data["diff_id"],
        size=data["size"],
        uncompressed_size=data["uncompressed_size"],
        compression=Compression(data["compression"]),
    )


def debian_rootfs(suite: str = "bookworm", variant: str = "minbase") -> DebianRootfs:
    """Return a cached debootstrap root of `suite`, building it (about 30 s) when missing.

    The directory is restored from the cached layer blob if only the blob survived.
    """
    key = f"debian-{suite}-{variant}"
    root = cached_build(key, lambda work: _debootstrap(suite, variant, work))
    layer = load_blob(root / "rootfs.tar.gz", root / "layer.json")
    rootfs = root / "rootfs"
    if not (rootfs / "etc" / "os-release").exists():
        with file_lock(root.parent / f".{key}.lock"):
            if not (rootfs / "etc" / "os-release").exists():
                shutil.rmtree(rootfs, ignore_errors=True)
                rootfs.mkdir()
                run(["tar", "-xpf", str(layer.path), "--numeric-owner", "-C", str(rootfs)])
    return DebianRootfs(rootfs=rootfs, layer=layer)


# What the test layers contain, for assertions in tests.
HELLO = b"hello from layer 2\n"
TOOL_V1 = b"#!/bin/sh\necho v1\n"
TOOL_V2 = b"#!/bin/sh\necho v2\n"
SYMLINKS = {
    "app/links/relative": "../data/hello.txt",
    "app/links/absolute": "/etc/os-release",
    "app/links/loop-a": "loop-b",
    "app/links/loop-b": "loop-a",
    "app/links/escape": "../../../../../etc/passwd",
    "app/links/dangling": "does-not-exist",
    "app/links/dir": "../data",
}
HARDLINKS = {"app/data/hello-hardlink.txt": "app/data/hello.txt"}
DELETED_FILES = ("etc/motd", "etc/hullscan-test/delete-me.conf")
DELETED_DIRS = ("opt/legacy", "usr/share/doc/zlib1g")
OPAQUE_DIR = "srv/opaque"


def files_layer_entries() -> list[Entry]:
    """Return layer 2: files, every kind of symlink, a hard link, and things later deleted."""
    entries: list[Entry] = [
        Directory(path="app"),
        Directory(path="app/data"),
        Directory(path="app/links"),
        Directory(path="app/bin"),
        RegularFile(path="app/data/hello.txt", data=HELLO),
        RegularFile(path="app/bin/tool", data=TOOL_V1, mode=0o755),
        RegularFile(path="app/bin/setuid-tool", data=TOOL_V1, mode=0o4755),
        Directory(path="etc/hullscan-test"),
        RegularFile(path="etc/hullscan-test/delete-me.conf", data=b"gone later\n"),
        RegularFile(path="etc/hullscan-test/keep.conf", data=b"kept\n", uid=1000, gid=1000),
        Directory(path="opt/legacy"),
        Directory(path="opt/legacy/lib"),
        RegularFile(path="opt/legacy/lib/old.so", data=b"\x7fELF-not-really\n"),
        Directory(path=OPAQUE_DIR),
        RegularFile(path=f"{OPAQUE_DIR}/old.txt", data=b"hidden by an opaque marker\n"),
        Directory(path=f"{OPAQUE_DIR}/olddir"),
        RegularFile(path=f"{OPAQUE_DIR}/olddir/nested.txt", data=b"hidden too\n"),
    ]
    entries += [Symlink(path=p, target=t) for p, t in SYMLINKS.items()]
    entries += [Hardlink(path=p, target=t) for p, t in HARDLINKS.items()]
    return entries


def whiteout_layer_entries() -> list[Entry]:
    """Return layer 3: whiteouts of files and directories, an opaque dir, an overwritten file."""
    entries: list[Entry] = [Whiteout(path=p) for p in (*DELETED_FILES, *DELETED_DIRS)]
    entries += [
        OpaqueDir(path=OPAQUE_DIR),
        RegularFile(path=f"{OPAQUE_DIR}/new.txt", data=b"after the opaque marker\n"),
        RegularFile(path="app/bin/tool", data=TOOL_V2, mode=0o755),
    ]
    return entries


IMAGE_SPEC = ImageSpec(
    entrypoint=("/app/bin/tool",),
    cmd=("--help",),
    env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HULLSCAN_TEST=1"),
    user="0:0",
    workdir="/app",
    labels={"org.opencontainers.image.title": "hullscan-debian-test"},
    history=(
        HistoryItem("debootstrap --variant=minbase bookworm"),
        HistoryItem("COPY app etc opt srv (links, hard links)"),
        HistoryItem("RUN rm -rf (whiteouts, opaque dir)"),
    ),
)
REPO_TAG = "hullscan/debian-test:latest"
ZSTD_TAG = "zstd"
"""OCI tag of the same image with its top layer zstd-compressed (umoci cannot read zstd)."""


@dataclass(frozen=True, slots=True)
class DebianTestImage:
    """One image written four ways, and what its squashed tree must be."""

    oci_dir: Path
    docker_legacy: Path
    docker_oci: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]
    expected: ExpectedTree
    tag: str = "latest"

    @property
    def references(self) -> dict[str, str]:
        """Return image references by source kind, as a user would type them."""
        return {
            "oci": f"oci:{self.oci_dir}:{self.tag}",
            "oci-zstd": f"oci:{self.oci_dir}:{ZSTD_TAG}",
            "docker-archive-legacy": f"docker-archive:{self.docker_legacy}",
            "docker-archive-oci": f"docker-archive:{self.docker_oci}",
            "dir": f"dir:{self.rootfs}",
        }


def _build_image(base: DebianRootfs, work: Path) -> None:
    layers = [
        base.layer,
        write_layer(work / "layer2.tar.gz", files_layer_entries(), Compression.GZIP),
        write_layer(work / "layer3.tar.gz", whiteout_layer_entries(), Compression.GZIP),
    ]
    zstd_top = write_layer(work / "layer3.tar.zst", whiteout_layer_entries(), Compression.ZSTD)
    for name, layer in (("layer2", layers[1]), ("layer3", layers[2]), ("layer3-zstd", zstd_top)):
        (work / f"{name}.json").write_text(json.dumps(blob_json(layer)))
    write_oci_layout(work / "oci", layers, IMAGE_SPEC, tag="latest")
    write_oci_layout(work / "oci", [*layers[:2], zstd_top], IMAGE_SPEC, tag=ZSTD_TAG)
    write_docker_archive(work / "docker-legacy.tar", layers, IMAGE_SPEC, [REPO_TAG], ArchiveForm.LEGACY)
    write_docker_archive(work / "docker-oci.tar", layers, IMAGE_SPEC, [REPO_TAG], ArchiveForm.OCI)
    squash_layers([layer.path for layer in layers], work / "rootfs")
    expected = expected_squashed_paths(layer.path for layer in layers)
    (work / "expected.json").write_text(
        json.dumps({"paths": sorted(expected.paths), "special": sorted(expected.special)})
    )


def debian_image() -> DebianTestImage:
    """Return the cached three-layer Debian test image (built on first use, ~1 minute)."""
    base = debian_rootfs()
    key = f"debian-image-v{IMAGE_VERSION}-{base.layer.digest.removeprefix('sha256:')[:12]}"
    root = cached_build(key, lambda work: _build_image(base, work))
    if not is_complete(root):  # pragma: no cover - cached_build guarantees it
        raise RuntimeError(f"incomplete image cache at {root}")
    layers = (
        base.layer,
        load_blob(root / "layer2.tar.gz", root / "layer2.json"),
        load_blob(root / "layer3.tar.gz", root / "layer3.json"),
    )
    data = json.loads((root / "expected.json").read_text())
    return DebianTestImage(
        oci_dir=root / "oci",
        docker_legacy=root / "docker-legacy.tar",
        docker_oci=root / "docker-oci.tar",
        rootfs=root / "rootfs",
        layers=layers,
        expected=ExpectedTree(frozenset(data["paths"]), frozenset(data["special"])),
    )
