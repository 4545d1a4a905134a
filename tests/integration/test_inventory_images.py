"""The whole inventory (`api.inventory`) on real multi-layer images, checked against the package managers.

Images (cached under $HULLSCAN_TEST_CACHE, see tests/images/): Debian 12 + python3 + a pip-built
virtualenv + Debian's python3-yaml + a layer that purges a deb and deletes a dist-info
(`removal_image`); Debian + Debian's nodejs/npm + an `npm ci` app (`node_npm_image`); Debian +
Debian's Go binaries fzf/direnv + a module-built Go binary (`go_binaries_image`); a single-layer
image with no OS package database (`scratch_image`).

Ground truth: `dpkg-query --admindir`, `importlib.metadata` run by the image's own interpreters in
a chroot (host Python with `path=[...]` for the scratch image), `npm ls --all --json`, and
`go version -m`. File ownership is recomputed here from the `.list` files and
`importlib.metadata`'s file lists, with directories resolved by the host's `realpath`.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from hullscan import api
from hullscan.catalog.ecosystems.python_metadata import normalize_name
from hullscan.config import ScanOptions, Scope
from hullscan.model.inventory import Inventory
from hullscan.model.ownership import OwnerClass
from hullscan.model.package import Package, PackageType, RelationshipKind
from hullscan.relate.ownership import OS_OWNER_KEY, owner_index, relate_ownership
from images.chroot import chroot_run
from images.debian import debian_rootfs
from images.go_image import GO_DEBS, HELLO_MODULE, GoImage, go_binaries_image
from images.node_image import NodeImage, node_npm_image
from images.python_image import VENV, python_venv_image
from images.scratch_image import DELETED_DIST, PURGED_DEB, BuiltImage, removal_image, scratch_image
from images.tools import ensure_tool

pytestmark = pytest.mark.slow

DIST_SCRIPT = r"""
import importlib.metadata as im, json, os, sys
path = sys.argv[2:] or sys.path
out = []
for dist in im.distributions(path=path):
    files = [os.path.normpath(str(dist.locate_file(f))) for f in (dist.files or [])]
    out.append({"name": dist.metadata["Name"], "version": dist.version,
                "where": os.path.normpath(str(getattr(dist, "_path", ""))), "files": files})
json.dump(out, open(sys.argv[1], "w"))
"""


# ground truth --------------------------------------------------------------------------------


def dpkg_installed(rootfs: Path) -> set[tuple[str, str]]:
    admindir = rootfs / "var" / "lib" / "dpkg"
    out = subprocess.run(
        ["dpkg-query", f"--admindir={admindir}", "-W", "-f", "${db:Status-Abbrev}|${Package}|${Version}\n"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return {tuple(line.split("|")[1:3]) for line in out.splitlines() if line.startswith("ii")}  # type: ignore[misc]


def dpkg_lists(rootfs: Path) -> dict[str, list[str]]:
    """Return package name → paths its `.list` file names (what `dpkg -S` answers from)."""
    lists: dict[str, list[str]] = {}
    for listing in (rootfs / "var/lib/dpkg/info").glob("*.list"):
        name = listing.name.removesuffix(".list").split(":", 1)[0]
        lists[name] = [line for line in listing.read_text().splitlines() if line and line != "/."]
    return lists


def image_python_dists(rootfs: Path, interpreters: Iterable[str]) -> list[dict[str, Any]]:
    """Run DIST_SCRIPT with each interpreter of the image (chroot): its own view of sys.path."""
    found: list[dict[str, Any]] = []
    for interpreter in interpreters:
        (rootfs / "tmp/dists.py").write_text(DIST_SCRIPT)
        try:
            chroot_run(rootfs, [interpreter, "/tmp/dists.py", "/tmp/dists.json"])
            found += json.loads((rootfs / "tmp/dists.json").read_text())
        finally:
            for name in ("dists.py", "dists.json"):
                (rootfs / "tmp" / name).unlink(missing_ok=True)
    unique = {(d["where"], d["name"], d["version"]): d for d in found}
    return list(unique.values())


def host_python_dists(rootfs: Path, site: str) -> list[dict[str, Any]]:
    """importlib.metadata of the host's Python pointed at one site directory of the image."""
    out = rootfs.parent / "dists.json"
    host_site = str(rootfs / site.lstrip("/"))
    subprocess.run(["python3", "-c", DIST_SCRIPT, str(out), host_site], check=True)
    dists = json.loads(out.read_text())
    out.unlink()
    prefix = str(rootfs)
    for dist in dists:
        dist["where"] = dist["where"].removeprefix(prefix)
        dist["files"] = [f.removeprefix(prefix) for f in dist["files"]]
    return dists  # type: ignore[no-any-return]


