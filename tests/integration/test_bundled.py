"""Real wheels, npm tarballs and Debian libraries through the ELF analyzer and elf-bundled cataloger.

Ground truth is independent of hullscan: each library's own version function called through
ctypes in a subprocess, the wheel's Python API in a venv, npm's versions.json, and dpkg-query.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hullscan.catalog.bundled.cataloger import BundledComponentCataloger
from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.catalog.bundled.signatures import SIGNATURES
from hullscan.catalog.runner import capture_policy, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.model.package import Package

PLATFORM = "manylinux2014_x86_64"
WHEELS = ("cryptography==38.0.4", "Pillow==9.3.0", "psycopg2-binary==2.9.5", "lxml==4.9.2", "numpy==1.24.1")
NPM = ("@img/sharp-libvips-linux-x64@1.0.0", "@img/sharp-linux-x64@0.33.0")
PROBE = Path(__file__).parents[1] / "fixtures" / "bundled" / "probe_versions.py"
DIGEST = "sha256:" + "0" * 64
LIBDIR = "/usr/lib/x86_64-linux-gnu"

pytestmark = pytest.mark.skipif(
    os.uname().machine != "x86_64", reason="the real corpus is x86-64 wheels and x86-64 code probes"
)

# Which file is which upstream component, and how to ask it its version: the test's own knowledge.
WHEEL_LIBS = (
    # (file-name regex, component, probe or None when the library has no version function)
    (r"libbrotlicommon", "brotli", None),
    (r"libbrotlidec", "brotli", "brotlidec"),
    (r"libfreetype", "freetype", "freetype"),
    (r"libharfbuzz", "harfbuzz", "harfbuzz"),
    (r"libjpeg", "libjpeg-turbo", "pillow:libjpeg_turbo"),
    (r"liblcms2", "lcms2", "lcms2"),
    (r"liblzma", "xz", "xz"),
    (r"libopenjp2", "openjpeg", "openjpeg"),
    (r"libpng16", "libpng", "libpng"),
    (r"libtiff", "libtiff", "libtiff"),
    (r"libwebp-", "libwebp", "webp"),
    (r"libwebpdemux", "libwebp", "webpdemux"),
    (r"libwebpmux", "libwebp", "webpmux"),
    (r"libcrypto", "openssl", "openssl"),
    (r"libssl", "openssl", "openssl"),
    (r"libkrb5-", "krb5", None),
    (r"libk5crypto", "krb5", None),
    (r"libgssapi_krb5", "krb5", None),
    (r"libkrb5support", "krb5", None),
    (r"libpcre-", "pcre", "pcre"),
    (r"libpq", "libpq", "libpq"),
    (r"libopenblas", "openblas", "openblas"),
    (r"libgfortran", "libgfortran", None),
    (r"_openssl\.abi3", "openssl", "venv:openssl"),
    (r"lxml/etree\.", "libxml2", "venv:libxml2"),
    (r"lxml/etree\.", "libxslt", "venv:libxslt"),
    (r"lxml/etree\.", "zlib", None),
    (r"lxml/objectify\.", "libxml2", "venv:libxml2"),
    (r"lxml/objectify\.", "zlib", None),
)

# Debian binary package -> (library file, component); the version is dpkg's, mapped to upstream.
DEBIAN_LIBS = (
    ("libssl3", "libssl.so.3", "openssl"),
    ("libssl3", "libcrypto.so.3", "openssl"),
    ("zlib1g", "libz.so.1", "zlib"),
    ("libpng16-16", "libpng16.so.16", "libpng"),
    ("libjpeg62-turbo", "libjpeg.so.62", "libjpeg-turbo"),
    ("libxml2", "libxml2.so.2", "libxml2"),
    ("libxslt1.1", "libxslt.so.1", "libxslt"),
    ("libsqlite3-0", "libsqlite3.so.0", "sqlite"),
    ("libcurl4", "libcurl.so.4", "curl"),
    ("libexpat1", "libexpat.so.1", "expat"),
    ("libfreetype6", "libfreetype.so.6", "freetype"),
    ("libharfbuzz0b", "libharfbuzz.so.0", "harfbuzz"),
    ("libwebp7", "libwebp.so.7", "libwebp"),
    ("libtiff6", "libtiff.so.6", "libtiff"),
    ("liblcms2-2", "liblcms2.so.2", "lcms2"),
    ("libbrotli1", "libbrotlicommon.so.1", "brotli"),
    ("libbrotli1", "libbrotlidec.so.1", "brotli"),
    ("libffi8", "libffi.so.8", "libffi"),
    ("libpcre2-8-0", "libpcre2-8.so.0", "pcre2"),
    ("libpq5", "libpq.so.5", "libpq"),
    ("libkrb5-3", "libkrb5.so.3", "krb5"),
    ("libzstd1", "libzstd.so.1", "zstd"),
    ("liblz4-1", "liblz4.so.1", "lz4"),
    ("liblzma5", "liblzma.so.5", "xz"),
    ("libyaml-0-2", "libyaml-0.so.2", "libyaml"),
    ("libssh2-1", "libssh2.so.1", "libssh2"),
    ("libnghttp2-14", "libnghttp2.so.14", "nghttp2"),
    ("libuv1", "libuv.so.1", "libuv"),
)


@dataclass(frozen=True)
class Truth:
    path: str
    component: str
    version: str | None


def _cache() -> Path:
    root = Path(os.environ.get("HULLSCAN_TEST_CACHE", Path.home() / ".cache" / "hullscan-tests"))
    path = root / "bundled"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(*args: str, cwd: Path | None = None, stdin: str | None = None, env: dict | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, input=stdin, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"
    return done.stdout


def _ensure_tool(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        _run("apt-get", "install", "-y", package)


@pytest.fixture(scope="session")
def wheels_root() -> Path:
    cache = _cache()
    wheels, root = cache / "wheels", cache / "unpacked"
    wheels.mkdir(exist_ok=True)
    if len(list(wheels.glob("*.whl"))) < len(WHEELS):
        _run(
            sys.executable,
            "-m",
            "pip",
            "download",
            "--only-binary=:all:",
            "--no-deps",
            "--python-version",
            "3.11",
            "--platform",
            PLATFORM,
            "-d",
            str(wheels),
            *WHEELS,
        )
    for wheel in sorted(wheels.glob("*.whl")):
        target = root / wheel.name.removesuffix(".whl")
        if not target.exists():
            partial = target.parent / (target.name + ".partial")
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(partial)  # noqa: S202 - zipfile strips absolute and ".." parts
            partial.rename(target)
    return root


@pytest.fixture(scope="session")
def npm_root() -> Path:
    _ensure_tool("npm", "npm")
    npm = _cache() / "npm"
    npm.mkdir(exist_ok=True)
    if len(list(npm.glob("*.tgz"))) < len(NPM):
        _run("npm", "pack", *NPM, cwd=npm)
    root = npm / "unpacked"
    for tarball in sorted(npm.glob("*.tgz")):
        target = root / tarball.name.removesuffix(".tgz")
        if not target.exists():
            with tarfile.open(tarball) as archive:
                archive.extractall(target, filter="data")
    return root


@pytest.fixture(scope="session")
def venv_python(wheels_root: Path) -> Path:
    """A venv with the downloaded cryptography, lxml and Pillow wheels installed (cffi from PyPI)."""
    venv = _cache() / "venv"
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        _run(sys.executable, "-m", "venv", str(venv))
        wheels = sorted(
            str(w)
            for w in (_cache() / "wheels").glob("*.whl")
            if w.name.startswith(("cryptography", "lxml", "Pillow"))
        )
        _run(str(python), "-m", "pip", "install", "-q", "--no-deps", *wheels)
        _run(str(python), "-m", "pip", "install", "-q", "cffi")
        (venv / ".complete").touch()
    return python


def _venv_truth(python: Path) -> dict[str, str]:
    script = (
        "import json, lxml.etree as e, PIL.features as f\n"
        "from cryptography.hazmat.backends.openssl.backend import backend\n"
        "print(json.dumps({'openssl': backend.openssl_version_text().split()[1],"
        " 'libxml2': '.'.join(map(str, e.LIBXML_VERSION)), 'libxslt': '.'.join(map(str, e.LIBXSLT_VERSION)),"
        " 'libjpeg_turbo': f.version('libjpeg_turbo')}))"
    )
    return json.loads(_run(str(python), "-c", script))


def _probe(paths: list[tuple[str, str]]) -> dict[str, str | None]:
    """Call version functions in a subprocess per library directory."""
    out: dict[str, str | None] = {}
    by_dir: dict[str, list[dict[str, str]]] = {}
    for path, probe in paths:
        by_dir.setdefault(str(Path(path).parent), []).append({"path": path, "probe": probe})
    for directory, items in by_dir.items():
        env = {**os.environ, "LD_LIBRARY_PATH": directory}
        out.update(json.loads(_run(sys.executable, str(PROBE), stdin=json.dumps(items), env=env)))
    return out


def _elf_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def _catalog(root: Path) -> list[Package]:
    cataloger = BundledComponentCataloger()
    view = DirectoryView(root, DIGEST, capture_policy([cataloger], [ElfAnalyzer()]), Limits())
    return catalog_once(view, [cataloger], None).packages


@pytest.fixture(scope="session")
def wheel_truth(wheels_root: Path, venv_python: Path) -> list[Truth]:
    venv = _venv_truth(venv_python)
    rows: list[tuple[str, str, str | None]] = []
    for elf in _elf_files(wheels_root):
        relative = "/" + str(elf.relative_to(wheels_root))
        rows.extend(
            (relative, component, probe) for rx, component, probe in WHEEL_LIBS if re.search(rx, relative)
        )
    direct = [(str(wheels_root) + path, probe) for path, _, probe in rows if probe and ":" not in probe]
    probed = _probe(direct)
    truths = []
    for path, component, probe in rows:
        if probe is None:
            version = None
        elif probe.startswith("venv:"):
            version = venv[probe[5:]]
        elif probe.startswith("pillow:"):
            version = venv[probe[7:]]
        else:
            version = probed[str(wheels_root) + path]
            assert version, path
            assert not version.startswith("error"), (path, version)
        truths.append(Truth(path, component, version))
    return truths


def _debian_upstream(version: str) -> str:
    upstream = version.split(":", 1)[-1].rsplit("-", 1)[0]
    return re.split(r"[+~]|\.dfsg", upstream)[0]


def _dpkg(package: str) -> str:
    status = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True, check=False
    )
    if status.returncode != 0 or not status.stdout:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        _run("apt-get", "install", "-y", package)
        status = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True, check=True
        )
    return status.stdout


@pytest.fixture(scope="session")
def debian_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Truth]]:
    """Copy Debian's libraries (real files, under their real names) into a small rootfs."""
    _ensure_tool("dpkg-query", "dpkg")
    root = tmp_path_factory.mktemp("debian-rootfs")
    libdir = root / LIBDIR.lstrip("/")
    libdir.mkdir(parents=True)
    truths = []
    for package, library, component in DEBIAN_LIBS:
        version = _debian_upstream(_dpkg(package))
        real = Path(os.path.realpath(f"{LIBDIR}/{library}"))
        shutil.copyfile(real, libdir / real.name)
        truths.append(Truth(f"{LIBDIR}/{real.name}", component, version))
    return root, truths


