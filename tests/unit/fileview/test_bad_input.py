"""Hostile and broken images: each gives a clear error or a warning, never harm."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hullscan.api import inspect, open_view
from hullscan.build.tarwriter import Compression, RawMember, RegularFile
from hullscan.cli.app import app
from hullscan.config import Limits
from hullscan.errors import (
    DigestMismatchError,
    LayerError,
    LimitExceededError,
    ManifestError,
    SourceError,
)

from .helpers import make_image, options

FILES = [RegularFile(path="/data/f", data=os.urandom(300_000))]


def _layer_blob(layout: Path) -> Path:
    index = json.loads((layout / "index.json").read_text())
    manifest_hex = index["manifests"][0]["digest"].partition(":")[2]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_hex).read_text())
    layer_hex = manifest["layers"][0]["digest"].partition(":")[2]
    return layout / "blobs" / "sha256" / layer_hex


def _snapshot(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


def test_traversal_and_absolute_members_are_clamped_with_warnings(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    entries = [
        RawMember(name="../../outside/evil", data=b"evil"),
        RawMember(name="/etc/abs", data=b"abs"),
        RawMember(name="./ok", data=b"ok"),
    ]
    layout, _ = make_image(tmp_path, [entries])
    before = _snapshot(tmp_path)
    _, view = open_view(f"oci:{layout}:test", options(tmp_path))
    paths = {r.path for r in view.files()}
    assert paths == {"/outside/evil", "/etc/abs", "/ok"}
    assert any("climbs above the image root" in w for w in view.warnings)
    assert any("absolute path" in w for w in view.warnings)
    assert not outside.exists()
    new = _snapshot(tmp_path) - before
    assert all(p.startswith(str(tmp_path / "cache")) for p in new), new


@pytest.mark.parametrize("compression", [Compression.GZIP, Compression.ZSTD])
def test_truncated_layer_is_a_layer_error(tmp_path: Path, compression: Compression) -> None:
    layout, _ = make_image(tmp_path, [FILES], compression)
    blob = _layer_blob(layout)
    data = blob.read_bytes()
    blob.write_bytes(data[: len(data) // 2])
    with pytest.raises((LayerError, DigestMismatchError)) as caught:
        open_view(f"oci:{layout}:test", options(tmp_path))
    assert "hint:" in caught.value.diagnostics()


def test_layer_whose_digest_does_not_match(tmp_path: Path) -> None:
    layout, _ = make_image(tmp_path, [FILES], Compression.NONE)
    blob = _layer_blob(layout)
    data = bytearray(blob.read_bytes())
    data[600] ^= 0xFF  # inside the file content: still a valid tar
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatchError):
        open_view(f"oci:{layout}:test", options(tmp_path))


def test_decompression_bomb_hits_the_layer_cap(tmp_path: Path) -> None:
    bomb = [RegularFile(path="/zeros", data=bytes(8 * 1024 * 1024))]
    layout, blobs = make_image(tmp_path, [bomb])
    assert blobs[0].size < 100_000
    with pytest.raises(LimitExceededError):
        open_view(f"oci:{layout}:test", options(tmp_path, limits=Limits(max_layer_bytes=1024 * 1024)))
    with pytest.raises(LimitExceededError):
        open_view(f"oci:{layout}:test", options(tmp_path, limits=Limits(max_file_bytes=1024 * 1024)))


def test_manifest_pointing_at_a_missing_blob(tmp_path: Path) -> None:
    layout, _ = make_image(tmp_path, [FILES])
    _layer_blob(layout).unlink()
    with pytest.raises(SourceError):
        open_view(f"oci:{layout}:test", options(tmp_path))
    index = layout / "index.json"
    index.write_text(index.read_text().replace("sha256:", "sha256:0000"))
    with pytest.raises(ManifestError):
        open_view(f"oci:{layout}:test", options(tmp_path))


def test_not_a_tar_stream(tmp_path: Path) -> None:
    layout, _ = make_image(tmp_path, [FILES], Compression.NONE)
    blob = _layer_blob(layout)
    garbage = gzip.compress(os.urandom(4096))
    blob.write_bytes(garbage)
    with pytest.raises((LayerError, DigestMismatchError)):
        open_view(f"oci:{layout}:test", options(tmp_path))


def test_unreadable_directory_in_dir_source_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "rootfs"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "secret").write_text("s")
    (root / "ok").write_text("ok")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        # we run as root, for whom chmod 0 does not deny reading: fail like an EACCES would
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    _, view = open_view(f"dir:{root}", options(tmp_path))
    assert any("/locked: unreadable directory" in w for w in view.warnings)
    assert view.read("/ok") == b"ok"


def test_dir_source_never_reads_outside_the_root(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    root = tmp_path / "rootfs"
    root.mkdir()
    (root / "link").symlink_to(secret)
    (root / "loop").symlink_to("loop")
    os.mkfifo(root / "fifo")
    _, view = open_view(f"dir:{root}", options(tmp_path))
    assert view.resolve("/link") is None
    with pytest.raises(FileNotFoundError):
        view.read("/link")
    assert view.resolve("/loop") is None
    with pytest.raises(FileNotFoundError):
        view.read("/fifo")


def test_cli_prints_one_clear_error_and_exits_nonzero(tmp_path: Path) -> None:
    layout, _ = make_image(tmp_path, [FILES])
    _layer_blob(layout).write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = CliRunner().invoke(app, ["inspect", f"oci:{layout}:test", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "hint:" in result.output
    assert "Traceback" not in result.output


def test_corrupt_outer_docker_archive(tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        payload = b"{not json"
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(ManifestError):
        inspect(f"docker-archive:{archive}", options(tmp_path))
    archive.write_bytes(os.urandom(2048))
    with pytest.raises(SourceError):
        inspect(f"docker-archive:{archive}", options(tmp_path))


def test_an_artifact_is_not_mistaken_for_an_image(tmp_path: Path) -> None:
    layout, _ = make_image(tmp_path, [FILES])
    index = json.loads((layout / "index.json").read_text())
    manifest_path = layout / "blobs" / "sha256" / index["manifests"][0]["digest"].partition(":")[2]
    manifest = json.loads(manifest_path.read_text())
    manifest["layers"][0]["mediaType"] = "application/vnd.cncf.helm.chart.content.v1.tar+gzip.json"
    data = json.dumps(manifest).encode()
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    index["manifests"][0]["digest"] = f"sha256:{digest}"
    index["manifests"][0]["size"] = len(data)
    (layout / "index.json").write_text(json.dumps(index))
    with pytest.raises(ManifestError, match="not a tar layer"):
        open_view(f"oci:{layout}:test", options(tmp_path))
