"""Go binaries built by the real Go toolchain, inventoried through a layer stream and a rootfs.

Ground truth is `go version -m BINARY`. The program depends on modules served from a local
`file://` module proxy written by the test (no network), so the build info carries real h1:
sums, a module replacement, a directory replacement, VCS stamps and quoted build flags.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from hullscan.catalog.ecosystems.golang import GoBinaryCataloger, go_purl
from hullscan.catalog.ecosystems.golang_buildinfo import GoBuildInfoAnalyzer
from hullscan.catalog.runner import capture_policy, catalog_view
from hullscan.config import Limits, Scope
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.layer import index_layer_stream
from hullscan.fileview.layered import LayeredView
from hullscan.model.package import Package, PackageType, RelationshipKind

pytestmark = pytest.mark.slow

DIGEST = "sha256:" + "0" * 64


def _ensure_tool(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True)
    found = shutil.which(tool)
    assert found, f"{tool} still missing after installing {package}"
    return found


def _cache_dir() -> Path:
    root = Path(os.environ.get("HULLSCAN_TEST_CACHE", Path.home() / ".cache" / "hullscan-tests"))
    path = root / "go"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_proxy_module(proxy: Path, module: str, version: str, source: str) -> None:
    base = proxy / module / "@v"
    base.mkdir(parents=True, exist_ok=True)
    gomod = f"module {module}\n\ngo 1.17\n"
    package = module.rsplit("/", 1)[-1]
    (base / f"{version}.mod").write_text(gomod)
    (base / f"{version}.info").write_text(json.dumps({"Version": version, "Time": "2023-01-02T03:04:05Z"}))
    with (base / "list").open("a") as listing:
        listing.write(version + "\n")
    with zipfile.ZipFile(base / f"{version}.zip", "w") as archive:
        archive.writestr(f"{module}@{version}/go.mod", gomod)
        archive.writestr(f"{module}@{version}/{package}.go", f"package {package}\n\n{source}\n")


APP_GO_MOD = """module example.com/app

go 1.19

require (
\texample.com/greet v1.2.3
\texample.com/other v0.1.0
\texample.com/local v0.0.0
)

replace example.com/other v0.1.0 => example.com/fork v1.0.0

replace example.com/local => ./local
"""

APP_MAIN = """package main

import (
\t"fmt"

\t"example.com/greet"
\t"example.com/local"
\tother "example.com/other"
)

var stamp = "none"

func main() { fmt.Println(greet.Hello(), other.Name(), local.Where(), stamp) }
"""


def _build_app(work: Path) -> Path:
    go = _ensure_tool("go", "golang-go")
    _ensure_tool("git", "git")
    proxy = work / "proxy"
    _write_proxy_module(proxy, "example.com/greet", "v1.2.3", 'func Hello() string { return "hello" }')
    fork_source = 'func Name() string { return "fork" }'
    base = proxy / "example.com/fork/@v"
    _write_proxy_module(proxy, "example.com/fork", "v1.0.0", fork_source)
    # A fork keeps the module path it replaces, as forks usually do.
    gomod = "module example.com/other\n\ngo 1.17\n"
    (base / "v1.0.0.mod").write_text(gomod)
    with zipfile.ZipFile(base / "v1.0.0.zip", "w") as archive:
        archive.writestr("example.com/fork@v1.0.0/go.mod", gomod)
        archive.writestr("example.com/fork@v1.0.0/other.go", f"package other\n\n{fork_source}\n")
    app = work / "app"
    (app / "local").mkdir(parents=True)
    (app / "go.mod").write_text(APP_GO_MOD)
    (app / "main.go").write_text(APP_MAIN)
    (app / "local/go.mod").write_text("module example.com/local\n\ngo 1.17\n")
    (app / "local/local.go").write_text('package local\n\nfunc Where() string { return "here" }\n')
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "GOPROXY": f"file://{proxy}",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(work / "gopath"),
        "GOCACHE": str(_cache_dir() / "gocache"),
        "GOTOOLCHAIN": "local",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=app, env=env, check=True)
    binary = work / "app-bin"
    ldflags = "-X 'main.stamp=a b' -s"
    subprocess.run([go, "build", f"-ldflags={ldflags}", "-o", str(binary), "."], cwd=app, env=env, check=True)
    return binary


def go_version_m(binary: Path) -> dict[str, Any]:
    """Parse `go version -m` output: the ground truth."""
    go = _ensure_tool("go", "golang-go")
    out = subprocess.run(
        [go, "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    first, *rest = out.splitlines()
    truth: dict[str, Any] = {"go_version": first.split(": ", 1)[1], "main": None, "deps": [], "settings": {}}
    last: dict[str, Any] | None = None
    for line in rest:
        if not line.strip():
            continue
        word, *fields = line.removeprefix("\t").split("\t")
        if word == "path":
            truth["path"] = fields[0]
        elif word in ("mod", "dep"):
            last = {"path": fields[0], "version": fields[1], "sum": fields[2] if len(fields) > 2 else ""}
            if word == "mod":
                truth["main"] = last
            else:
                truth["deps"].append(last)
        elif word == "=>":
            assert last is not None
            last["replace"] = {"path": fields[0], "version": fields[1], "sum": fields[2]}
        elif word == "build":
            key, _, value = "\t".join(fields).partition("=")
            truth["settings"][key] = value.strip('"')
    return truth


def _is_directory(path: str) -> bool:
    return path.startswith(("./", "../", "/"))


def expected_packages(truth: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(name, version, h1 sum) the inventory must hold, replacements applied as documented."""
    out = {("stdlib", truth["go_version"].split()[0], "")}
    modules = ([truth["main"]] if truth["main"] else []) + truth["deps"]
    for module in modules:
        replace = module.get("replace")
        if replace and not _is_directory(replace["path"]):
            out.add((replace["path"], replace["version"], replace["sum"]))
        elif replace:
            out.add((module["path"], "(devel)", ""))
        else:
            out.add((module["path"], module["version"], module["sum"]))
    return out