def npm_ls(app: Path) -> list[dict[str, Any]]:
    npm = ensure_tool("npm")
    done = subprocess.run(
        [npm, "ls", "--all", "--json", "--long"],
        cwd=app,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    nodes: list[dict[str, Any]] = []
    pending = list((json.loads(done.stdout).get("dependencies") or {}).values())
    while pending:
        node = pending.pop()
        if "path" in node:
            nodes.append(node)
        pending.extend((node.get("dependencies") or {}).values())
    return nodes


_GO_LINE = re.compile(r"^\t(mod|dep|=>)\t(\S+)\t(\S+)")


def go_version_m(rootfs: Path) -> set[tuple[str, str, str]]:
    """Return (binary path in the image, module, version) from `go version -m ROOTFS`, stdlib included."""
    go = ensure_tool("go", "golang-go")
    out = subprocess.run(
        [go, "version", "-m", str(rootfs)], capture_output=True, text=True, check=True
    ).stdout
    found: set[tuple[str, str, str]] = set()
    binary = ""
    last: tuple[str, str, str] | None = None
    for line in out.splitlines():
        if not line.startswith("\t"):
            host_path, _, go_version = line.rpartition(": ")
            binary = host_path.removeprefix(str(rootfs))
            found.add((binary, "stdlib", go_version.strip()))
            continue
        match = _GO_LINE.match(line)
        if match is None:
            continue
        kind, module, version = match.groups()
        if kind == "=>" and last is not None:
            found.discard(last)
        last = (binary, module, version)
        found.add(last)
    return found


# helpers --------------------------------------------------------------------------------------


def _inventory(reference: str, tmp_path: Path, scope: Scope = Scope.SQUASHED) -> Inventory:
    return api.inventory(reference, ScanOptions(scope=scope, cache_dir=tmp_path / "cache"))


def _of_type(inventory: Inventory, kind: PackageType) -> list[Package]:
    return [p for p in inventory.packages if p.type is kind]


def _debs(inventory: Inventory) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in _of_type(inventory, PackageType.DEB) if p.visible}


def _python_installed(inventory: Inventory) -> set[tuple[str, str, str]]:
    found = set()
    for package in _of_type(inventory, PackageType.PYTHON):
        if package.metadata.get("kind") != "installed" or not package.visible:
            continue
        evidence = package.locations[0].path
        where = evidence if evidence.endswith(".egg-info") else posixpath.dirname(evidence)
        found.add((where, normalize_name(package.name), package.version))
    return found


