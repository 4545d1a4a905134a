"""Real image pairs for `hullscan upgrade`: each pair is OLD and NEW as OCI layouts plus squashed roots.

Stages (each cached, built with chroot + apt-get / pip like a container builder, layers by diffing):
- `python_stage(suite)`: debootstrap root of `suite` + `apt-get install python3 python3-venv`;
- `venv_layer(pins)`: on the bookworm stage, `python3 -m venv /opt/venv` + offline `pip install`
  of cp311 wheels downloaded on the host.

Pairs:
1. `rebase`: the bookworm app (base, python, venv) vs the same venv layer on a trixie base;
2. `patch`: the bookworm app vs the same base with patch-level wheel updates;
3. `whiteout`: the bookworm app vs the same layers plus a layer deleting libz (which
   python3.11 and libapt-pkg DT_NEED);
4. `requires`: the bookworm app vs a venv missing `certifi` and holding a too-old `urllib3`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.rootfs_diff import diff_layer
from hullscan.build.tarwriter import Compression, LayerBlob, Whiteout, write_layer

from .cache import cached_build
from .chroot import chroot_run
from .debian import blob_json, debian_rootfs, load_blob
from .python_image import download_wheels
from .squash import squash_layers
from .tools import run

VERSION = "1"
VENV = "/opt/venv"
APP_PINS: tuple[str, ...] = (
    "requests==2.31.0",
    "idna==3.6",
    "urllib3==2.2.1",
    "certifi==2024.2.2",
    "charset-normalizer==3.3.0",
    "MarkupSafe==2.1.3",
    "Jinja2==3.1.3",
)
PATCH_PINS: tuple[str, ...] = (
    "requests==2.31.0",
    "idna==3.6",
    "urllib3==2.2.3",
    "certifi==2024.2.2",
    "charset-normalizer==3.3.2",
    "MarkupSafe==2.1.5",
    "Jinja2==3.1.4",
)
"""APP_PINS with patch-level updates only (X.Y.Z → X.Y.Z')."""
BROKEN_PINS: tuple[str, ...] = (
    "requests==2.31.0",
    "idna==3.6",
    "urllib3==1.21",
    "charset-normalizer==3.3.0",
    "MarkupSafe==2.1.3",
    "Jinja2==3.1.3",
)
"""No certifi (requests needs it) and urllib3 below requests' `>=1.21.1`."""
ZLIB_GLOB = "usr/lib/x86_64-linux-gnu/libz.so.1*"


@dataclass(frozen=True, slots=True)
class BuiltImage:
    """One image of a pair: OCI layout, squashed root (for chroot ground truth), layers."""

    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:latest` reference."""
        return f"oci:{self.oci_dir}:latest"


@dataclass(frozen=True, slots=True)
class UpgradePair:
    """OLD and NEW."""

    old: BuiltImage
    new: BuiltImage


@dataclass(frozen=True, slots=True)
class _Stage:
    rootfs: Path
    layers: tuple[LayerBlob, ...]


def _copy_tree(source: Path, dest: Path) -> None:
    run(["cp", "-a", "--reflink=auto", str(source), str(dest)])


def _spec(suite: str, pins: Sequence[str], extra: Sequence[str] = ()) -> ImageSpec:
    return ImageSpec(
        cmd=(f"{VENV}/bin/python", "-m", "app"),
        env=(f"PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
        workdir="/srv",
        labels={"org.opencontainers.image.title": "hullscan-upgrade-app"},
        history=(
            HistoryItem(f"debootstrap --variant=minbase {suite}"),
            HistoryItem("RUN apt-get install python3 python3-venv"),
            HistoryItem(f"RUN python3 -m venv {VENV} && pip install {' '.join(pins)}"),
            *(HistoryItem(text) for text in extra),
        ),
    )


def _build_python_stage(suite: str, work: Path) -> None:
    base = debian_rootfs(suite)
    stage = work / "rootfs"
    _copy_tree(base.rootfs, stage)
    chroot_run(stage, ["apt-get", "update", "-q"], mount_proc=True)
    chroot_run(
        stage,
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3", "python3-venv"],
        mount_proc=True,
    )
    chroot_run(stage, ["apt-get", "clean"])
    for path in (stage / "var/lib/apt/lists").glob("*_*"):
        path.unlink()
    layer = diff_layer(base.rootfs, stage, work / "python.tar.gz")
    (work / "python.json").write_text(json.dumps(blob_json(layer)))


def python_stage(suite: str) -> _Stage:
    """Return the cached `suite` root with python3 and python3-venv installed (two layers)."""
    base = debian_rootfs(suite)
    key = f"upgrade-python-{suite}-v{VERSION}-{base.layer.digest.removeprefix('sha256:')[:12]}"
    root = cached_build(key, lambda work: _build_python_stage(suite, work))
    layer = load_blob(root / "python.tar.gz", root / "python.json")
    return _Stage(root / "rootfs", (base.layer, layer))


def _build_venv(stage: _Stage, pins: Sequence[str], work: Path) -> None:
    wheels = work / "wheels"
    download_wheels(pins, wheels)
    tree = work / "rootfs"
    _copy_tree(stage.rootfs, tree)
    inside = tree / "tmp" / "wheels"
    shutil.copytree(wheels, inside)
    try:
        chroot_run(tree, ["python3", "-m", "venv", VENV])
        pip = f"{VENV}/bin/pip"
        chroot_run(tree, [pip, "install", "--no-index", "--no-deps", "--find-links", "/tmp/wheels", *pins])
    finally:
        shutil.rmtree(inside, ignore_errors=True)
        shutil.rmtree(wheels, ignore_errors=True)
    shutil.rmtree(tree / "root" / ".cache", ignore_errors=True)
    layer = diff_layer(stage.rootfs, tree, work / "venv.tar.gz")
    (work / "venv.json").write_text(json.dumps(blob_json(layer)))


def venv_image(pins: Sequence[str]) -> BuiltImage:
    """Return the bookworm app image: base, python, and a venv of `pins` (OCI + squashed root)."""
    stage = python_stage("bookworm")
    pin_key = hashlib.sha256("\n".join(pins).encode()).hexdigest()[:12]
    key = f"upgrade-venv-v{VERSION}-{stage.layers[1].digest.removeprefix('sha256:')[:12]}-{pin_key}"

    def build(work: Path) -> None:
        _build_venv(stage, pins, work)
        layer = load_blob(work / "venv.tar.gz", work / "venv.json")
        write_oci_layout(work / "oci", [*stage.layers, layer], _spec("bookworm", pins))

    root = cached_build(key, build)
    layer = load_blob(root / "venv.tar.gz", root / "venv.json")
    return BuiltImage(root / "oci", root / "rootfs", (*stage.layers, layer))


def _derived(
    key: str, stage_rootfs: Path, layers: Sequence[LayerBlob], extra: Sequence[LayerBlob], spec: ImageSpec
) -> BuiltImage:
    """An image = `layers` + `extra` whose root is a copy of `stage_rootfs` with `extra` applied."""

    def build(work: Path) -> None:
        _copy_tree(stage_rootfs, work / "rootfs")
        squash_layers([blob.path for blob in extra], work / "rootfs")
        write_oci_layout(work / "oci", [*layers, *extra], spec)

    root = cached_build(key, build)
    return BuiltImage(root / "oci", root / "rootfs", (*layers, *extra))


def rebase_pair() -> UpgradePair:
    """Pair 1: the bookworm app vs the same venv layer on trixie + python3 (3.13)."""
    old = venv_image(APP_PINS)
    trixie = python_stage("trixie")
    venv = old.layers[-1]
    key = f"upgrade-rebase-v{VERSION}-{trixie.layers[1].digest.removeprefix('sha256:')[:12]}-{venv.digest.removeprefix('sha256:')[:12]}"
    new = _derived(key, trixie.rootfs, trixie.layers, (venv,), _spec("trixie", APP_PINS))
    return UpgradePair(old, new)


def patch_pair() -> UpgradePair:
    """Pair 2: the bookworm app vs patch-level wheel updates on the same base layers."""
    return UpgradePair(venv_image(APP_PINS), venv_image(PATCH_PINS))


def requires_pair() -> UpgradePair:
    """Pair 4: the bookworm app vs a venv with an unsatisfied Requires-Dist."""
    return UpgradePair(venv_image(APP_PINS), venv_image(BROKEN_PINS))


def whiteout_pair() -> UpgradePair:
    """Pair 3: the bookworm app vs the same image plus a layer deleting libz.so.1*."""
    old = venv_image(APP_PINS)
    key = f"upgrade-whiteout-v{VERSION}-{old.layers[-1].digest.removeprefix('sha256:')[:12]}"

    def build(work: Path) -> None:
        names = sorted(p.relative_to(old.rootfs).as_posix() for p in old.rootfs.glob(ZLIB_GLOB))
        if not names:
            raise RuntimeError(f"no {ZLIB_GLOB} in {old.rootfs}")
        layer = write_layer(work / "rm-zlib.tar.gz", [Whiteout(path=n) for n in names], Compression.GZIP)
        (work / "rm-zlib.json").write_text(json.dumps({**blob_json(layer), "removed": names}))

    layer_root = cached_build(key + "-layer", build)
    layer = load_blob(layer_root / "rm-zlib.tar.gz", layer_root / "rm-zlib.json")
    spec = _spec("bookworm", APP_PINS, ("RUN rm /usr/lib/x86_64-linux-gnu/libz.so.1*",))
    new = _derived(key, old.rootfs, old.layers, (layer,), spec)
    return UpgradePair(old, new)


def removed_libraries(pair: UpgradePair) -> list[str]:
    """Return the paths the whiteout layer of `whiteout_pair` deletes."""
    meta = pair.new.layers[-1].path.with_name("rm-zlib.json")
    return list(json.loads(meta.read_text())["removed"])
