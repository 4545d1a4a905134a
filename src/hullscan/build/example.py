"""Assemble the small, real example image of the README without root or Docker.

Real Debian packages (`apt-get download`, unpacked with `dpkg-deb -x`) with a matching dpkg
database; real old Python wheels installed into `/usr/local/lib/python3.11/site-packages` the way
pip lays them out (dist-info RECORD, INSTALLER, console scripts); real npm tarballs under
`/app/node_modules` with a `package.json` and `package-lock.json`. Written as an OCI layout.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hullscan.build.oci import HistoryItem, ImageSpec, write_oci_layout
from hullscan.build.tarwriter import Compression, LayerBlob, LayerBuildError, layer_from_directory
from hullscan.errors import HullscanError

BASE_DEBS: tuple[str, ...] = (
    "base-files",
    "gcc-12-base",
    "libgcc-s1",
    "libc6",
    "zlib1g",
    "libzstd1",
    "liblzma5",
    "libbz2-1.0",
)
EXTRA_DEBS: tuple[str, ...] = (
    "libssl3",
    "openssl",
    "ca-certificates",
    "libexpat1",
    "libffi8",
    "media-types",
    "libpython3.11-minimal",
    "python3.11-minimal",
    "python3-minimal",
)
WHEELS: tuple[str, ...] = (
    "requests==2.25.1",
    "urllib3==1.26.4",
    "idna==2.10",
    "chardet==4.0.0",
    "certifi==2020.12.5",
)
NPM_PACKAGES: tuple[str, ...] = ("lodash@4.17.15", "minimist@1.2.0", "node-fetch@2.6.0")
SITE_PACKAGES = "usr/local/lib/python3.11/site-packages"
PYTHON_SHEBANG = "#!/usr/local/bin/python3"
APP_DIR = "app"
_TOOL_TIMEOUT = 600


class ExampleBuildError(LayerBuildError):
    """A step of the example image build (apt-get, dpkg-deb, pip, npm) failed."""

    hint = "The example needs apt-get, dpkg-deb, pip and npm, and the package registries reachable."


def _run(argv: Sequence[str], cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True, check=False, timeout=_TOOL_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ExampleBuildError(f"could not run {argv[0]}: {error}") from error
    if result.returncode != 0:
        raise ExampleBuildError(f"{' '.join(argv[:3])} failed: {result.stderr.strip()[-1500:]}")
    return result.stdout


# --- Debian packages -------------------------------------------------------------------------


def download_debs(names: Sequence[str], dest: Path) -> list[Path]:
    """Download the candidate version of each package into `dest` (kept as a cache)."""
    dest.mkdir(parents=True, exist_ok=True)
    missing = [n for n in names if not list(dest.glob(f"{n}_*.deb"))]
    if missing:
        try:
            _run(["apt-get", "download", *missing], cwd=dest)
        except ExampleBuildError:
            if os.geteuid() != 0:
                raise
            _run(["apt-get", "update", "-q"])
            _run(["apt-get", "download", *missing], cwd=dest)
    found = []
    for name in names:
        matches = sorted(dest.glob(f"{name}_*.deb"))
        if not matches:
            raise ExampleBuildError(f"apt-get download gave no .deb for {name}")
        found.append(matches[-1])
    return found


@dataclass(frozen=True, slots=True)
class DebInfo:
    """What the dpkg database needs to know about one unpacked package."""

    name: str
    architecture: str
    multi_arch_same: bool
    control: str
    paths: tuple[str, ...]
    md5sums: str
    conffiles: tuple[tuple[str, str], ...]
    """(path, md5 of the unpacked file) per conffile."""

    @property
    def info_name(self) -> str:
        """Return the file stem dpkg uses in `info/` (`pkg:arch` for Multi-Arch: same)."""
        return f"{self.name}:{self.architecture}" if self.multi_arch_same else self.name


def _field(control: str, name: str) -> str:
    for line in control.splitlines():
        key, sep, value = line.partition(":")
        if sep and key == name:
            return value.strip()
    return ""


def unpack_deb(deb: Path, root: Path, scratch: Path) -> DebInfo:
    """Unpack `deb` into `root` with dpkg-deb and collect its control data and file list."""
    control = _run(["dpkg-deb", "-f", str(deb)])
    control_dir = scratch / deb.stem
    control_dir.parent.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-e", str(deb), str(control_dir)])
    _run(["dpkg-deb", "-x", str(deb), str(root)])
    listing = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(listing.stdout)) as tar:
        names = [m.name for m in tar.getmembers()]
    paths = tuple(dict.fromkeys(_dpkg_path(n) for n in names))
    md5sums = control_dir / "md5sums"
    conffiles = control_dir / "conffiles"
    return DebInfo(
        name=_field(control, "Package"),
        architecture=_field(control, "Architecture"),
        multi_arch_same=_field(control, "Multi-Arch") == "same",
        control=control,
        paths=paths,
        md5sums=md5sums.read_text() if md5sums.is_file() else "",
        conffiles=tuple((p, _md5(root / p.lstrip("/"))) for p in _lines(conffiles)),
    )


def _lines(path: Path) -> list[str]:
    text = path.read_text() if path.is_file() else ""
    return [line.split()[-1] for line in text.splitlines() if line.strip()]


def _deb_name(deb: Path) -> str:
    return deb.name.split("_")[0]


def _dpkg_path(member: str) -> str:
    cleaned = str(PurePosixPath("/" + member.removeprefix("./")))
    return "/." if cleaned == "/" else cleaned


def status_paragraph(info: DebInfo) -> str:
    """Return the package's paragraph for `var/lib/dpkg/status`."""
    lines = info.control.rstrip("\n").splitlines()
    description_at = next((i for i, line in enumerate(lines) if line.startswith("Description:")), len(lines))
    conffiles = [f" {path} {md5}" for path, md5 in info.conffiles]
    head = lines[:description_at]
    body = [head[0], "Status: install ok installed", *head[1:]]
    if conffiles:
        body += ["Conffiles:", *conffiles]
    return "\n".join([*body, *lines[description_at:]]) + "\n"


