"""Debian 12 + real Go binaries: Debian's own `fzf` and `direnv` packages, and a module-built binary.

Layer 1 is `dpkg -i` of the two .deb files (fetched with `apt-get download`) run in a chroot, so
the dpkg database owns the binaries; layer 2 adds `/usr/local/bin/hullscan-hello`, built on the
host by the Go toolchain in module mode (its build info has a `mod` line) and owned by no OS
package. `build_go_hello()` is shared with the scratch image.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.tarwriter import LayerBlob

from .cache import cached_build
from .chroot import chroot_run
from .debian import debian_rootfs
from .staged import Step, build_steps, load_layers, write_image
from .tools import ensure_tool, run

GO_DEBS = ("fzf", "direnv")
HELLO_PATH = "usr/local/bin/hullscan-hello"
HELLO_MODULE = "example.com/hullscan-hello"
_HELLO_MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from hullscan") }\n'
_VERSION = "1"


@dataclass(frozen=True, slots=True)
class GoImage:
    """The built image and its final tree."""

    oci_dir: Path
    rootfs: Path
    layers: tuple[LayerBlob, ...]

    @property
    def reference(self) -> str:
        """Return the `oci:DIR:TAG` reference."""
        return f"oci:{self.oci_dir}:latest"


def build_go_hello(dest: Path, work: Path) -> Path:
    """Build a static module-mode Go program to `dest` with the host toolchain (no network)."""
    go = ensure_tool("go", "golang-go")
    source = work / "hello-src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "go.mod").write_text(f"module {HELLO_MODULE}\n\ngo 1.19\n")
    (source / "main.go").write_text(_HELLO_MAIN)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
        "GOPATH": str(work / "gopath"),
        "GOCACHE": str(work / "gocache"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "CGO_ENABLED": "0",
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    run([go, "build", "-trimpath", "-o", str(dest), "."], cwd=source, env=env, timeout=600)
    shutil.rmtree(work / "gocache", ignore_errors=True)
    return dest


def download_debs(names: tuple[str, ...], dest: Path) -> list[Path]:
    """Fetch .deb files with the host's apt (the same bookworm archive as the image)."""
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o777)  # apt's sandbox user writes here
    try:
        run(["apt-get", "download", *names], cwd=dest)
    except RuntimeError:
        run(["apt-get", "update", "-q"])
        run(["apt-get", "download", *names], cwd=dest)
    return sorted(dest.glob("*.deb"))


def _dpkg_install(debs: list[Path]) -> Step:
    def change(root: Path) -> None:
        inside = root / "tmp" / "debs"
        inside.mkdir(parents=True)
        for deb in debs:
            shutil.copy2(deb, inside / deb.name)
        try:
            chroot_run(root, ["dpkg", "-i", *(f"/tmp/debs/{d.name}" for d in debs)])
        finally:
            shutil.rmtree(inside)

    return Step(f"RUN dpkg -i {' '.join(d.name for d in debs)}", change)


def _build(work: Path) -> None:
    base = debian_rootfs()
    debs = download_debs(GO_DEBS, work / "debs")
    hello = build_go_hello(work / "hello", work / "go-build")
    steps = [
        _dpkg_install(debs),
        Step(f"COPY hullscan-hello /{HELLO_PATH}", lambda root: shutil.copy2(hello, root / HELLO_PATH)),
    ]
    layers = build_steps(work, base.rootfs, steps)
    shutil.rmtree(work / "debs")
    write_image(
        work,
        [base.layer, *layers],
        ["debootstrap --variant=minbase bookworm", *(s.created_by for s in steps)],
    )


def go_binaries_image() -> GoImage:
    """Return the cached Debian + Go binaries image (built in under a minute)."""
    base = debian_rootfs()
    key = f"go-binaries-v{_VERSION}-{base.layer.digest.removeprefix('sha256:')[:12]}"
    root = cached_build(key, _build)
    return GoImage(root / "oci", root / "rootfs", (base.layer, *load_layers(root, 2)))
