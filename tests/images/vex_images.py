"""Images for the triage evidence tests: real Debian packages, a wheel a later layer deletes, Go binaries.

`vex_image()` (cached under $HULLSCAN_TEST_CACHE) has four layers:

1. real bookworm .debs unpacked with `dpkg-deb -x` and a matching dpkg database (the example
   image's base packages plus `ant`, which the Debian tracker rates `unimportant` for CVE-2021-36373);
2. the real `urllib3 1.26.4` wheel installed pip-style under /usr/local/lib/python3.11/site-packages;
3. whiteouts deleting that urllib3 again (visible only in the all-layers scan);
4. three stripped Go programs built by Debian's golang-go against Debian's golang.org/x/text
   0.7.0 source (/usr/share/gocode, vendored): `vex-call` calls `norm.Form.IsNormalString`,
   `vex-inline` calls `norm.Form.FirstBoundaryInString` (inlined by the compiler), `vex-none` uses
   only `x/text/width`. The unstripped builds and the `-gcflags=-m` logs are kept for ground truth.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hullscan.build.example import (
    BASE_DEBS,
    SITE_PACKAGES,
    download_debs,
    download_wheels,
    install_wheel,
    unpack_deb,
    write_dpkg_database,
)
from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.tarwriter import (
    Compression,
    LayerBlob,
    RegularFile,
    Whiteout,
    layer_from_directory,
    write_layer,
)

from .cache import cache_root, cached_build
from .debian import blob_json, debian_rootfs, load_blob
from .tools import ensure_tool, run

VERSION = "1"
EXTRA_DEBS = ("ant",)
WHEEL = "urllib3==1.26.4"
GOCODE_TEXT = Path("/usr/share/gocode/src/golang.org/x/text")
TEXT_VERSION = "v0.7.0"
GO_PROGRAMS = {
    "call": ("golang.org/x/text/unicode/norm", "norm.NFC.IsNormalString(os.Args[0])"),
    "inline": ("golang.org/x/text/unicode/norm", "norm.NFC.FirstBoundaryInString(os.Args[0])"),
    "none": ("golang.org/x/text/width", "width.Narrow.String(os.Args[0])"),
}
GO_BIN_DIR = "usr/local/bin"
_VENDORED = ("golang.org/x/text/transform", "golang.org/x/text/unicode/norm", "golang.org/x/text/width")


@dataclass(frozen=True, slots=True)
class GoBuild:
    """One Go program: the stripped copy in the image, the unstripped build, the inlining log."""

    name: str
    image_path: str
    unstripped: Path
    inlining_log: Path


@dataclass(frozen=True, slots=True)
class VexImage:
    """The built image and what went into it."""

    oci_dir: Path
    root: Path
    layers: tuple[LayerBlob, ...]
    go: dict[str, GoBuild]

    @property
    def reference(self) -> str:
        """`oci:DIR:latest`."""
        return f"oci:{self.oci_dir}:latest"

    @property
    def os_root(self) -> Path:
        """The unpacked Debian packages of layer 1 (for dpkg-parsechangelog ground truth)."""
        return self.root / "os"


def ensure_apt_package(package: str, probe: Path) -> None:
    """Install a Debian package on the host when `probe` is missing."""
    if probe.exists():
        return
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.run(argv, check=False, capture_output=True).returncode != 0:
        run(["apt-get", "update", "-q"])
        run(argv)


def _main_source(package: str, call: str) -> str:
    return f'package main\n\nimport (\n\t"fmt"\n\t"os"\n\n\t"{package}"\n)\n\nfunc main() {{ fmt.Println({call}) }}\n'


def build_go_program(name: str, work: Path) -> tuple[Path, Path]:
    """Build one program in module mode with x/text vendored from Debian; (unstripped binary, -m log)."""
    go = ensure_tool("go", "golang-go")
    ensure_apt_package("golang-golang-x-text-dev", GOCODE_TEXT)
    package, call = GO_PROGRAMS[name]
    source = work / f"src-{name}"
    shutil.copytree(GOCODE_TEXT, source / "vendor" / "golang.org" / "x" / "text", symlinks=True)
    (source / "go.mod").write_text(
        f"module example.com/vex{name}\n\ngo 1.19\n\nrequire golang.org/x/text {TEXT_VERSION}\n"
    )
    listing = "".join(f"{p}\n" for p in _VENDORED)
    (source / "vendor" / "modules.txt").write_text(
        f"# golang.org/x/text {TEXT_VERSION}\n## explicit; go 1.17\n{listing}"
    )
    (source / "main.go").write_text(_main_source(package, call))
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(work), "GOPATH": str(work / "gopath"),
        "GOCACHE": str(work / "gocache"), "GOFLAGS": "-mod=vendor", "GOPROXY": "off", "CGO_ENABLED": "0",
    }  # fmt: skip
    binary = work / f"vex-{name}"
    log = run(
        [go, "build", "-gcflags=-m", "-o", str(work / "m-build"), "."], cwd=source, env=env, timeout=600
    )
    (work / f"vex-{name}.inlining.txt").write_text(log.stderr + log.stdout)
    run([go, "build", "-trimpath", "-o", str(binary), "."], cwd=source, env=env, timeout=600)
    (work / "m-build").unlink()
    return binary, work / f"vex-{name}.inlining.txt"


def _os_layer(work: Path, downloads: Path) -> LayerBlob:
    debs = download_debs([*BASE_DEBS, *EXTRA_DEBS], downloads / "debs")
    root = work / "os"
    infos = [unpack_deb(deb, root, work / "control") for deb in debs]
    write_dpkg_database(root, infos, infos)
    return layer_from_directory(root, work / "layer1.tar.gz", owner=(0, 0))


def _wheel_layer(work: Path, downloads: Path) -> tuple[LayerBlob, str]:
    root = work / "python"
    (wheel,) = download_wheels([WHEEL], downloads / "wheels")
    dist_info = install_wheel(wheel, root)
    return layer_from_directory(root, work / "layer2.tar.gz", owner=(0, 0)), dist_info


def _go_layer(work: Path) -> tuple[LayerBlob, dict[str, dict[str, str]]]:
    entries: list[RegularFile] = []
    builds: dict[str, dict[str, str]] = {}
    strip = ensure_tool("strip", "binutils")
    for name in GO_PROGRAMS:
        binary, log = build_go_program(name, work / "go")
        stripped = work / "go" / f"vex-{name}.stripped"
        shutil.copy2(binary, stripped)
        run([strip, str(stripped)])
        path = f"{GO_BIN_DIR}/vex-{name}"
        entries.append(RegularFile(path=path, data=stripped.read_bytes(), mode=0o755))
        builds[name] = {"image_path": "/" + path, "unstripped": binary.name, "log": log.name}
    shutil.rmtree(work / "go" / "gocache", ignore_errors=True)
    for source in (work / "go").glob("src-*"):
        shutil.rmtree(source)
    return write_layer(work / "layer4.tar.gz", entries, Compression.GZIP), builds


def _build(work: Path) -> None:
    downloads = cache_root() / "vex-downloads"
    os_layer = _os_layer(work, downloads)
    wheel_layer, dist_info = _wheel_layer(work, downloads)
    gone = [Whiteout(path=f"{SITE_PACKAGES}/urllib3"), Whiteout(path=f"{SITE_PACKAGES}/{dist_info}")]
    whiteout_layer = write_layer(work / "layer3.tar.gz", gone, Compression.GZIP)
    go_layer, builds = _go_layer(work)
    layers = [os_layer, wheel_layer, whiteout_layer, go_layer]
    spec = ImageSpec(
        cmd=(f"/{GO_BIN_DIR}/vex-call",),
        env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
        history=tuple(
            HistoryItem(text)
            for text in (
                f"dpkg-deb -x {' '.join((*BASE_DEBS, *EXTRA_DEBS))}",
                f"pip install {WHEEL}",
                "pip uninstall urllib3",
                "COPY vex-call vex-inline vex-none /usr/local/bin/",
            )
        ),
    )
    write_oci_layout(work / "oci", layers, spec)
    for number, layer in enumerate(layers, start=1):
        (work / f"layer{number}.json").write_text(json.dumps(blob_json(layer)))
    (work / "go.json").write_text(json.dumps(builds))


def vex_image() -> VexImage:
    """Return the cached evidence test image (first build about a minute: downloads and three Go builds)."""
    root = cached_build(f"vex-evidence-v{VERSION}", _build)
    layers = tuple(load_blob(root / f"layer{n}.tar.gz", root / f"layer{n}.json") for n in range(1, 5))
    builds = json.loads((root / "go.json").read_text())
    go = {
        name: GoBuild(name, item["image_path"], root / "go" / item["unstripped"], root / "go" / item["log"])
        for name, item in builds.items()
    }
    return VexImage(root / "oci", root, layers, go)


TRIXIE_PACKAGES = ("golang-go", "golang-golang-x-text-dev", "ca-certificates")


@dataclass(frozen=True, slots=True)
class NewerGoBuild:
    """The `inline` program built by trixie's Go toolchain (pclntab layout of Go 1.20+)."""

    stripped: Path
    unstripped: Path
    inlining_log: Path
    go_version: str