@dataclass
class Score:
    total: int = 0
    identified: int = 0
    right: int = 0
    wrong: list[str] | None = None
    unknown: list[str] | None = None

    def add(self, truth: Truth, found: Package | None) -> None:
        self.wrong = self.wrong or []
        self.unknown = self.unknown or []
        if found is None:
            self.unknown.append(f"{truth.component} not identified in {truth.path}")
            self.total += truth.version is not None
            return
        self.identified += 1
        if truth.version is None:
            return
        self.total += 1
        got = found.metadata["version"]
        if got == truth.version:
            self.right += 1
        elif got is None:
            self.unknown.append(f"{truth.component} {truth.version}: version unknown in {truth.path}")
        else:
            self.wrong.append(f"{truth.component}: got {got}, truth {truth.version} in {truth.path}")


def _score(packages: list[Package], truths: list[Truth]) -> Score:
    by_key = {(p.locations[0].path, p.name): p for p in packages}
    score = Score()
    for truth in truths:
        score.add(truth, by_key.get((truth.path, truth.component)))
    return score


def _report(label: str, score: Score, count: int) -> None:
    rate = score.right / score.total if score.total else 0.0
    print(
        f"\n{label}: {count} component copies with truth, {score.identified} identified; "
        f"{score.right}/{score.total} right version ({rate:.1%}), {len(score.wrong or [])} wrong"
    )
    for line in (score.wrong or []) + (score.unknown or []):
        print("  ", line)


