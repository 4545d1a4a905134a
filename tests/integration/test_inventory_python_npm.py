"""python-installed and npm catalogers on real installs: a pip-built virtualenv and an npm project.

Ground truth comes from the tools themselves: `importlib.metadata` run by the virtualenv's own
interpreter (with pip's vendored `packaging` evaluating markers) and `npm ls`. Installs are
cached under $HULLSCAN_TEST_CACHE so reruns take seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from hullscan.catalog.ecosystems.npm import NpmInstalledCataloger, NpmLockCataloger
from hullscan.catalog.ecosystems.python import PythonInstalledCataloger
from hullscan.catalog.ecosystems.python_metadata import normalize_name
from hullscan.catalog.interface import Cataloger
from hullscan.catalog.runner import CatalogOutput, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.package import Package, RelationshipKind

PYTHON_PINS = (
    "requests==2.25.1",
    "urllib3==1.26.4",
    "PyYAML==5.3.1",
    "Jinja2==2.11.2",
    "MarkupSafe==1.1.1",
    "cryptography==3.3.2",
    "chardet==4.0.0",
    "idna==2.10",
    "certifi==2020.12.5",
    "six==1.16.0",
    "cffi==1.15.1",
    "pycparser==2.21",
)
NPM_MANIFEST = {
    "name": "hullscan-npm-probe",
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

TRUTH_SCRIPT = r"""
import importlib, importlib.metadata as im, json, pkgutil, sys
from pip._vendor.packaging.requirements import Requirement
site = sys.argv[1]
dists = []
for dist in im.distributions(path=[site]):
    deps = []
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            deps.append(req.name)
    files = []
    for item in dist.files or []:
        files.append([str(dist.locate_file(item)), item.hash.mode if item.hash else None,
                      item.hash.value if item.hash else None, item.size])
    dists.append({"name": dist.metadata["Name"], "version": dist.version, "deps": deps, "files": files})
import pip._vendor
vendored = {}
for module in pkgutil.iter_modules(pip._vendor.__path__):
    try:
        version = getattr(importlib.import_module("pip._vendor." + module.name), "__version__", None)
    except Exception:
        continue
    if isinstance(version, str):
        vendored[module.name] = version
print(json.dumps({"dists": dists, "vendored": vendored}))
"""


def cache_root() -> Path:
    return Path(os.environ.get("HULLSCAN_TEST_CACHE", Path.home() / ".cache" / "hullscan-tests"))


def cached_build(name: str, key: str, build: Callable[[Path], None]) -> Path:
    """Return a directory built once per `key`; a build that did not finish is redone."""
    target = cache_root() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    marker = target / ".hullscan-complete"
    if not marker.exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        build(target)
        marker.write_text(key)
    return target


def run(root: Path, catalogers: list[Cataloger]) -> CatalogOutput:
    view = DirectoryView(
        root, "sha256:test", CapturePolicy(wants=lambda p: any(c.wants(p) for c in catalogers)), Limits()
    )
    return catalog_once(view, catalogers, distro=None)


def image_path(root: Path, host: str) -> str:
    return posixpath.normpath("/" + os.path.relpath(host, root))


# Python ----------------------------------------------------------------------------------


def _build_venv(target: Path) -> None:
    venv = target / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, *PYTHON_PINS], check=True, timeout=900)


@pytest.fixture(scope="module")
def venv_root() -> Path:
    return cached_build("python-venv", " ".join(PYTHON_PINS) + sys.version, _build_venv) / "venv"


@pytest.fixture(scope="module")
def python_truth(venv_root: Path) -> dict[str, Any]:
    (site,) = venv_root.glob("lib/python3.*/site-packages")
    done = subprocess.run(
        [str(venv_root / "bin" / "python"), "-c", TRUTH_SCRIPT, str(site)],
        check=True,
        capture_output=True,
        text=True,
    )
    truth: dict[str, Any] = json.loads(done.stdout)
    return truth


@pytest.fixture(scope="module")
def python_output(venv_root: Path) -> CatalogOutput:
    return run(venv_root, [PythonInstalledCataloger()])


def _installed(out: CatalogOutput) -> dict[str, Package]:
    return {normalize_name(p.name): p for p in out.packages if p.metadata["kind"] == "installed"}


def test_venv_packages_recall_and_precision(
    python_truth: dict[str, Any], python_output: CatalogOutput
) -> None:
    expected = {(normalize_name(d["name"]), d["version"]) for d in python_truth["dists"]}
    found = {(normalize_name(p.name), p.version) for p in _installed(python_output).values()}
    assert found == expected
    assert {normalize_name(pin.split("==")[0]) for pin in PYTHON_PINS} <= {name for name, _ in found}
    assert not python_output.unknowns


def test_venv_requirements_and_edges(python_truth: dict[str, Any], python_output: CatalogOutput) -> None:
    installed = _installed(python_output)
    by_id = {p.id: normalize_name(p.name) for p in installed.values()}
    edges = {
        (by_id[r.source_id], by_id[r.target_id])
        for r in python_output.relationships
        if r.kind is RelationshipKind.DEPENDS_ON
    }
    expected_edges = set()
    for dist in python_truth["dists"]:
        name = normalize_name(dist["name"])
        deps = {normalize_name(d) for d in dist["deps"]}
        assert set(installed[name].metadata["dependencies"]) == deps, name
        expected_edges |= {(name, d) for d in deps}
    assert edges == expected_edges
    assert ("requests", "urllib3") in edges


def test_venv_record_ownership(
    venv_root: Path, python_truth: dict[str, Any], python_output: CatalogOutput
) -> None:
    installed = _installed(python_output)
    for dist in python_truth["dists"]:
        package = installed[normalize_name(dist["name"])]
        expected = {
            (image_path(venv_root, path), mode, value, size) for path, mode, value, size in dist["files"]
        }
        got = {
            (f["path"], f.get("digest", {}).get("algorithm"), f.get("digest", {}).get("value"), f.get("size"))
            for f in package.metadata["files"]
        }
        assert got == expected, dist["name"]
        assert package.metadata.get("installer") == "pip"


def test_pip_vendored_packages(python_truth: dict[str, Any], python_output: CatalogOutput) -> None:
    vendored = [p for p in python_output.packages if p.metadata["kind"] == "vendored"]
    found = {(normalize_name(p.name), Version(p.version)) for p in vendored}
    truth = {(normalize_name(module), Version(v)) for module, v in python_truth["vendored"].items()}
    assert len(truth) >= 8
    assert truth <= found
    pip_id = _installed(python_output)["pip"].id
    hosts = {r.target_id for r in python_output.relationships if r.kind is RelationshipKind.VENDORED_IN}
    assert hosts == {pip_id}
    assert len([r for r in python_output.relationships if r.kind is RelationshipKind.VENDORED_IN]) == len(
        vendored
    )


# npm -------------------------------------------------------------------------------------


def ensure_npm() -> str:
    found = shutil.which("npm")
    if found is None:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "npm"], check=True, capture_output=True)
        found = shutil.which("npm")
    assert found is not None
    return found


def _build_npm_project(target: Path) -> None:
    project = target / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps(NPM_MANIFEST, indent=2))
    args = [ensure_npm(), "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(args, cwd=project, check=True, timeout=900)


@pytest.fixture(scope="module")
def npm_root() -> Path:
    return cached_build("npm-project", json.dumps(NPM_MANIFEST, sort_keys=True), _build_npm_project)


def npm_ls_json(project: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [ensure_npm(), "ls", "--all", "--json", "--long", *extra],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def flatten(node: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Return (parent, child) pairs of an `npm ls --json --long` tree."""
    pairs = []
    for child in (node.get("dependencies") or {}).values():
        pairs.append((node, child))
        pairs.extend(flatten(child))
    return pairs


