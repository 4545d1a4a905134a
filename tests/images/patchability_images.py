"""Three real images of the same small Python application, for `compare` and `dedup` tests.

- `debian-debs`: Debian 12 base + `apt-get install python3 python3-requests python3-yaml python3-pil`
  (dependencies owned by dpkg) + the application layer.
- `debian-wheels`: Debian 12 base + `apt-get install python3 python3-venv` + a virtualenv filled by
  the image's own pip from PyPI wheels (`PYTHONDONTWRITEBYTECODE=1`) + the application layer.
- `scratch-venv`: no base image: the interpreter, its stdlib and the shared libraries `ldd` names,
  copied out of the wheels build, then the same virtualenv and application (no package database).

Every image is an OCI layout with one tag; the squashed root directory of each build is kept next to
it so tests can read dpkg `.list` files and `RECORD` files independently. Built once, cached.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.rootfs_diff import diff_layer
from hullscan.build.tarwriter import (
    Compression,
    Directory,
    LayerBlob,
    RegularFile,
    layer_from_directory,
    write_layer,
)

from .cache import cached_build
from .chroot import chroot_run
from .debian import blob_json, debian_rootfs
from .python_image import download_wheels
from .tools import run

VERSION = "1"
"""Bump when a recipe below changes, so cached images are rebuilt."""
APP_SOURCE = b'''"""A tiny service: fetch a YAML document and make a thumbnail."""
import io

import requests
import yaml
from PIL import Image


def main() -> None:
    doc = yaml.safe_load(requests.get("https://example.invalid/config.yaml", timeout=5).text)
    Image.new("RGB", (8, 8)).save(io.BytesIO(), format="PNG")
    print(doc)


if __name__ == "__main__":
    main()
'''
APP_PATH = "app/main.py"
DEB_PACKAGES = ("python3", "python3-requests", "python3-yaml", "python3-pil")
WHEEL_PINS: tuple[str, ...] = (
    "requests==2.31.0",
    "urllib3==2.0.7",
    "idna==3.6",
    "charset-normalizer==3.3.2",
    "certifi==2023.11.17",
    "PyYAML==6.0.1",
    "Pillow==9.3.0",
)
"""Pillow's wheel carries `Pillow.libs/` (libjpeg, zlib, libpng, ...): bundled native components."""
VENV = "/opt/venv"
NAMES = ("debian-debs", "debian-wheels", "scratch-venv")