def test_real_corpus_identification_rate(
    wheels_root: Path, wheel_truth: list[Truth], npm_root: Path, debian_root: tuple[Path, list[Truth]]
) -> None:
    total = Score(wrong=[], unknown=[])
    wheel_packages = _catalog(wheels_root)
    debian_dir, debian_truth = debian_root
    debian_packages = _catalog(debian_dir)
    npm_packages = _catalog(npm_root)
    versions = json.loads(next(npm_root.glob("*libvips*/package/versions.json")).read_text())
    libvips = next(str(p) for p in npm_root.rglob("libvips-cpp.so.*"))
    npm_truth = [Truth("/" + str(Path(libvips).relative_to(npm_root)), "libvips", versions["vips"])]
    for packages, truths in (
        (wheel_packages, wheel_truth),
        (debian_packages, debian_truth),
        (npm_packages, npm_truth),
    ):
        for truth in truths:
            total.add(
                truth, {(p.locations[0].path, p.name): p for p in packages}.get((truth.path, truth.component))
            )
    _report("wheels + Debian + npm", total, len(wheel_truth) + len(debian_truth) + len(npm_truth))
    assert total.wrong == []
    assert total.right / total.total >= 0.95
    assert total.identified >= 0.95 * (len(wheel_truth) + len(debian_truth) + len(npm_truth))