def test_node_modules_recall_precision_and_dev(npm_root: Path) -> None:
    project = npm_root / "app"
    tree = npm_ls_json(project)
    production = {
        child["path"] for _, child in flatten(npm_ls_json(project, "--omit=dev")) if "path" in child
    }
    truth = {
        image_path(npm_root, c["path"]): (c["name"], c["version"]) for _, c in flatten(tree) if "path" in c
    }
    out = run(npm_root, [NpmInstalledCataloger()])
    found = {p.metadata["path"]: (p.name, p.version) for p in out.packages}
    assert found == truth
    assert len(found) > 100
    dev_truth = {image_path(npm_root, p) for p in production}
    for package in out.packages:
        assert package.metadata["dev"] == (package.metadata["path"] not in dev_truth), package.metadata[
            "path"
        ]
    assert {p.metadata["dev"] for p in out.packages} == {True, False}
    assert not out.unknowns


def test_node_modules_edges_follow_node_resolution(npm_root: Path) -> None:
    tree = npm_ls_json(npm_root / "app")
    truth = {
        (image_path(npm_root, parent["path"]), image_path(npm_root, child["path"]))
        for parent, child in flatten(tree)
        if parent is not tree and "path" in child
    }
    out = run(npm_root, [NpmInstalledCataloger()])
    paths = {p.id: p.metadata["path"] for p in out.packages}
    edges = {(paths[r.source_id], paths[r.target_id]) for r in out.relationships}
    assert edges == truth


def test_lock_of_the_real_install(npm_root: Path, tmp_path: Path) -> None:
    project = npm_root / "app"
    assert run(npm_root, [NpmLockCataloger()]).packages == []  # node_modules next to it: skipped
    shutil.copyfile(project / "package.json", tmp_path / "package.json")
    shutil.copyfile(project / "package-lock.json", tmp_path / "package-lock.json")
    tree = npm_ls_json(tmp_path, "--package-lock-only")
    production = npm_ls_json(tmp_path, "--package-lock-only", "--omit=dev")
    truth = {(c["name"], c["version"]) for _, c in flatten(tree)}
    prod_truth = {(c["name"], c["version"]) for _, c in flatten(production)}
    out = run(tmp_path, [NpmLockCataloger()])
    assert {(p.name, p.version) for p in out.packages} == truth
    for package in out.packages:
        assert package.metadata["dev"] == ((package.name, package.version) not in prod_truth), package.name
    installed = {(p.name, p.version) for p in run(npm_root, [NpmInstalledCataloger()]).packages}
    optional_absent = {(p.name, p.version) for p in out.packages if p.metadata.get("optional")}
    assert installed <= truth
    assert truth - installed <= optional_absent
