"""A Debian 12 image with python3 and a virtualenv of real, pinned, old wheels (for inventory tests).

Layer 1 is the debootstrap root; layer 2 is what `apt-get install python3 python3-venv` changed in
a chroot; layer 3 is what `python3 -m venv` + `pip install` (from wheels downloaded on the host,
installed by the image's own pip, offline) changed. Layers are computed by diffing the trees.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.rootfs_diff import diff_layer
from hullscan.build.tarwriter import LayerBlob

from .cache import cached_build
from .chroot import chroot_run
from .debian import blob_json, debian_rootfs, load_blob
from .tools import run

DEFAULT_PINS: tuple[str, ...] = (
    "requests==2.25.1",
    "urllib3==1.26.4",
    "idna==2.10",
    "chardet==4.0.0",
    "certifi==2020.12.5",
    "Jinja2==2.11.2",
    "MarkupSafe==2.1.3",
)
"""Old releases with published advisories (urllib3, requests, Jinja2, certifi) plus a C extension."""
VENV = "/opt/venv"
APT_PACKAGES = ("python3", "python3-venv")
_VERSION = "1"


@dataclass(frozen=True, slots=True)
class PythonImage:
    """The built image: OCI layout, squashed rootfs, layers and what was installed."""

    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]
    pins: tuple[str, ...]
    venv: str = VENV
    tag: str = "latest"

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:TAG` reference."""
        return f"oci:{self.oci_dir}:{self.tag}"

    @property
    def site_packages(self) -> Path:
        """Return the venv's site-packages directory inside `rootfs`."""
        return self.rootfs / self.venv.lstrip("/") / "lib" / "python3.11" / "site-packages"


def download_wheels(pins: Sequence[str], dest: Path) -> list[Path]:
    """Download binary wheels for CPython 3.11 on this architecture (no dependencies resolved)."""
    machine = platform.machine()
    run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
            "--abi", "cp311", "--abi", "abi3", "--abi", "none",
            "--platform", f"manylinux2014_{machine}", "--platform", f"manylinux_2_17_{machine}",
            "--platform", "any", "-d", str(dest), *pins,
        ]
    )  # fmt: skip
    return sorted(dest.glob("*.whl"))


def _copy_tree(source: Path, dest: Path) -> None:
    run(["cp", "-a", "--reflink=auto", str(source), str(dest)])


def _install_python(stage: Path) -> None:
    chroot_run(stage, ["apt-get", "update", "-q"], mount_proc=True)
    chroot_run(
        stage,
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *APT_PACKAGES],
        mount_proc=True,
    )
    chroot_run(stage, ["apt-get", "clean"])
    for path in (stage / "var/lib/apt/lists").glob("*_*"):
        path.unlink()


def _install_venv(stage: Path, pins: Sequence[str], wheels: Path) -> None:
    inside = stage / "tmp" / "wheels"
    shutil.copytree(wheels, inside)
    try:
        chroot_run(stage, ["python3", "-m", "venv", VENV])
        pip = f"{VENV}/bin/pip"
        chroot_run(stage, [pip, "install", "--no-index", "--no-deps", "--find-links", "/tmp/wheels", *pins])
    finally:
        shutil.rmtree(inside, ignore_errors=True)
    shutil.rmtree(stage / "root" / ".cache", ignore_errors=True)


def _build(pins: Sequence[str], work: Path) -> None:
    base = debian_rootfs()
    wheels = work / "wheels"
    download_wheels(pins, wheels)
    with_python, with_venv = work / "stage-python", work / "rootfs"
    _copy_tree(base.rootfs, with_python)
    _install_python(with_python)
    python_layer = diff_layer(base.rootfs, with_python, work / "layer2.tar.gz")
    _copy_tree(with_python, with_venv)
    _install_venv(with_venv, pins, wheels)
    venv_layer = diff_layer(with_python, with_venv, work / "layer3.tar.gz")
    shutil.rmtree(with_python)
    spec = ImageSpec(
        cmd=(f"{VENV}/bin/python",),
        env=(f"PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
        history=(
            HistoryItem("debootstrap --variant=minbase bookworm"),
            HistoryItem(f"RUN apt-get install {' '.join(APT_PACKAGES)}"),
            HistoryItem(f"RUN python3 -m venv {VENV} && pip install {' '.join(pins)}"),
        ),
    )
    write_oci_layout(work / "oci", [base.layer, python_layer, venv_layer], spec)
    (work / "build.json").write_text(json.dumps({"pins": list(pins)}))
    for name, layer in (("layer2", python_layer), ("layer3", venv_layer)):
        (work / f"{name}.json").write_text(json.dumps(blob_json(layer)))


def python_venv_image(pins: Sequence[str] = DEFAULT_PINS) -> PythonImage:
    """Return the cached Debian + python3 + venv image (first build about 1-2 minutes)."""
    base = debian_rootfs()
    digest = base.layer.digest.removeprefix("sha256:")[:12]
    pin_key = hashlib.sha256("\n".join(sorted(pins)).encode()).hexdigest()[:12]
    key = f"python-venv-v{_VERSION}-{digest}-{pin_key}"
    root = cached_build(key, lambda work: _build(pins, work))
    layers = (
        base.layer,
        load_blob(root / "layer2.tar.gz", root / "layer2.json"),
        load_blob(root / "layer3.tar.gz", root / "layer3.json"),
    )
    return PythonImage(oci_dir=root / "oci", rootfs=root / "rootfs", layers=layers, pins=tuple(pins))
