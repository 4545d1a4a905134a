"""Debian package indexes: `Packages` (versions, sources, dependencies), `Contents` (sonames), dh-python.

Indexes are real files: the machine's apt lists
(`/var/lib/apt/lists/*_dists_<suite>_main_binary-<arch>_Packages*`) when they are for the wanted
suite, otherwise `Packages.xz` downloaded for that suite from the mirror the host's apt sources
name. Each is reduced to a compact JSON index in the cache. `Contents-<arch>.gz` is streamed and
only shared-library paths are kept (soname -> packages). PyPI names map to Debian packages through
dh-python's own `cpython3_fallback` table (read from the host, or from `apt-get download dh-python`).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import lzma
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.analyze.unbundle.classify import normalized
from hullscan.analyze.unbundle.errors import PackageIndexError, UnsupportedDistroError
from hullscan.match.db import debian_codename
from hullscan.match.versioning import scheme_for_ecosystem

APT_LISTS = Path("/var/lib/apt/lists")
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
HOST_FALLBACK = Path("/usr/share/dh-python/dist/cpython3_fallback")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_KEPT_FIELDS = ("package", "version", "source", "depends", "pre-depends", "provides", "architecture")
_SHARED_LIBRARY = re.compile(r"^(?:usr/)?lib\S*/(lib[^/\s]+\.so(?:\.\d+)*)\s+(\S+)$")
_DOWNLOAD_TTL_S = 24 * 3600
_DPKG = scheme_for_ecosystem("Debian")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One binary package stanza, reduced to what planning needs."""

    package: str
    version: str
    source: str
    source_version: str
    depends: str
    provides: tuple[str, ...]
    suite: str


def upstream_version(version: str) -> str:
    """Return the upstream part of a Debian version: `1:2.9.14+dfsg-1.3~deb12u1` -> `2.9.14`."""
    no_epoch = version.split(":", 1)[1] if re.match(r"^\d+:", version) else version
    upstream = no_epoch.rsplit("-", 1)[0] if "-" in no_epoch else no_epoch
    return re.split(r"[+~]", upstream, maxsplit=1)[0]


def release_suites(release: str) -> tuple[str, str, tuple[str, ...]]:
    """Return (version, codename, suites) for `12`/`bookworm`; raise for unknown releases."""
    codename = debian_codename(release)
    versions = {"bookworm": "12", "trixie": "13", "bullseye": "11", "forky": "14"}
    if codename not in versions:
        raise UnsupportedDistroError(f"unknown Debian release {release!r}")
    return versions[codename], codename, (codename, f"{codename}-updates", f"{codename}-security")


def host_mirrors() -> tuple[str, str]:
    """Return (main mirror, security mirror) URIs from the host's apt sources (deb.debian.org if none)."""
    texts: list[str] = []
    for path in APT_SOURCES:
        files = sorted(path.glob("*.sources")) + sorted(path.glob("*.list")) if path.is_dir() else [path]
        texts += [f.read_text(errors="replace") for f in files if f.is_file()]
    uris: list[str] = []
    for text in texts:
        for line in text.splitlines():
            found = re.match(r"\s*URIs:\s*(.+)", line) or re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)", line)
            if found:
                uris += [u.rstrip("/") for u in found.group(1).split() if u.startswith("http")]
    debian = [u for u in uris if re.search(r"/debian(-security)?$", u)]
    main = next((u for u in debian if not u.endswith("-security")), DEFAULT_MIRROR)
    security = next(
        (u for u in debian if u.endswith("-security")), re.sub(r"/debian$", "/debian-security", main)
    )
    return main, security


class DebianIndex:
    """The binary packages of one release across its suites (newest version wins)."""

    def __init__(self, entries: Sequence[IndexEntry], sources: Sequence[str]) -> None:
        self.sources = tuple(sources)
        self._by_name: dict[str, IndexEntry] = {}
        self._providers: dict[str, list[str]] = {}
        self._by_source: dict[str, list[str]] = {}
        for entry in entries:
            known = self._by_name.get(entry.package)
            if known is None or _DPKG.compare(entry.version, known.version) > 0:
                self._by_name[entry.package] = entry
        for entry in self._by_name.values():
            for virtual in entry.provides:
                self._providers.setdefault(virtual, []).append(entry.package)
            self._by_source.setdefault(entry.source, []).append(entry.package)

    def get(self, name: str) -> IndexEntry | None:
        """Return the candidate for a binary package name (newest across suites)."""
        return self._by_name.get(name)

    def providers(self, virtual: str) -> list[str]:
        """Return packages that `Provides:` a virtual name."""
        return sorted(self._providers.get(virtual, ()))

    def built_from(self, source: str) -> list[str]:
        """Return binary package names built from a source package."""
        return sorted(self._by_source.get(source, ()))

    def __len__(self) -> int:
        return len(self._by_name)