def _strip_section_headers(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    assert data[4] == 2, "64-bit ELF expected"
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
    struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    target.write_bytes(bytes(data))


def _damage_buildinfo(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    index = data.find(b"\xff Go buildinf:")
    assert index > 0
    data[index + 32 : index + 42] = b"\xff" * 10  # the version's varint length becomes garbage
    target.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("gobuild")
    binary = _build_app(work)
    root = work / "rootfs"
    (root / "usr/local/bin").mkdir(parents=True)
    (root / "usr/bin").mkdir(parents=True)
    shutil.copy(binary, root / "usr/local/bin/app")
    shutil.copy(binary, root / "usr/local/bin/app-stripped")
    subprocess.run([_ensure_tool("strip", "binutils"), str(root / "usr/local/bin/app-stripped")], check=True)
    _strip_section_headers(binary, root / "usr/local/bin/app-noshdr")
    _damage_buildinfo(binary, root / "usr/local/bin/app-damaged")
    go_tool = Path(os.path.realpath(_ensure_tool("go", "golang-go")))
    shutil.copy(go_tool, root / "usr/bin/go")
    shutil.copy("/bin/true", root / "usr/bin/true")
    (root / "usr/bin/not-elf").write_bytes(b"\x7fELF" + b"\x00" * 60)
    return root


def _packages_by_binary(packages: list[Package]) -> dict[str, list[Package]]:
    out: dict[str, list[Package]] = {}
    for package in packages:
        out.setdefault(package.locations[0].path, []).append(package)
    return out


def _tar_of(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(root, arcname=".")
    return buffer.getvalue()


def _check_binary(found: list[Package], truth: dict[str, Any]) -> None:
    got = {(p.name, p.version, p.metadata["h1_digest"]) for p in found}
    assert got == expected_packages(truth)
    for package in found:
        assert package.type is PackageType.GO
        assert package.metadata["go_version"] == truth["go_version"]
        if package.name == "stdlib":
            assert package.purl == f"pkg:golang/stdlib@{truth['go_version'].split()[0].removeprefix('go')}"
        else:
            assert package.purl == go_purl(package.name, package.version)
    mains = [p for p in found if p.metadata["main_module"]]
    if truth["main"]:
        assert len(mains) == 1
        assert mains[0].metadata["build_settings"] == truth["settings"]


@pytest.mark.parametrize("how", ["layer-stream", "directory"])
def test_go_binaries_match_go_version_m(rootfs: Path, how: str) -> None:
    catalogers = [GoBinaryCataloger()]
    policy = capture_policy(catalogers, [GoBuildInfoAnalyzer()])
    if how == "directory":
        view: Any = DirectoryView(rootfs, DIGEST, policy, Limits())
    else:
        index = index_layer_stream(
            io.BytesIO(_tar_of(rootfs)), digest=DIGEST, index=0, policy=policy, limits=Limits()
        )
        view = LayeredView([index])
    output = catalog_view(view, catalogers, None, Scope.SQUASHED)
    by_binary = _packages_by_binary(output.packages)

    truth = go_version_m(rootfs / "usr/local/bin/app")
    assert truth["main"]["version"] == "(devel)"
    assert any(d.get("replace") and not _is_directory(d["replace"]["path"]) for d in truth["deps"])
    assert any(d.get("replace") and _is_directory(d["replace"]["path"]) for d in truth["deps"])
    assert truth["settings"]["vcs"] == "git"
    for name in ("app", "app-stripped", "app-noshdr"):
        _check_binary(by_binary[f"/usr/local/bin/{name}"], truth)
    _check_binary(by_binary["/usr/bin/go"], go_version_m(rootfs / "usr/bin/go"))

    assert "/usr/local/bin/app-damaged" not in by_binary
    assert "/usr/bin/true" not in by_binary
    assert [u.coordinates.path for u in output.unknowns] == ["/usr/local/bin/app-damaged"]

    app = by_binary["/usr/local/bin/app"]
    main = next(p for p in app if p.metadata["main_module"])
    edges = {
        (r.source_id, r.target_id) for r in output.relationships if r.kind is RelationshipKind.DEPENDS_ON
    }
    assert edges >= {(main.id, p.id) for p in app if p is not main}
    assert main.metadata["build_settings"]["-ldflags"] == "-X 'main.stamp=a b' -s"
    assert len(main.metadata["build_settings"]["vcs.revision"]) == 40