def test_npm_libvips_static_copies_match_versions_json(npm_root: Path) -> None:
    """Every component found inside libvips-cpp carries the version sharp's build manifest lists."""
    versions = json.loads(next(npm_root.glob("*libvips*/package/versions.json")).read_text())
    names = {
        "libvips": "vips",
        "mozjpeg": "mozjpeg",
        "libpng": "png",
        "libwebp": "webp",
        "libtiff": "tiff",
        "expat": "expat",
        "lcms2": "lcms",
        "freetype": "freetype",
        "harfbuzz": "harfbuzz",
        "libxml2": "xml",
    }
    found = [p for p in _catalog(npm_root) if "libvips-cpp" in p.locations[0].path]
    assert {p.name for p in found} >= {"libvips", "mozjpeg"}
    for package in found:
        if package.metadata["version"] is not None:
            assert package.metadata["version"] == versions[names[package.name]], package.name


def test_every_signature_is_covered_by_a_real_file(
    wheels_root: Path, wheel_truth: list[Truth], npm_root: Path, debian_root: tuple[Path, list[Truth]]
) -> None:
    found = {p.name for root in (wheels_root, npm_root, debian_root[0]) for p in _catalog(root)}
    missing = sorted({s.name for s in SIGNATURES} - found)
    assert missing == [], f"signatures never seen on a real library: {missing}"


def test_static_openssl_in_cryptography_is_static(wheels_root: Path, wheel_truth: list[Truth]) -> None:
    truth = next(t for t in wheel_truth if "_openssl.abi3" in t.path)
    package = next(
        p for p in _catalog(wheels_root) if p.locations[0].path == truth.path and p.name == "openssl"
    )
    assert package.metadata["linkage"] == "static"
    assert package.metadata["version"] == truth.version
    assert package.purl == f"pkg:generic/openssl@{truth.version}"


def test_png_does_not_claim_zlib_it_merely_mentions(wheels_root: Path) -> None:
    """libpng and libtiff hold zlib's version macro as text; zlib is not bundled in them."""
    for package in _catalog(wheels_root):
        path = package.locations[0].path
        if re.search(r"lib(png16|tiff|freetype)-", path):
            assert package.name != "zlib", path


def test_every_elf_in_the_corpus_gives_a_summary_without_error(wheels_root: Path, npm_root: Path) -> None:
    analyzer = ElfAnalyzer()
    count = 0
    for root in (wheels_root, npm_root):
        for elf in _elf_files(root):
            size = elf.stat().st_size
            with elf.open("rb") as handle:
                assert analyzer.wants(str(elf), handle.read(64), size)
                handle.seek(0)
                summary = analyzer.analyze(str(elf), handle, size)
            json.dumps(summary)
            assert "error" not in summary, (elf, summary.get("error"))
            count += 1
    assert count >= 60


@pytest.fixture(scope="session")
def sharpyuv_libs() -> Path:
    """Pillow 10.0.0's `Pillow.libs` (libwebp 1.3.1 split into libwebp + libsharpyuv 0.2.1)."""
    cache = _cache() / "pillow-10"
    cache.mkdir(exist_ok=True)
    if not list(cache.glob("*.whl")):
        _run(
            sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps",
            "--python-version", "3.11", "--platform", PLATFORM, "-d", str(cache), "Pillow==10.0.0",
        )  # fmt: skip
    target = cache / "unpacked"
    if not target.exists():
        partial = cache / "unpacked.partial"
        with zipfile.ZipFile(next(cache.glob("*.whl"))) as archive:
            libs = [n for n in archive.namelist() if n.startswith("Pillow.libs/lib")]
            archive.extractall(partial, members=libs)  # noqa: S202 - zipfile strips absolute and ".." parts
        partial.rename(target)
    return target


def test_sharpyuv_own_version_is_not_taken_for_libwebps(sharpyuv_libs: Path) -> None:
    """SharpYuvGetVersion is libsharpyuv's own API version (0.2.1), packed major<<24: not libwebp's."""
    libwebp = next(sharpyuv_libs.rglob("libwebp-*.so*"))
    truth = _probe([(str(libwebp), "webp")])[str(libwebp)]
    assert truth is not None
    assert re.fullmatch(r"\d+\.\d+\.\d+", truth), truth
    found = {Path(p.locations[0].path).name.split("-")[0]: p for p in _catalog(sharpyuv_libs)}
    assert found["libwebp"].metadata["version"] == truth
    assert found["libsharpyuv"].name == "libwebp"
    assert found["libsharpyuv"].metadata["version"] in (None, truth)