def load_index(cache_dir: Path, release: str, arch: str = "amd64") -> DebianIndex:
    """Return the release's index (main component, every suite that exists)."""
    _, _, suites = release_suites(release)
    main_mirror, security_mirror = host_mirrors()
    entries: list[IndexEntry] = []
    sources: list[str] = []
    for suite in suites:
        mirror = security_mirror if suite.endswith("-security") else main_mirror
        found = _suite_entries(cache_dir, suite, arch, mirror)
        if found is None:
            continue
        origin, suite_entries = found
        entries += suite_entries
        sources.append(origin)
    if not entries:
        raise PackageIndexError(f"no package index found or downloadable for Debian {release} ({arch})")
    return DebianIndex(entries, sources)


def _suite_entries(
    cache_dir: Path, suite: str, arch: str, mirror: str
) -> tuple[str, list[IndexEntry]] | None:
    local = _host_list(suite, arch)
    cache = cache_dir / "unbundle" / "debian"
    if local is not None:
        stat = local.stat()
        stamp = f"{local.name}:{stat.st_size}:{int(stat.st_mtime)}"
        cached = _read_cached(cache / f"{suite}-{arch}-Packages.json", stamp)
        if cached is None:
            cached = _parse_packages(_decompress_path(local), suite)
            _write_cached(cache / f"{suite}-{arch}-Packages.json", stamp, cached)
        return str(local), cached
    url = f"{mirror}/dists/{suite}/main/binary-{arch}/Packages.xz"
    target = cache / f"{suite}-{arch}-Packages.json"
    cached = _read_cached(target, url, max_age=_DOWNLOAD_TTL_S)
    if cached is None:
        data = _download(url)
        if data is None:
            return None
        cached = _parse_packages(lzma.decompress(data).decode("utf-8", "replace"), suite)
        _write_cached(target, url, cached)
    return url, cached


def _host_list(suite: str, arch: str) -> Path | None:
    if not APT_LISTS.is_dir():
        return None
    for path in sorted(APT_LISTS.glob(f"*_dists_{suite}_main_binary-{arch}_Packages*")):
        if path.suffix in ("", ".lz4", ".xz", ".gz"):
            return path
    return None


def _decompress_path(path: Path) -> str:
    if path.suffix == ".xz":
        return lzma.decompress(path.read_bytes()).decode("utf-8", "replace")
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    if path.suffix == ".lz4":
        tool = shutil.which("lz4cat") or shutil.which("lz4")
        if tool is None:
            raise PackageIndexError(
                f"{path} is lz4-compressed and no lz4 tool is installed",
                hint="Install the `lz4` package (apt-get install lz4).",
            )
        argv = [tool, "-dc", str(path)] if tool.endswith("lz4") else [tool, str(path)]
        result = subprocess.run(argv, capture_output=True, check=False)
        if result.returncode != 0:
            raise PackageIndexError(f"cannot decompress {path}: {result.stderr[-300:]!r}")
        return result.stdout.decode("utf-8", "replace")
    return path.read_text(encoding="utf-8", errors="replace")


def _parse_packages(text: str, suite: str) -> list[IndexEntry]:
    entries = []
    for fields in _stanzas(text):
        name, version = fields.get("package"), fields.get("version")
        if not name or not version:
            continue
        source_field = fields.get("source") or name
        source, _, rest = source_field.partition("(")
        source_version = rest.rstrip(")").strip() or version
        depends = ", ".join(v for v in (fields.get("pre-depends"), fields.get("depends")) if v)
        provides = tuple(
            p.split("(")[0].strip() for p in (fields.get("provides") or "").split(",") if p.strip()
        )
        entries.append(IndexEntry(name, version, source.strip(), source_version, depends, provides, suite))
    return entries


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    current: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line:
            if current:
                yield current
            current, last = {}, ""
        elif line[0] in " \t":
            if last in current:
                current[last] += " " + line.strip()
        else:
            key, _, value = line.partition(":")
            last = key.lower()
            if last in _KEPT_FIELDS:
                current[last] = value.strip()
    if current:
        yield current


