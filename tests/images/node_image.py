"""Debian 12 + Debian's own `nodejs`/`npm` packages + an app installed by `npm ci` from a real lockfile.

Layer 0 is the debootstrap root; layer 1 is `apt-get install nodejs npm` run in a chroot (Debian's
npm brings hundreds of `node-*` packages that own `/usr/share/nodejs/...`); layer 2 is `/app`:
the lockfile is resolved by the host's npm from the registry (`npm install --package-lock-only`)
and installed by the host's `npm ci --ignore-scripts` into the image's /app (faster than npm in
the chroot, and the same files: no install scripts run).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.tarwriter import LayerBlob

from .cache import cached_build
from .debian import debian_rootfs
from .staged import Step, apt_install, build_steps, load_layers, write_image
from .tools import ensure_tool, run

APP_MANIFEST = {
    "name": "hullscan-node-app",
    "version": "1.0.0",
    "private": True,
    "dependencies": {
        "express": "4.17.1",
        "lodash": "4.17.15",
        "minimist": "1.2.0",
        "@types/node": "14.14.31",
    },
    "devDependencies": {"mocha": "8.4.0"},
}
APT_PACKAGES = ("nodejs", "npm")
APP_DIR = "app"
_VERSION = "1"


@dataclass(frozen=True, slots=True)
class NodeImage:
    """The built image and its final tree."""

    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:TAG` reference."""
        return f"oci:{self.oci_dir}:latest"

    @property
    def app(self) -> Path:
        """Return the app directory inside `rootfs`."""
        return self.rootfs / APP_DIR


def _npm_app(rootfs: Path) -> None:
    npm = ensure_tool("npm")
    app = rootfs / APP_DIR
    app.mkdir()
    (app / "package.json").write_text(json.dumps(APP_MANIFEST, indent=2) + "\n")
    quiet = ["--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    run([npm, "install", "--package-lock-only", *quiet], cwd=app, timeout=900)
    run([npm, "ci", *quiet], cwd=app, timeout=900)


def _build(work: Path) -> None:
    base = debian_rootfs()
    steps = [
        Step(f"RUN apt-get install {' '.join(APT_PACKAGES)}", lambda root: apt_install(root, APT_PACKAGES)),
        Step("COPY package.json package-lock.json /app && RUN npm ci", _npm_app),
    ]
    layers = build_steps(work, base.rootfs, steps)
    history = ["debootstrap --variant=minbase bookworm", *(s.created_by for s in steps)]
    write_image(work, [base.layer, *layers], history, cmd=("node", "/app"))


def node_npm_image() -> NodeImage:
    """Return the cached Debian + nodejs/npm + npm-ci app image (first build a few minutes)."""
    base = debian_rootfs()
    manifest_key = hashlib.sha256(json.dumps(APP_MANIFEST, sort_keys=True).encode()).hexdigest()[:12]
    key = f"node-npm-v{_VERSION}-{base.layer.digest.removeprefix('sha256:')[:12]}-{manifest_key}"
    root = cached_build(key, _build)
    return NodeImage(root / "oci", root / "rootfs", (base.layer, *load_layers(root, 2)))
