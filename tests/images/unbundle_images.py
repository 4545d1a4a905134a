"""A Debian 12 image running a Python app from real wheels that bundle native copies, and the same image
after an unbundling plan was applied to a copy of its root filesystem (chroot, apt-get, pip).

Wheels: lxml (static libxml2/libxslt/zlib), PyYAML (static libyaml), cryptography (static OpenSSL),
cffi (libffi in `cffi.libs`), requests and its dependencies: all pinned to the upstream versions Debian 12
ships as python3-* packages, so the plan can swap them.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.rootfs_diff import diff_layer
from hullscan.build.tarwriter import Compression, Directory, LayerBlob, RegularFile, write_layer

from .cache import cached_build
from .chroot import chroot_run
from .debian import load_blob
from .python_image import VENV, python_venv_image
from .tools import run

APP_PINS: tuple[str, ...] = (
    "lxml==4.9.2",
    "PyYAML==6.0.1",
    "cryptography==38.0.4",
    "cffi==1.15.1",
    "pycparser==2.21",
    "requests==2.28.1",
    "urllib3==1.26.12",
    "idna==3.3",
    "certifi==2022.9.24",
    "charset-normalizer==3.0.1",
)
APP_PATH = "/app/app.py"
APP_SOURCE = b'''"""Smoke app: parse XML and YAML, hash with cryptography, build a requests session."""
import json
import lxml.etree
import yaml
import requests
import cryptography
from cryptography.hazmat.primitives import hashes

doc = lxml.etree.fromstring(b"<a><b>hello</b></a>")
digest = hashes.Hash(hashes.SHA256())
digest.update(b"hullscan")
session = requests.Session()
print(json.dumps({
    "xml": doc.findtext("b"),
    "yaml": yaml.safe_load("k: [1, 2]"),
    "sha256": digest.finalize().hex(),
    "libxml2": ".".join(map(str, lxml.etree.LIBXML_VERSION)),
    "modules": {m.__name__: m.__file__ for m in (lxml, yaml, requests, cryptography)},
    "session": type(session).__name__,
}))
'''
_VERSION = "1"


@dataclass(frozen=True, slots=True)
class AppImage:
    """An OCI image of the app and its squashed root filesystem."""

    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]
    spec: ImageSpec

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:latest` reference."""
        return f"oci:{self.oci_dir}:latest"


def _spec(history: Sequence[str]) -> ImageSpec:
    return ImageSpec(
        cmd=(f"{VENV}/bin/python", APP_PATH),
        env=(f"PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
        history=tuple(HistoryItem(h) for h in history),
    )


_BASE_HISTORY = (
    "debootstrap --variant=minbase bookworm",
    "RUN apt-get install python3 python3-venv",
    f"RUN python3 -m venv {VENV} && pip install {' '.join(APP_PINS)}",
    f"COPY app.py {APP_PATH}",
)


def app_image() -> AppImage:
    """Return the cached app image (the venv image is shared with other tests by pin set)."""
    venv = python_venv_image(APP_PINS)
    key = f"unbundle-app-v{_VERSION}-{venv.layers[-1].digest.removeprefix('sha256:')[:12]}"

    def build(work: Path) -> None:
        app_layer = write_layer(
            work / "layer4.tar.gz",
            [Directory(path="app"), RegularFile(path="app/app.py", data=APP_SOURCE)],
            Compression.GZIP,
        )
        write_oci_layout(work / "oci", [*venv.layers, app_layer], _spec(_BASE_HISTORY))
        run(["cp", "-a", "--reflink=auto", str(venv.rootfs), str(work / "rootfs")])
        (work / "rootfs" / "app").mkdir(exist_ok=True)
        (work / "rootfs" / "app" / "app.py").write_bytes(APP_SOURCE)

    root = cached_build(key, build)
    layers = (*venv.layers, load_blob(root / "layer4.tar.gz", root / "layer4.json"))
    return AppImage(root / "oci", root / "rootfs", layers, _spec(_BASE_HISTORY))


def applied_image(base: AppImage, steps: Sequence[str]) -> AppImage:
    """Return `base` with `steps` run in a chroot of a copy of its rootfs, packed as one more layer."""
    key = "unbundle-applied-v{}-{}-{}".format(
        _VERSION,
        base.layers[-1].digest.removeprefix("sha256:")[:12],
        hashlib.sha256("\n".join(steps).encode()).hexdigest()[:12],
    )

    def build(work: Path) -> None:
        rootfs = work / "rootfs"
        run(["cp", "-a", "--reflink=auto", str(base.rootfs), str(rootfs)])
        for step in steps:
            chroot_run(rootfs, ["sh", "-c", step], mount_proc=True)
        shutil.rmtree(rootfs / "root" / ".cache", ignore_errors=True)
        layer = diff_layer(base.rootfs, rootfs, work / "layer5.tar.gz")
        history = (*_BASE_HISTORY, "RUN hullscan unbundle plan")
        write_oci_layout(work / "oci", [*base.layers, layer], _spec(history))

    root = cached_build(key, build)
    layers = (*base.layers, load_blob(root / "layer5.tar.gz", root / "layer5.json"))
    return AppImage(root / "oci", root / "rootfs", layers, base.spec)