def _md5(path: Path) -> str:
    return (
        hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() if path.is_file() else "newconffile"
    )


def write_dpkg_database(root: Path, packages: Sequence[DebInfo], all_packages: Sequence[DebInfo]) -> None:
    """Write `status` for `all_packages` and `info/` files for `packages` under `root`."""
    admin = root / "var" / "lib" / "dpkg"
    info_dir = admin / "info"
    info_dir.mkdir(parents=True, exist_ok=True)
    (admin / "updates").mkdir(exist_ok=True)
    (admin / "available").touch()
    (info_dir / "format").write_text("1\n")  # multiarch db: `pkg:arch.list` for Multi-Arch: same
    ordered = sorted(all_packages, key=lambda p: p.name)
    (admin / "status").write_text("\n".join(status_paragraph(p) for p in ordered))
    for package in packages:
        (info_dir / f"{package.info_name}.list").write_text("\n".join(package.paths) + "\n")
        if package.md5sums:
            (info_dir / f"{package.info_name}.md5sums").write_text(package.md5sums)
        if package.conffiles:
            (info_dir / f"{package.info_name}.conffiles").write_text(
                "".join(f"{p}\n" for p, _ in package.conffiles)
            )


# --- Python wheels ---------------------------------------------------------------------------


def download_wheels(pins: Sequence[str], dest: Path) -> list[Path]:
    """Download binary wheels (no dependency resolution) for CPython 3.11 into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    names = {p.split("==")[0].lower().replace("-", "_") for p in pins}
    have = {w.name.split("-")[0].lower() for w in dest.glob("*.whl")}
    if not names <= have:
        _run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                "--python-version", "3.11", "-d", str(dest), *pins,
            ]
        )  # fmt: skip
    return sorted(w for w in dest.glob("*.whl") if w.name.split("-")[0].lower() in names)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def install_wheel(wheel: Path, root: Path) -> str:
    """Install `wheel` under `root` as pip would into /usr/local; return the dist-info name."""
    site = root / SITE_PACKAGES
    written: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as archive:
        dist_info = next(
            n.split("/")[0] for n in archive.namelist() if n.split("/")[0].endswith(".dist-info")
        )
        for member in archive.infolist():
            if member.is_dir() or member.filename.endswith("/RECORD"):
                continue
            target = _wheel_target(member.filename)
            if target is None:
                raise ExampleBuildError(f"{wheel.name}: unsafe member {member.filename}")
            data = archive.read(member)
            if target.startswith("../../../bin/") and data.startswith(b"#!python"):
                data = PYTHON_SHEBANG.encode() + data[len(b"#!python") :]
            written[target] = data
            _write(site / target, data, executable=target.startswith("../../../bin/"))
    for name, data in _console_scripts(written.get(f"{dist_info}/entry_points.txt")).items():
        written[name] = data
        _write(site / name, data, executable=True)
    written[f"{dist_info}/INSTALLER"] = b"pip\n"
    written[f"{dist_info}/REQUESTED"] = b""
    _write(site / dist_info / "INSTALLER", b"pip\n")
    _write(site / dist_info / "REQUESTED", b"")
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in sorted(written.items())]
    record.append(f"{dist_info}/RECORD,,")
    _write(site / dist_info / "RECORD", ("\n".join(record) + "\n").encode())
    return dist_info


def _wheel_target(name: str) -> str | None:
    """Map a wheel member to its path relative to site-packages (None if unsafe)."""
    parts = PurePosixPath(name).parts
    if not parts or ".." in parts or name.startswith("/"):
        return None
    if parts[0].endswith(".data") and len(parts) > 2:
        rest = "/".join(parts[2:])
        return {
            "purelib": rest,
            "platlib": rest,
            "scripts": f"../../../bin/{rest}",
            "data": f"../../../{rest}",
            "headers": f"../../../include/python3.11/{rest}",
        }.get(parts[1])
    return name


def _console_scripts(entry_points: bytes | None) -> dict[str, bytes]:
    if not entry_points:
        return {}
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(entry_points.decode())
    if not parser.has_section("console_scripts"):
        return {}
    scripts = {}
    for name, target in parser.items("console_scripts"):
        module, _, func = target.strip().partition(":")
        body = (
            f"{PYTHON_SHEBANG}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
            f"from {module} import {func.split('.')[0]}\n"
            "if __name__ == '__main__':\n"
            "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
            f"    sys.exit({func}())\n"
        )
        scripts[f"../../../bin/{name}"] = body.encode()
    return scripts


def _write(path: Path, data: bytes, *, executable: bool = False) -> None:
    path = Path(os.path.normpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o755 if executable else 0o644)


# --- npm packages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NpmTarball:
    """A tarball fetched with `npm pack`."""

    name: str
    version: str
    integrity: str
    path: Path


def download_npm(specs: Sequence[str], dest: Path) -> list[NpmTarball]:
    """Fetch registry tarballs with `npm pack` (cached with their metadata in `dest`)."""
    dest.mkdir(parents=True, exist_ok=True)
    meta = dest / "packed.json"
    known: dict[str, dict[str, str]] = json.loads(meta.read_text()) if meta.is_file() else {}
    missing = [s for s in specs if s not in known or not (dest / known[s]["filename"]).is_file()]
    if missing:
        output = _run(["npm", "pack", "--json", "--pack-destination", str(dest), *missing], cwd=dest)
        for spec, item in zip(missing, json.loads(output), strict=True):
            known[spec] = {k: item[k] for k in ("name", "version", "integrity", "filename")}
        meta.write_text(json.dumps(known, indent=1, sort_keys=True))
    return [
        NpmTarball(known[s]["name"], known[s]["version"], known[s]["integrity"], dest / known[s]["filename"])
        for s in specs
    ]


def npm_registry() -> str:
    """Return the registry npm is configured to use (no trailing slash)."""
    return _run(["npm", "config", "get", "registry"]).strip().rstrip("/")


def install_npm(tarball: NpmTarball, app: Path) -> dict[str, object]:
    """Unpack `tarball` into `app/node_modules/<name>`; return its package.json."""
    target = app / "node_modules" / tarball.name
    with tarfile.open(tarball.path) as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or len(parts) < 2 or ".." in parts or member.name.startswith("/"):
                continue
            extracted = tar.extractfile(member)
            data = extracted.read() if extracted is not None else b""
            _write(target.joinpath(*parts[1:]), data, executable=bool(member.mode & 0o100))
    manifest: dict[str, object] = json.loads((target / "package.json").read_text())
    return manifest


def write_npm_app(app: Path, tarballs: Sequence[NpmTarball], registry: str) -> None:
    """Install tarballs and write /app/package.json, package-lock.json (v3) and the hidden lock."""
    entries: dict[str, dict[str, object]] = {}
    for tarball in tarballs:
        manifest = install_npm(tarball, app)
        entry: dict[str, object] = {
            "version": tarball.version,
            "resolved": f"{registry}/{tarball.name}/-/{tarball.name.split('/')[-1]}-{tarball.version}.tgz",
            "integrity": tarball.integrity,
        }
        if isinstance(manifest.get("license"), str):
            entry["license"] = manifest["license"]
        entries[f"node_modules/{tarball.name}"] = entry
    dependencies = {t.name: t.version for t in tarballs}
    package = {"name": "example-app", "version": "1.0.0", "private": True, "dependencies": dependencies}
    root_entry = {"name": "example-app", "version": "1.0.0", "dependencies": dependencies}
    lock = {
        "name": "example-app",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": root_entry, **entries},
    }
    hidden = {
        "name": "example-app",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": entries,
    }
    (app / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    (app / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n")
    (app / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden, indent=2) + "\n")


# --- assembling ------------------------------------------------------------------------------


def _os_layers(cache: Path, staging: Path) -> tuple[list[LayerBlob], list[DebInfo]]:
    debs = download_debs([*BASE_DEBS, *EXTRA_DEBS], cache / "debs")
    scratch = staging / "control"
    base_root, extra_root = staging / "os-base", staging / "os-extra"
    infos = [
        unpack_deb(deb, base_root if _deb_name(deb) in BASE_DEBS else extra_root, scratch) for deb in debs
    ]
    base = [i for i in infos if i.name in BASE_DEBS]
    extra = [i for i in infos if i.name not in BASE_DEBS]
    write_dpkg_database(base_root, base, base)
    write_dpkg_database(extra_root, extra, infos)
    layers = [
        layer_from_directory(base_root, staging / "layer-os-base.tar.gz", owner=(0, 0)),
        layer_from_directory(extra_root, staging / "layer-os-extra.tar.gz", owner=(0, 0)),
    ]
    return layers, infos


def _python_layer(cache: Path, staging: Path) -> LayerBlob:
    root = staging / "python"
    for wheel in download_wheels(WHEELS, cache / "wheels"):
        install_wheel(wheel, root)
    return layer_from_directory(root, staging / "layer-python.tar.gz", owner=(0, 0))


def _npm_layer(cache: Path, staging: Path) -> LayerBlob:
    root = staging / "npm"
    tarballs = download_npm(NPM_PACKAGES, cache / "npm")
    write_npm_app(root / APP_DIR, tarballs, npm_registry())
    return layer_from_directory(
        root, staging / "layer-npm.tar.gz", owner=(0, 0), compression=Compression.GZIP
    )


EXAMPLE_SPEC = ImageSpec(
    cmd=("/usr/bin/python3",),
    env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"),
    workdir="/app",
    labels={"org.opencontainers.image.title": "hullscan-example"},
    history=(
        HistoryItem("dpkg-deb -x " + " ".join(BASE_DEBS)),
        HistoryItem("dpkg-deb -x " + " ".join(EXTRA_DEBS)),
        HistoryItem("pip install " + " ".join(WHEELS)),
        HistoryItem("npm install " + " ".join(NPM_PACKAGES)),
    ),
)


def build_example_image(dest: Path, cache: Path) -> Path:
    """Build the README's example image as an OCI layout at `dest` (tag `latest`); return `dest`.

    Downloads (.deb, wheels, npm tarballs) are kept under `cache`. If `dest` already holds a
    finished layout it is returned as is; the layout is built beside it and renamed into place.
    """
    if (dest / "index.json").is_file():
        return dest
    cache.mkdir(parents=True, exist_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="example-", dir=cache) as tmp:
        staging = Path(tmp)
        os_layers, _ = _os_layers(cache, staging)
        layers = [*os_layers, _python_layer(cache, staging), _npm_layer(cache, staging)]
        layout = staging / "oci"
        write_oci_layout(layout, layers, EXAMPLE_SPEC, tag="latest")
        if (dest / "index.json").is_file():
            return dest
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(layout, dest)
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    """Build the example image: `python -m hullscan.build.example DIR` (layout at DIR/layout)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m hullscan.build.example DIR\n")
        return 2
    root = Path(args[0])
    try:
        layout = build_example_image(root / "layout", root / "downloads")
    except HullscanError as error:
        sys.stderr.write(f"error: {error.diagnostics()}\n")
        return 2
    sys.stdout.write(f"example image: oci:{layout}:latest\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