@dataclass(frozen=True, slots=True)
class BuiltImage:
    """One image: its OCI layout, its squashed root, its layers."""

    name: str
    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:TAG` reference."""
        return f"oci:{self.oci_dir}:latest"


@dataclass(frozen=True, slots=True)
class PatchabilityImages:
    """The three builds of the application."""

    debs: BuiltImage
    wheels: BuiltImage
    scratch: BuiltImage

    @property
    def all(self) -> tuple[BuiltImage, ...]:
        """Return the images in a fixed order."""
        return (self.debs, self.wheels, self.scratch)


def app_layer(dest: Path) -> LayerBlob:
    """Return the application layer (byte-identical in every image: fixed times and owners)."""
    entries = [Directory(path="app"), RegularFile(path=APP_PATH, data=APP_SOURCE, mode=0o644)]
    return write_layer(dest, entries, Compression.GZIP)


def _copy_tree(source: Path, dest: Path) -> None:
    run(["cp", "-a", "--reflink=auto", str(source), str(dest)])


def _apt_install(stage: Path, packages: Sequence[str]) -> None:
    chroot_run(stage, ["apt-get", "update", "-q"], mount_proc=True)
    chroot_run(stage, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], mount_proc=True)
    chroot_run(stage, ["apt-get", "clean"])
    for path in (stage / "var/lib/apt/lists").glob("*_*"):
        path.unlink()


def _pip_install(stage: Path, wheels: Path) -> None:
    inside = stage / "tmp" / "wheels"
    shutil.copytree(wheels, inside)
    try:
        chroot_run(stage, ["python3", "-m", "venv", VENV])
        pip = f"{VENV}/bin/pip"
        argv = [pip, "install", "--no-index", "--no-deps", "--find-links", "/tmp/wheels", *WHEEL_PINS]
        chroot_run(stage, argv, env={"PYTHONDONTWRITEBYTECODE": "1"})
    finally:
        shutil.rmtree(inside, ignore_errors=True)
    shutil.rmtree(stage / "root" / ".cache", ignore_errors=True)


def _add_app(rootfs: Path) -> None:
    target = rootfs / APP_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(APP_SOURCE)


def _write(work: Path, name: str, layers: Sequence[LayerBlob], history: Sequence[str], cmd: Sequence[str]) -> None:
    spec = ImageSpec(cmd=tuple(cmd), history=tuple(HistoryItem(line) for line in history))
    write_oci_layout(work / name / "oci", list(layers), spec)
    meta = {"layers": [blob_json(layer) for layer in layers]}
    (work / name / "layers.json").write_text(json.dumps(meta))


def _build_debs(work: Path, base_rootfs: Path, base: LayerBlob, app: LayerBlob) -> None:
    stage = work / "debian-debs" / "rootfs"
    stage.parent.mkdir(parents=True)
    _copy_tree(base_rootfs, stage)
    _apt_install(stage, DEB_PACKAGES)
    deps = diff_layer(base_rootfs, stage, work / "debian-debs" / "layer-deps.tar.gz")
    _add_app(stage)
    history = ["debootstrap --variant=minbase bookworm", f"RUN apt-get install {' '.join(DEB_PACKAGES)}", "COPY app"]
    _write(work, "debian-debs", [base, deps, app], history, ["python3", "/app/main.py"])


def _build_wheels(work: Path, base_rootfs: Path, base: LayerBlob, app: LayerBlob, wheels: Path) -> Path:
    root = work / "debian-wheels"
    python_stage, stage = root / "stage-python", root / "rootfs"
    root.mkdir()
    _copy_tree(base_rootfs, python_stage)
    _apt_install(python_stage, ("python3", "python3-venv"))
    python_layer = diff_layer(base_rootfs, python_stage, root / "layer-python.tar.gz")
    _copy_tree(python_stage, stage)
    _pip_install(stage, wheels)
    venv_layer = diff_layer(python_stage, stage, root / "layer-venv.tar.gz")
    shutil.rmtree(python_stage)
    _add_app(stage)
    history = [
        "debootstrap --variant=minbase bookworm",
        "RUN apt-get install python3 python3-venv",
        f"RUN python3 -m venv {VENV} && pip install {' '.join(WHEEL_PINS)}",
        "COPY app",
    ]
    _write(work, "debian-wheels", [base, python_layer, venv_layer, app], history, [f"{VENV}/bin/python", "/app/main.py"])
    return stage


_LDD_PATH = re.compile(r"(/\S+)")


def _runtime_files(rootfs: Path) -> list[str]:
    """Return the interpreter, its shared libraries (per ldd in the chroot) and the stdlib."""
    python = "/usr/bin/python3.11"
    out = chroot_run(rootfs, ["ldd", python]).stdout
    wanted = [python]
    for line in out.splitlines():
        match = _LDD_PATH.search(line.split("=>")[-1])
        if match:
            wanted.append(match.group(1))
    return wanted


def _copy_into(rootfs: Path, scratch: Path, path: str) -> None:
    source = rootfs / path.lstrip("/")
    real = Path(str(source.resolve()).replace(str(rootfs.resolve()), str(rootfs), 1))
    target = scratch / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if real.is_dir():
        shutil.copytree(real, target, symlinks=True)
    else:
        shutil.copy2(real, target)


def _build_scratch(work: Path, wheels_rootfs: Path, app: LayerBlob) -> None:
    root = work / "scratch-venv"
    runtime, final = root / "runtime", root / "rootfs"
    root.mkdir()
    for path in [*_runtime_files(wheels_rootfs), "/usr/lib/python3.11"]:
        _copy_into(wheels_rootfs, runtime, path)
    (runtime / "usr/bin/python3").symlink_to("python3.11")
    runtime_layer = layer_from_directory(runtime, root / "layer-runtime.tar.gz")
    venv_dir = root / "venv-only"
    shutil.copytree(wheels_rootfs / VENV.lstrip("/"), venv_dir / VENV.lstrip("/"), symlinks=True)
    venv_layer = layer_from_directory(venv_dir, root / "layer-venv.tar.gz")
    _copy_tree(runtime, final)
    shutil.copytree(venv_dir / "opt", final / "opt", symlinks=True)
    _add_app(final)
    shutil.rmtree(runtime)
    shutil.rmtree(venv_dir)
    history = ["COPY --from=build python3.11 runtime", f"COPY --from=build {VENV}", "COPY app"]
    _write(work, "scratch-venv", [runtime_layer, venv_layer, app], history, [f"{VENV}/bin/python", "/app/main.py"])


def _build(work: Path) -> None:
    base = debian_rootfs()
    app = app_layer(work / "app.tar.gz")
    wheels = work / "wheels"
    download_wheels(WHEEL_PINS, wheels)
    _build_debs(work, base.rootfs, base.layer, app)
    wheels_rootfs = _build_wheels(work, base.rootfs, base.layer, app, wheels)
    _build_scratch(work, wheels_rootfs, app)
    shutil.rmtree(wheels)


def _load(root: Path, name: str) -> BuiltImage:
    meta = json.loads((root / name / "layers.json").read_text())
    layers = [
        LayerBlob(
            path=Path(),
            digest=item["digest"],
            diff_id=item["diff_id"],
            size=item["size"],
            uncompressed_size=item["uncompressed_size"],
            compression=Compression(item["compression"]),
        )
        for item in meta["layers"]
    ]
    return BuiltImage(name, root / name / "oci", root / name / "rootfs", tuple(layers))


def patchability_images() -> PatchabilityImages:
    """Return the three cached builds (first build: a few minutes, needs Debian mirrors and PyPI)."""
    base = debian_rootfs()
    digest = base.layer.digest.removeprefix("sha256:")[:12]
    root = cached_build(f"patchability-v{VERSION}-{digest}", _build)
    debs, wheels, scratch = (_load(root, name) for name in NAMES)
    return PatchabilityImages(debs=debs, wheels=wheels, scratch=scratch)