def _python_truth(dists: Iterable[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(d["where"], normalize_name(d["name"]), d["version"]) for d in dists}


def _real_dir(rootfs: Path, directory: str) -> str:
    """Resolve symlinked directories inside the rootfs with the host's realpath."""
    real = os.path.realpath(rootfs / directory.lstrip("/"))
    root = os.path.realpath(rootfs)
    return "/" + os.path.relpath(real, root) if real.startswith(root + os.sep) else directory


def _canonical(rootfs: Path, path: str, cache: dict[str, str]) -> str:
    head, base = posixpath.split(path)
    if head not in cache:
        cache[head] = _real_dir(rootfs, head)
    return posixpath.join(cache[head], base).replace("//", "/")


def _regular_files(rootfs: Path) -> set[str]:
    found = set()
    for directory, _, names in os.walk(rootfs):
        for name in names:
            full = Path(directory) / name
            if full.is_file() and not full.is_symlink():
                found.add("/" + str(full.relative_to(rootfs)))
    return found


# (a) + (e): Debian + python3 + venv + python3-yaml, then a layer that removes packages ------------


@pytest.fixture(scope="module")
def removal() -> BuiltImage:
    return removal_image()


@pytest.fixture(scope="module")
def removal_dists(removal: BuiltImage) -> list[dict[str, Any]]:
    return image_python_dists(removal.rootfs, ("/usr/bin/python3", f"{VENV}/bin/python"))


@pytest.fixture(scope="module")
def removal_inventory(removal: BuiltImage, tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    return _inventory(removal.reference, tmp_path_factory.mktemp("removal"))


def test_python_image_dpkg_and_python_recall_precision(
    removal: BuiltImage, removal_inventory: Inventory, removal_dists: list[dict[str, Any]]
) -> None:
    assert _debs(removal_inventory) == dpkg_installed(removal.rootfs)
    truth = _python_truth(removal_dists)
    assert any(where.startswith(VENV) for where, _, _ in truth)
    assert any(where.startswith("/usr/lib/python3/dist-packages") for where, _, _ in truth)
    assert _python_installed(removal_inventory) == truth


def test_os_owned_python_distribution_is_linked_to_its_deb(
    removal: BuiltImage, removal_inventory: Inventory
) -> None:
    lists = dpkg_lists(removal.rootfs)
    listed_by = {path: name for name, paths in lists.items() for path in paths}
    debs = {p.name: p for p in _of_type(removal_inventory, PackageType.DEB)}
    contains = {
        (r.source_id, r.target_id)
        for r in removal_inventory.relationships
        if r.kind is RelationshipKind.CONTAINS
    }
    checked = 0
    for package in _of_type(removal_inventory, PackageType.PYTHON):
        owner_name = listed_by.get(package.locations[0].path)
        if owner_name is None:
            assert OS_OWNER_KEY not in package.metadata, package.name
            continue
        owner = debs[owner_name]
        assert package.metadata[OS_OWNER_KEY] == owner.purl
        assert (owner.id, package.id) in contains
        checked += 1
    assert "python3-yaml" in {
        listed_by.get(p.locations[0].path) for p in _of_type(removal_inventory, PackageType.PYTHON)
    }
    assert checked >= 1
    venv = [
        p for p in _of_type(removal_inventory, PackageType.PYTHON) if p.locations[0].path.startswith(VENV)
    ]
    assert venv
    assert all(OS_OWNER_KEY not in p.metadata for p in venv)


def test_file_ownership_matches_dpkg_lists_and_records(
    removal: BuiltImage, removal_inventory: Inventory, removal_dists: list[dict[str, Any]], tmp_path: Path
) -> None:
    rootfs = removal.rootfs
    cache: dict[str, str] = {}
    deb_of: dict[str, str] = {}
    for name, paths in dpkg_lists(rootfs).items():
        for path in paths:
            deb_of.setdefault(_canonical(rootfs, path, cache), name)
    recorded = {_canonical(rootfs, f, cache) for d in removal_dists for f in d["files"]}
    files = _regular_files(rootfs)
    expected_unowned = files - set(deb_of) - recorded
    summary = removal_inventory.files
    assert summary is not None
    assert {u.path for u in summary.unowned} == expected_unowned
    assert summary.total_files == len(files)
    _, view = api.open_view(removal.reference, ScanOptions(cache_dir=tmp_path / "c"))
    index = owner_index(view, removal_inventory.packages)
    wrong = []
    for path in sorted(files & set(deb_of)):
        owner_class, owner = index.owner(path)
        if owner_class is not OwnerClass.OS or owner is None or owner.name != deb_of[path]:
            wrong.append((path, deb_of[path], owner.name if owner else None))
    assert not wrong, wrong[:10]
    for path in sorted((files & recorded) - set(deb_of)):
        assert index.owner(path)[0] is OwnerClass.LANGUAGE, path
    assert summary.of(OwnerClass.OS).files == len(files & set(deb_of))


def test_removed_packages_are_hidden_but_kept_in_all_layers(
    removal: BuiltImage, removal_inventory: Inventory, tmp_path: Path
) -> None:
    assert removal.before_removal is not None
    gone_debs = dpkg_installed(removal.before_removal) - dpkg_installed(removal.rootfs)
    assert PURGED_DEB in {name for name, _ in gone_debs}
    assert not gone_debs & _debs(removal_inventory)
    assert DELETED_DIST not in {name for _, name, _ in _python_installed(removal_inventory)}
    everything = _inventory(removal.reference, tmp_path, Scope.ALL_LAYERS)
    hidden_debs = {(p.name, p.version) for p in _of_type(everything, PackageType.DEB) if not p.visible}
    assert gone_debs <= hidden_debs
    hidden_python = {
        normalize_name(p.name)
        for p in _of_type(everything, PackageType.PYTHON)
        if not p.visible and p.metadata.get("kind") == "installed"
    }
    assert DELETED_DIST in hidden_python
    visible_all = {(p.type, p.name, p.version) for p in everything.packages if p.visible}
    assert visible_all == {(p.type, p.name, p.version) for p in removal_inventory.packages}


def test_each_package_is_attributed_to_the_layer_that_installed_it(
    removal: BuiltImage, removal_inventory: Inventory, tmp_path: Path
) -> None:
    base_debs = dpkg_installed(debian_rootfs().rootfs)
    python_debs = dpkg_installed(python_venv_image().rootfs)  # the removal image's first 3 layers
    base, python_layer, venv_layer, yaml_layer = (layer.digest for layer in removal.layers[:4])
    debs = {(p.name, p.version): p.layer_digest for p in _of_type(removal_inventory, PackageType.DEB)}
    assert base_debs <= python_debs
    assert {name for name, _ in python_debs - set(debs)} <= {PURGED_DEB}  # purged by the last layer
    assert {debs[key] for key in base_debs if key in debs} == {base}
    assert {debs[key] for key in python_debs - base_debs if key in debs} == {python_layer}
    assert {debs[key] for key in set(debs) - python_debs} == {yaml_layer}  # python3-yaml, libyaml
    in_venv = {p.layer_digest for p in _of_type(removal_inventory, PackageType.PYTHON) if VENV in p.locations[0].path}
    assert in_venv == {venv_layer}
    # The squashed scan's per-layer passes parse identity only; the all-layers scan parses everything.
    everything = _inventory(removal.reference, tmp_path, Scope.ALL_LAYERS)
    full = {(p.type, p.name, p.version, p.locations[0].path): p.layer_digest for p in everything.packages if p.visible}
    light = {(p.type, p.name, p.version, p.locations[0].path): p.layer_digest for p in removal_inventory.packages}
    assert light == full


def test_relate_pass_is_fast(removal: BuiltImage, removal_inventory: Inventory, tmp_path: Path) -> None:
    _, view = api.open_view(removal.reference, ScanOptions(cache_dir=tmp_path / "c"))
    start = time.process_time()
    relate_ownership(view, removal_inventory.packages)
    elapsed = time.process_time() - start
    assert removal_inventory.files is not None
    per_60k = elapsed * 60_000 / removal_inventory.files.total_files
    assert per_60k < 1.0, f"{elapsed:.3f} s for {removal_inventory.files.total_files} files"


# (b) Debian + nodejs/npm from Debian + an npm ci app ----------------------------------------------


@pytest.fixture(scope="module")
def node() -> NodeImage:
    return node_npm_image()


@pytest.fixture(scope="module")
def node_inventory(node: NodeImage, tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    return _inventory(node.reference, tmp_path_factory.mktemp("node"))


def test_node_image_dpkg_and_npm_app(node: NodeImage, node_inventory: Inventory) -> None:
    assert _debs(node_inventory) == dpkg_installed(node.rootfs)
    truth = {
        ("/" + str(Path(n["path"]).relative_to(node.rootfs)), n["name"], n["version"])
        for n in npm_ls(node.app)
    }
    found = {
        (p.metadata["path"], p.name, p.version)
        for p in _of_type(node_inventory, PackageType.NPM)
        if str(p.metadata.get("path", "")).startswith("/app/")
    }
    assert len(truth) > 100
    assert found == truth


def _links_to_another(rootfs: Path, path: str, candidates: set[str]) -> bool:
    host = rootfs / path.lstrip("/")
    if not host.is_symlink():
        return False
    target = "/" + str(host.resolve().relative_to(rootfs.resolve()))
    return target != path and target in candidates


def test_debian_node_packages_are_linked_to_their_debs(node: NodeImage, node_inventory: Inventory) -> None:
    owner_of = {
        path: name
        for name, paths in dpkg_lists(node.rootfs).items()
        for path in paths
        if path.startswith("/usr/share/nodejs/") and path.endswith("/package.json")
    }
    debs = {p.name: p for p in _of_type(node_inventory, PackageType.DEB)}
    top_level = set()
    for path in owner_of:
        parts = path.removeprefix("/usr/share/nodejs/").split("/")
        manifest = json.loads((node.rootfs / path.lstrip("/")).read_text())
        if len(parts) == (3 if parts[0].startswith("@") else 2) and isinstance(manifest.get("version"), str):
            top_level.add(path)
    # A package.json that is a symlink to another package's (Debian's lodash-es -> ../lodash) is the
    # same file: it is cataloged once, under the path it really has.
    top_level = {p for p in top_level if not _links_to_another(node.rootfs, p, top_level)}
    assert len(top_level) > 50
    by_evidence = {p.locations[0].path: p for p in _of_type(node_inventory, PackageType.NPM)}
    missing = sorted(top_level - set(by_evidence))
    assert not missing, missing[:10]
    for path in top_level:
        package = by_evidence[path]
        assert package.metadata[OS_OWNER_KEY] == debs[owner_of[path]].purl, path
    app = [
        p
        for p in _of_type(node_inventory, PackageType.NPM)
        if str(p.metadata.get("path")).startswith("/app/")
    ]
    assert all(OS_OWNER_KEY not in p.metadata for p in app)


def test_node_app_files_are_owned_by_their_npm_package(
    node: NodeImage, node_inventory: Inventory, tmp_path: Path
) -> None:
    packages = {"/" + str(Path(n["path"]).relative_to(node.rootfs)): n["name"] for n in npm_ls(node.app)}
    _, view = api.open_view(node.reference, ScanOptions(cache_dir=tmp_path / "c"))
    index = owner_index(view, node_inventory.packages)
    checked = 0
    for path in sorted(p for p in _regular_files(node.rootfs) if p.startswith("/app/node_modules/")):
        directory = posixpath.dirname(path)
        while directory not in packages and directory != "/app":
            directory = posixpath.dirname(directory)
        owner_class, owner = index.owner(path)
        if directory == "/app":
            assert owner_class is OwnerClass.UNOWNED, path
            continue
        assert owner is not None, path
        assert owner.metadata["path"] == directory, path
        checked += 1
    assert checked > 1000


# (c) Debian's Go binaries + a module-built one ----------------------------------------------------


def _go_found(inventory: Inventory) -> set[tuple[str, str, str]]:
    return {(p.locations[0].path, p.name, p.version) for p in _of_type(inventory, PackageType.GO)}


def test_go_image_dpkg_and_go_modules(tmp_path: Path) -> None:
    image: GoImage = go_binaries_image()
    inventory = _inventory(image.reference, tmp_path)
    assert _debs(inventory) == dpkg_installed(image.rootfs)
    assert set(GO_DEBS) <= {name for name, _ in _debs(inventory)}
    truth = go_version_m(image.rootfs)
    assert any(module == HELLO_MODULE for _, module, _ in truth)
    assert _go_found(inventory) == truth
    lists = dpkg_lists(image.rootfs)
    owned_binaries = {path for name in GO_DEBS for path in lists[name]}
    for package in _of_type(inventory, PackageType.GO):
        in_deb = package.locations[0].path in owned_binaries
        assert (OS_OWNER_KEY in package.metadata) == in_deb, package.locations[0].path
    summary = inventory.files
    assert summary is not None
    assert "/usr/local/bin/hullscan-hello" not in {u.path for u in summary.unowned}
    assert summary.of(OwnerClass.LANGUAGE).files >= 1


# (d) no OS package database ----------------------------------------------------------------------


def test_scratch_image_without_os_database(tmp_path: Path) -> None:
    image = scratch_image()
    inventory = _inventory(image.reference, tmp_path)
    assert not [
        p for p in inventory.packages if p.type in (PackageType.DEB, PackageType.RPM, PackageType.APK)
    ]
    site = f"{VENV}/lib/python3.11/site-packages"
    dists = host_python_dists(image.rootfs, site)
    assert _python_installed(inventory) == _python_truth(dists)
    assert _go_found(inventory) == go_version_m(image.rootfs)
    summary = inventory.files
    assert summary is not None
    assert summary.of(OwnerClass.OS).files == 0
    recorded = {f for d in dists for f in d["files"]}
    expected_unowned = _regular_files(image.rootfs) - recorded - {"/app/hello"}
    assert {u.path for u in summary.unowned} == expected_unowned
