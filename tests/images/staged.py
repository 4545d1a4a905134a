"""Build an image step by step: copy the previous root, change it, record the change as a layer.

Each step works on a full copy of the tree (reflinked where the filesystem can), so the layer is
exactly what the step changed — new files, changed files and whiteouts for what it removed —
the way a container builder commits `RUN` steps.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.rootfs_diff import diff_layer
from hullscan.build.tarwriter import LayerBlob

from .chroot import chroot_run
from .debian import blob_json, load_blob
from .tools import run


def copy_tree(source: Path, dest: Path) -> None:
    """Copy a root directory with owners, modes, links and hard links kept."""
    run(["cp", "-a", "--reflink=auto", str(source), str(dest)])


def apt_install(rootfs: Path, packages: Sequence[str]) -> None:
    """`apt-get install --no-install-recommends` inside the root, then drop the apt caches."""
    chroot_run(rootfs, ["apt-get", "update", "-q"], mount_proc=True)
    chroot_run(
        rootfs, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], mount_proc=True
    )
    chroot_run(rootfs, ["apt-get", "clean"])
    for path in (rootfs / "var/lib/apt/lists").glob("*_*"):
        path.unlink()


@dataclass(frozen=True, slots=True)
class Step:
    """One build step: what it is called in the history and what it does to the root."""

    created_by: str
    change: Callable[[Path], None]


def build_steps(
    work: Path, base: Path, steps: Sequence[Step], *, keep: Sequence[int] = ()
) -> list[LayerBlob]:
    """Run `steps` over copies of `base`; write `layerN.tar.gz` (N from 1) and `rootfs` (the last tree).

    Trees of the step indexes in `keep` stay as `rootfs-N` (e.g. the tree before a deletion).
    """
    layers: list[LayerBlob] = []
    previous = base
    for number, step in enumerate(steps, start=1):
        current = work / ("rootfs" if number == len(steps) else f"rootfs-{number}")
        copy_tree(previous, current)
        step.change(current)
        layer = diff_layer(previous, current, work / f"layer{number}.tar.gz")
        (work / f"layer{number}.json").write_text(json.dumps(blob_json(layer)))
        layers.append(layer)
        if previous != base and (number - 1) not in keep:
            shutil.rmtree(previous)
        previous = current
    return layers


def load_layers(root: Path, count: int) -> list[LayerBlob]:
    """Return the `count` layers a `build_steps` run wrote under `root`."""
    return [load_blob(root / f"layer{n}.tar.gz", root / f"layer{n}.json") for n in range(1, count + 1)]


def write_image(
    work: Path, layers: Sequence[LayerBlob], history: Sequence[str], cmd: Sequence[str] = ()
) -> None:
    """Write the OCI layout `work/oci` (tag `latest`)."""
    spec = ImageSpec(cmd=tuple(cmd), history=tuple(HistoryItem(h) for h in history))
    write_oci_layout(work / "oci", list(layers), spec)
