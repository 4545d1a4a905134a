"""OCI layouts and docker archives we write, read back by skopeo and umoci (the ground truth)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from hullscan.build.docker_archive import ArchiveForm, write_docker_archive
from hullscan.build.oci import ImageSpec, PlatformImage, write_multi_platform_layout, write_oci_layout
from hullscan.build.tarwriter import Compression, LayerBlob, RegularFile, Symlink, Whiteout, write_layer
from hullscan.model.image import Platform


def _tool(name: str) -> str:
    if shutil.which(name) is None:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", name], check=True, capture_output=True)
    return name


def _skopeo(*args: str) -> dict[str, object]:
    out = subprocess.run([_tool("skopeo"), *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.fixture
def layers(tmp_path: Path) -> list[LayerBlob]:
    return [
        write_layer(
            tmp_path / "l1.tar.gz",
            [RegularFile(path="etc/hello", data=b"hi\n"), RegularFile(path="etc/bye", data=b"bye\n")],
        ),
        write_layer(
            tmp_path / "l2.tar.gz",
            [Whiteout(path="etc/bye"), Symlink(path="etc/link", target="hello")],
        ),
    ]


SPEC = ImageSpec(cmd=("/bin/true",), env=("A=1",), user="1000", workdir="/w", labels={"k": "v"})


def test_oci_layout_is_what_skopeo_reads(tmp_path: Path, layers: list[LayerBlob]) -> None:
    digest = write_oci_layout(tmp_path / "oci", layers, SPEC, tag="v1")
    inspected = _skopeo("inspect", f"oci:{tmp_path / 'oci'}:v1")
    assert inspected["Digest"] == digest
    on_disk = ["sha256:" + hashlib.sha256(layer.path.read_bytes()).hexdigest() for layer in layers]
    assert inspected["Layers"] == on_disk
    assert inspected["Labels"] == {"k": "v"}
    assert inspected["Env"] == ["A=1"]
    config = _skopeo("inspect", "--config", f"oci:{tmp_path / 'oci'}:v1")
    unzipped = [
        "sha256:"
        + hashlib.sha256(
            subprocess.run(["gzip", "-dc", str(layer.path)], capture_output=True, check=True).stdout
        ).hexdigest()
        for layer in layers
    ]
    assert config["rootfs"] == {"type": "layers", "diff_ids": unzipped}  # type: ignore[comparison-overlap]
    assert config["config"]["User"] == "1000"  # type: ignore[index]


def test_index_json_names_each_tag(tmp_path: Path, layers: list[LayerBlob]) -> None:
    write_oci_layout(tmp_path / "oci", layers[:1], SPEC, tag="one")
    write_oci_layout(tmp_path / "oci", layers, SPEC, tag="two")
    write_oci_layout(tmp_path / "oci", layers, SPEC, tag="two")  # re-running replaces, not duplicates
    index = json.loads((tmp_path / "oci" / "index.json").read_text())
    names = [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]]
    assert sorted(names) == ["one", "two"]
    assert len(_skopeo("inspect", f"oci:{tmp_path / 'oci'}:one")["Layers"]) == 1  # type: ignore[arg-type]


@pytest.mark.parametrize("nested", [False, True])
def test_multi_platform_index_selects_by_platform(
    tmp_path: Path, layers: list[LayerBlob], nested: bool
) -> None:
    images = [
        PlatformImage(Platform.parse("linux/amd64"), layers[:1]),
        PlatformImage(Platform.parse("linux/arm64/v8"), layers),
    ]
    write_multi_platform_layout(tmp_path / "oci", images, tag="multi", nested=nested)
    ref = f"oci:{tmp_path / 'oci'}:multi"
    amd = _skopeo("inspect", "--override-os", "linux", "--override-arch", "amd64", ref)
    arm = _skopeo(
        "inspect", "--override-os", "linux", "--override-arch", "arm64", "--override-variant", "v8", ref
    )
    assert (amd["Architecture"], len(amd["Layers"])) == ("amd64", 1)  # type: ignore[arg-type]
    assert (arm["Architecture"], len(arm["Layers"])) == ("arm64", 2)  # type: ignore[arg-type]
    raw = _skopeo("inspect", "--raw", ref)
    assert raw["mediaType"] == "application/vnd.oci.image.index.v1+json"


@pytest.mark.parametrize("form", list(ArchiveForm))
def test_docker_archive_read_by_skopeo(tmp_path: Path, layers: list[LayerBlob], form: ArchiveForm) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", layers, SPEC, ["example/app:1.0"], form)
    inspected = _skopeo("inspect", f"docker-archive:{archive.path}")
    assert inspected["Layers"] == list(archive.diff_ids)  # docker archives hold uncompressed layers
    config = _skopeo("inspect", "--config", f"docker-archive:{archive.path}")
    assert config["rootfs"]["diff_ids"] == list(archive.diff_ids)  # type: ignore[index]
    with tarfile.open(archive.path) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest[0]["RepoTags"] == ["example/app:1.0"]
    if form is ArchiveForm.LEGACY:
        assert all(layer.endswith("/layer.tar") for layer in manifest[0]["Layers"])
        assert "repositories" in names
    else:
        assert {"index.json", "oci-layout", "repositories"} <= names
        assert all(layer.startswith("blobs/sha256/") for layer in manifest[0]["Layers"])


@pytest.mark.parametrize("form", list(ArchiveForm))
def test_skopeo_copy_converts_between_forms(
    tmp_path: Path, layers: list[LayerBlob], form: ArchiveForm
) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", layers, SPEC, ["example/app:1.0"], form)
    subprocess.run(
        [_tool("skopeo"), "copy", "-q", f"docker-archive:{archive.path}", f"oci:{tmp_path / 'copied'}:c"],
        check=True,
        capture_output=True,
    )
    write_oci_layout(tmp_path / "ours", layers, SPEC)
    subprocess.run(
        [
            _tool("skopeo"),
            "copy",
            "-q",
            f"oci:{tmp_path / 'ours'}:latest",
            f"docker-archive:{tmp_path / 'back.tar'}:x/y:z",
        ],
        check=True,
        capture_output=True,
    )
    copied = _skopeo("inspect", "--config", f"oci:{tmp_path / 'copied'}:c")
    back = _skopeo("inspect", "--config", f"docker-archive:{tmp_path / 'back.tar'}")
    assert copied["rootfs"]["diff_ids"] == list(archive.diff_ids)  # type: ignore[index]
    assert back["rootfs"]["diff_ids"] == list(archive.diff_ids)  # type: ignore[index]


def test_umoci_unpacks_with_whiteouts_and_links(tmp_path: Path, layers: list[LayerBlob]) -> None:
    write_oci_layout(tmp_path / "oci", layers, SPEC)
    bundle = tmp_path / "bundle"
    subprocess.run(
        [_tool("umoci"), "raw", "unpack", "--rootless", "--image", f"{tmp_path / 'oci'}:latest", str(bundle)],
        check=True,
        capture_output=True,
    )
    assert (bundle / "etc" / "hello").read_bytes() == b"hi\n"
    assert not (bundle / "etc" / "bye").exists()
    assert (bundle / "etc" / "link").readlink() == Path("hello")


def test_zstd_layers_are_read_by_skopeo(tmp_path: Path) -> None:
    blob = write_layer(tmp_path / "l.tar.zst", [RegularFile(path="x", data=b"x")], Compression.ZSTD)
    write_oci_layout(tmp_path / "oci", [blob])
    raw = _skopeo("inspect", "--raw", f"oci:{tmp_path / 'oci'}:latest")
    assert raw["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+zstd"  # type: ignore[index]
    config = _skopeo("inspect", "--config", f"oci:{tmp_path / 'oci'}:latest")
    assert config["rootfs"]["diff_ids"] == [blob.diff_id]  # type: ignore[index]
