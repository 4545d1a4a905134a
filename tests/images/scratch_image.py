"""Images for edge cases: no OS package database at all, and a later layer that removes packages.

- `scratch_image()`: one layer, no dpkg/rpm/apk database — the python image's virtualenv copied
  to `/opt/venv` and a static module-built Go binary at `/app/hello`.
- `removal_image()`: the python image, plus `apt-get install python3-yaml` (an OS-owned Python
  distribution), plus a layer that runs `dpkg --purge python3-venv` (whiteouts of its dpkg file
  list and files) and deletes a dist-info directory from the virtualenv.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.tarwriter import LayerBlob, layer_from_directory

from .cache import cached_build
from .chroot import chroot_run
from .debian import blob_json, load_blob
from .go_image import build_go_hello
from .python_image import VENV, PythonImage, python_venv_image
from .staged import Step, apt_install, build_steps, copy_tree, load_layers, write_image

SCRATCH_HELLO = "app/hello"
PURGED_DEB = "python3-venv"
DELETED_DIST = "idna"
_VERSION = "1"


@dataclass(frozen=True, slots=True)
class BuiltImage:
    """An OCI layout, its final tree and (for the removal image) the tree before the removal."""

    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]
    before_removal: Path | None = None

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:TAG` reference."""
        return f"oci:{self.oci_dir}:latest"


def _build_scratch(python: PythonImage, work: Path) -> None:
    rootfs = work / "rootfs"
    (rootfs / "opt").mkdir(parents=True)
    copy_tree(python.rootfs / VENV.lstrip("/"), rootfs / VENV.lstrip("/"))
    build_go_hello(rootfs / SCRATCH_HELLO, work / "go-build")
    shutil.rmtree(work / "go-build")
    layer = layer_from_directory(rootfs, work / "layer1.tar.gz")
    (work / "layer1.json").write_text(json.dumps(blob_json(layer)))
    spec = ImageSpec(cmd=(f"/{SCRATCH_HELLO}",), history=(HistoryItem("COPY venv and a static Go binary"),))
    write_oci_layout(work / "oci", [layer], spec)


def scratch_image() -> BuiltImage:
    """Return the cached single-layer image without any OS package database."""
    python = python_venv_image()
    key = f"scratch-v{_VERSION}-{python.layers[-1].digest.removeprefix('sha256:')[:12]}"
    root = cached_build(key, lambda work: _build_scratch(python, work))
    layer = load_blob(root / "layer1.tar.gz", root / "layer1.json")
    return BuiltImage(root / "oci", root / "rootfs", (layer,))


def _remove(root: Path) -> None:
    chroot_run(root, ["dpkg", "--purge", PURGED_DEB])
    site = root / VENV.lstrip("/") / "lib" / "python3.11" / "site-packages"
    for dist_info in site.glob(f"{DELETED_DIST}-*.dist-info"):
        shutil.rmtree(dist_info)
    shutil.rmtree(site / DELETED_DIST)


def _build_removal(python: PythonImage, work: Path) -> None:
    steps = [
        Step("RUN apt-get install python3-yaml", lambda root: apt_install(root, ("python3-yaml",))),
        Step(f"RUN dpkg --purge {PURGED_DEB} && rm -rf site-packages/{DELETED_DIST}*", _remove),
    ]
    layers = build_steps(work, python.rootfs, steps, keep=(1,))
    history = [
        "debootstrap --variant=minbase bookworm",
        "RUN apt-get install python3 python3-venv",
        "RUN python3 -m venv && pip install",
        *(s.created_by for s in steps),
    ]
    write_image(work, [*python.layers, *layers], history)


def removal_image() -> BuiltImage:
    """Return the cached python image with python3-yaml added and then packages removed."""
    python = python_venv_image()
    key = f"removal-v{_VERSION}-{python.layers[-1].digest.removeprefix('sha256:')[:12]}"
    root = cached_build(key, lambda work: _build_removal(python, work))
    layers = (*python.layers, *load_layers(root, 2))
    return BuiltImage(root / "oci", root / "rootfs", layers, before_removal=root / "rootfs-1")