def _read_cached(path: Path, stamp: str, max_age: float | None = None) -> list[IndexEntry] | None:
    try:
        if max_age is not None and time.time() - path.stat().st_mtime > max_age:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("stamp") != stamp:
        return None
    return [
        IndexEntry(row[0], row[1], row[2], row[3], row[4], tuple(row[5]), row[6]) for row in data["entries"]
    ]


def _write_cached(path: Path, stamp: str, entries: Sequence[IndexEntry]) -> None:
    rows = [
        [e.package, e.version, e.source, e.source_version, e.depends, list(e.provides), e.suite]
        for e in entries
    ]
    _atomic_write(path, json.dumps({"stamp": stamp, "entries": rows}).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    Path(handle.name).replace(path)


def _download(url: str, timeout: float = 120.0) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) mirror URL
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise PackageIndexError(f"cannot download {url}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise PackageIndexError(f"cannot download {url}: {error}") from error


# ----- Contents: soname -> packages --------------------------------------------------------------


def soname_index(cache_dir: Path, release: str, arch: str = "amd64") -> dict[str, list[str]]:
    """Return library file name -> binary packages shipping it, from the main suite's Contents file."""
    _, codename, _ = release_suites(release)
    main_mirror, _ = host_mirrors()
    url = f"{main_mirror}/dists/{codename}/main/Contents-{arch}.gz"
    target = cache_dir / "unbundle" / "debian" / f"{codename}-{arch}-sonames.json"
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        if data.get("url") == url:
            return {k: list(v) for k, v in data["sonames"].items()}
    except (OSError, ValueError):
        pass
    sonames = _stream_contents(url)
    _atomic_write(target, json.dumps({"url": url, "sonames": sonames}).encode())
    return sonames


def _stream_contents(url: str) -> dict[str, list[str]]:
    sonames: dict[str, list[str]] = {}
    try:
        with (
            urllib.request.urlopen(url, timeout=120) as response,  # noqa: S310 - http(s) mirror URL
            gzip.GzipFile(fileobj=response) as unzipped,
        ):
            for raw in io.TextIOWrapper(unzipped, encoding="utf-8", errors="replace"):
                found = _SHARED_LIBRARY.match(raw.rstrip("\n"))
                if found:
                    packages = [p.rsplit("/", 1)[-1] for p in found.group(2).split(",")]
                    sonames.setdefault(found.group(1), []).extend(packages)
    except (urllib.error.URLError, OSError, EOFError) as error:
        raise PackageIndexError(f"cannot read {url}: {error}") from error
    return {k: sorted(set(v)) for k, v in sonames.items()}


# ----- dh-python: PyPI distribution -> Debian binary package -------------------------------------


def pypi_mapping(cache_dir: Path) -> dict[str, str]:
    """Return normalized PyPI name -> Debian python3 package, from dh-python's cpython3_fallback."""
    return dict(_pypi_mapping(str(cache_dir)))


@functools.cache
def _pypi_mapping(cache_dir: str) -> tuple[tuple[str, str], ...]:
    path = HOST_FALLBACK if HOST_FALLBACK.is_file() else _fetched_fallback(Path(cache_dir))
    mapping: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#"):
            mapping.setdefault(normalized(parts[0]), parts[1])
    return tuple(mapping.items())


def _fetched_fallback(cache_dir: Path) -> Path:
    target = cache_dir / "unbundle" / "dh-python" / "cpython3_fallback"
    if target.is_file():
        return target
    apt_get, dpkg_deb = shutil.which("apt-get"), shutil.which("dpkg-deb")
    if apt_get is None or dpkg_deb is None:
        raise PackageIndexError(
            "dh-python's PyPI name table is not installed and apt-get is missing",
            hint="Install dh-python (apt-get install dh-python).",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        fetched = subprocess.run(
            [apt_get, "download", "dh-python"], cwd=work, capture_output=True, check=False
        )
        debs = sorted(Path(work).glob("dh-python_*.deb"))
        if fetched.returncode != 0 or not debs:
            raise PackageIndexError(f"apt-get download dh-python failed: {fetched.stderr[-300:]!r}")
        subprocess.run([dpkg_deb, "-x", str(debs[0]), f"{work}/x"], check=True, capture_output=True)
        shutil.copyfile(Path(work) / "x" / HOST_FALLBACK.relative_to("/"), target)
    return target
