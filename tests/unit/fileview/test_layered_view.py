"""Squashed and all-layers views: whiteouts, opaque dirs, links, and layer attribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullscan.api import open_view
from hullscan.build.tarwriter import (
    Compression,
    Device,
    Directory,
    Fifo,
    Hardlink,
    OpaqueDir,
    RegularFile,
    Symlink,
    Whiteout,
)
from hullscan.config import Scope
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.files import FileKind

from .helpers import make_image, options

BASE = [
    Directory(path="/etc"),
    RegularFile(path="/etc/os-release", data=b'ID=debian\nVERSION_ID="12"\n'),
    RegularFile(path="/etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
    Directory(path="/opt/app"),
    RegularFile(path="/opt/app/a.txt", data=b"a"),
    RegularFile(path="/opt/app/b.txt", data=b"b"),
    Directory(path="/opt/gone"),
    RegularFile(path="/opt/gone/x", data=b"x"),
    RegularFile(path="/usr/bin/tool", data=b"\x7fELF-not-really"),
    Hardlink(path="/usr/bin/tool-alias", target="/usr/bin/tool"),
    Symlink(path="/usr/bin/rel", target="tool"),
    Symlink(path="/usr/bin/abs", target="/usr/bin/tool"),
    Symlink(path="/usr/bin/escape", target="../../../../etc/passwd"),
    Symlink(path="/loop/a", target="b"),
    Symlink(path="/loop/b", target="a"),
    Device(path="/dev/null", kind="char", major=1, minor=3),
    Fifo(path="/run/fifo"),
]
TOP = [
    Whiteout(path="/opt/gone"),
    Whiteout(path="/etc/passwd"),
    OpaqueDir(path="/opt/app"),
    RegularFile(path="/opt/app/c.txt", data=b"c"),
    RegularFile(path="/etc/os-release", data=b'ID=debian\nVERSION_ID="13"\n'),
]


@pytest.fixture
def image(tmp_path: Path) -> Path:
    layout, _ = make_image(tmp_path, [BASE, TOP])
    return layout


def test_squashed_view_applies_whiteouts_and_opaque_dirs(image: Path, tmp_path: Path) -> None:
    _, view = open_view(f"oci:{image}:test", options(tmp_path))
    paths = {r.path for r in view.files()}
    assert "/opt/gone" not in paths
    assert "/opt/gone/x" not in paths
    assert "/etc/passwd" not in paths
    assert "/opt/app/a.txt" not in paths
    assert "/opt/app/b.txt" not in paths
    assert "/opt/app/c.txt" in paths
    assert view.get("/etc/os-release").layer_index == 1  # type: ignore[union-attr]
    assert view.get("/usr/bin/tool").layer_index == 0  # type: ignore[union-attr]


def test_all_layers_view_keeps_deleted_files_marked_not_visible(image: Path, tmp_path: Path) -> None:
    _, view = open_view(f"oci:{image}:test", options(tmp_path, Scope.ALL_LAYERS))
    records = list(view.files())
    hidden = {r.path for r in records if not r.visible}
    assert {"/opt/gone/x", "/etc/passwd", "/opt/app/a.txt"} <= hidden
    os_release = [r for r in records if r.path == "/etc/os-release"]
    assert [(r.layer_index, r.visible) for r in os_release] == [(0, False), (1, True)]
    digests = {r.layer_digest for r in records}
    assert len(digests) == 2


def test_symlinks_resolve_inside_root_and_loops_are_detected(image: Path, tmp_path: Path) -> None:
    policy = CapturePolicy(wants=lambda p: p.startswith(("/usr/bin", "/etc")), fingerprint="t1")
    _, view = open_view(f"oci:{image}:test", options(tmp_path), policy)
    assert view.read("/usr/bin/rel") == b"\x7fELF-not-really"
    assert view.read("/usr/bin/abs") == b"\x7fELF-not-really"
    assert view.read("/usr/bin/tool-alias") == b"\x7fELF-not-really"
    # ../../../../etc/passwd is clamped at the image root: the image's passwd (deleted) → absent
    assert view.resolve("/usr/bin/escape") is None
    assert view.resolve("/loop/a") is None
    with pytest.raises(FileNotFoundError):
        view.read("/loop/a")


def test_special_files_are_listed_but_never_read(image: Path, tmp_path: Path) -> None:
    _, view = open_view(f"oci:{image}:test", options(tmp_path))
    assert view.get("/dev/null").kind is FileKind.CHAR_DEVICE  # type: ignore[union-attr]
    assert view.get("/run/fifo").kind is FileKind.FIFO  # type: ignore[union-attr]
    with pytest.raises(FileNotFoundError):
        view.read("/dev/null")


def test_uncaptured_content_is_fetched_lazily_from_the_layer(image: Path, tmp_path: Path) -> None:
    _, view = open_view(f"oci:{image}:test", options(tmp_path))
    assert view.read("/opt/app/c.txt") == b"c"
    assert view.read("/etc/os-release").endswith(b'"13"\n')


@pytest.mark.parametrize("compression", list(Compression))
def test_every_compression_gives_the_same_view(tmp_path: Path, compression: Compression) -> None:
    layout, _ = make_image(tmp_path / compression.value, [BASE, TOP], compression)
    _, view = open_view(f"oci:{layout}:test", options(tmp_path))
    assert {r.path for r in view.files()} >= {"/opt/app/c.txt", "/usr/bin/tool"}


def test_warm_run_reads_no_layer_blob(image: Path, tmp_path: Path) -> None:
    seen: list[bool] = []
    opts = options(tmp_path)
    open_view(f"oci:{image}:test", opts, progress=lambda _layer, cached: seen.append(cached))
    assert seen == [False, False]
    seen.clear()
    for blob in (image / "blobs" / "sha256").iterdir():
        if blob.stat().st_size > 1000 or blob.read_bytes()[:2] == b"\x1f\x8b":
            blob.chmod(0)  # a warm run must not need to open layers at all
    try:
        _, view = open_view(f"oci:{image}:test", opts, progress=lambda _layer, cached: seen.append(cached))
    finally:
        for blob in (image / "blobs" / "sha256").iterdir():
            blob.chmod(0o644)
    assert seen == [True, True]
    assert view.get("/opt/app/c.txt") is not None