def _build_with_trixie_go(work: Path) -> None:
    from .chroot import chroot_run  # noqa: PLC0415 - only this builder needs a chroot
    from .staged import apt_install, copy_tree  # noqa: PLC0415 - staged pulls in the chroot helpers

    stage = work / "stage"
    copy_tree(debian_rootfs("trixie").rootfs, stage)
    try:
        apt_install(stage, TRIXIE_PACKAGES)
        source = stage / "src"
        source.mkdir()
        gocode = stage / GOCODE_TEXT.relative_to("/")
        shutil.copytree(gocode, source / "vendor" / "golang.org" / "x" / "text", symlinks=True)
        version = chroot_run(
            stage, ["dpkg-query", "-W", "-f", "${Version}", "golang-golang-x-text-dev"]
        ).stdout
        module_version = "v" + version.split(":")[-1].split("-")[0].split("+")[0]
        listing = "".join(f"{p}\n" for p in _VENDORED)
        (source / "go.mod").write_text(
            f"module example.com/vexinline\n\ngo 1.19\n\nrequire golang.org/x/text {module_version}\n"
        )
        (source / "vendor" / "modules.txt").write_text(
            f"# golang.org/x/text {module_version}\n## explicit; go 1.17\n{listing}"
        )
        (source / "main.go").write_text(_main_source(*GO_PROGRAMS["inline"]))
        env = {
            "GOFLAGS": "-mod=vendor",
            "GOPROXY": "off",
            "CGO_ENABLED": "0",
            "GOCACHE": "/tmp/gocache",
            "HOME": "/tmp",
        }
        script = "cd /src && go build -gcflags=-m -o /tmp/m . 2>/src/inlining.txt; go build -trimpath -o /src/vex-inline ."
        chroot_run(stage, ["sh", "-c", script], env=env, mount_proc=True)
        go_version = chroot_run(stage, ["go", "version"], env=env, mount_proc=True).stdout.strip()
        shutil.copy2(source / "vex-inline", work / "vex-inline")
        shutil.copy2(source / "inlining.txt", work / "inlining.txt")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    shutil.copy2(work / "vex-inline", work / "vex-inline.stripped")
    run([ensure_tool("strip", "binutils"), str(work / "vex-inline.stripped")])
    (work / "go-version.txt").write_text(go_version)


def newer_go_build() -> NewerGoBuild:
    """Return the cached trixie-toolchain build (first build: a trixie root plus golang-go, a few minutes)."""
    root = cached_build(f"vex-go-trixie-v{VERSION}", _build_with_trixie_go)
    return NewerGoBuild(
        root / "vex-inline.stripped",
        root / "vex-inline",
        root / "inlining.txt",
        (root / "go-version.txt").read_text(),
    )
