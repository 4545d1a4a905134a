"""npm catalogers over real lockfiles and package.json fixtures; npm's own `npm ls` is the truth
for package-lock files, the files themselves (read independently) for yarn and pnpm."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hullscan.catalog.ecosystems.npm import (
    NpmInstalledCataloger,
    NpmLockCataloger,
    PnpmLockCataloger,
    YarnLockCataloger,
    installed_package_root,
)
from hullscan.catalog.interface import Cataloger
from hullscan.catalog.runner import CatalogOutput, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.package import RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "npm"
NPM_LS_LOCKS = ["package-lock-v2", "package-lock-v3", "package-lock-v3-workspace", "package-lock-alias"]


def run(root: Path, catalogers: list[Cataloger]) -> CatalogOutput:
    view = DirectoryView(
        root, "sha256:test", CapturePolicy(wants=lambda p: any(c.wants(p) for c in catalogers)), Limits()
    )
    return catalog_once(view, catalogers, distro=None)


def ensure_npm() -> str:
    found = shutil.which("npm")
    if found is None:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "npm"], check=True, capture_output=True)
        found = shutil.which("npm")
    assert found is not None
    return found


def parse_parseable_line(line: str, root: Path) -> tuple[str, str, str] | None:
    """Return (relative path, name, version) from one `npm ls --parseable --long` line."""
    path, _, rest = line.partition(":")
    fields = rest.split(":")
    spec = fields[0] + (":" + fields[1] if fields[0].endswith("@npm") else "")
    real = [f for f in fields[1:] if f.startswith("/")]
    path = real[0] if real else path  # links (workspaces) are listed with their real path too
    spec = spec.split("@npm:", 1)[-1]
    name, _, version = spec.rpartition("@")
    relative = Path(path).relative_to(root).as_posix()
    return (relative, name, version) if relative != "." and version else None


def npm_ls(directory: Path, *extra: str) -> list[tuple[str, str, str]]:
    args = [ensure_npm(), "ls", "--all", "--parseable", "--long", *extra]
    done = subprocess.run(args, cwd=directory, capture_output=True, text=True, check=False, timeout=300)
    assert done.stdout.strip(), done.stderr
    rows = [parse_parseable_line(line, directory) for line in done.stdout.splitlines() if line.strip()]
    return [r for r in rows if r is not None]


@pytest.mark.parametrize("fixture", NPM_LS_LOCKS)
def test_package_lock_matches_npm_ls(tmp_path: Path, fixture: str) -> None:
    shutil.copyfile(FIXTURES / fixture / "package-lock.json", tmp_path / "package-lock.json")
    everything = npm_ls(tmp_path, "--package-lock-only")
    production = {row[0] for row in npm_ls(tmp_path, "--package-lock-only", "--omit=dev")}
    out = run(tmp_path, [NpmLockCataloger()])
    assert {(p.name, p.version) for p in out.packages} == {(n, v) for _, n, v in everything}
    for package in out.packages:
        keys = {k.removeprefix("/") for k in package.metadata["lock_keys"]}
        assert package.metadata["dev"] == (not keys & production), package.name
        assert package.purl.startswith("pkg:npm/")
    assert not out.unknowns


def test_package_lock_v1_matches_its_tree(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "package-lock-v1" / "package-lock.json").read_text())
    assert len(document["dependencies"]) == 28  # as the shared data set's README states

    def walk(tree: dict[str, dict[str, object]]) -> set[tuple[str, str, bool]]:
        found = set()
        for name, entry in tree.items():
            found.add((name, str(entry["version"]), bool(entry.get("dev"))))
            found |= walk(entry.get("dependencies", {}))  # type: ignore[arg-type]
        return found

    truth = walk(document["dependencies"])
    shutil.copyfile(FIXTURES / "package-lock-v1" / "package-lock.json", tmp_path / "package-lock.json")
    out = run(tmp_path, [NpmLockCataloger()])
    assert {(p.name, p.version, p.metadata["dev"]) for p in out.packages} == truth


def test_package_lock_edges_match_npm_ls_tree(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURES / "package-lock-v2" / "package-lock.json", tmp_path / "package-lock.json")
    done = subprocess.run(
        [ensure_npm(), "ls", "--all", "--json", "--package-lock-only"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    truth: set[tuple[str, str]] = set()

    def walk(parent: str | None, tree: dict[str, dict[str, object]]) -> None:
        for name, node in tree.items():
            child = f"{name}@{node.get('version')}"
            if parent is not None:
                truth.add((parent, child))
            walk(child, node.get("dependencies", {}))  # type: ignore[arg-type]

    walk(None, json.loads(done.stdout)["dependencies"])
    out = run(tmp_path, [NpmLockCataloger()])
    ids = {p.id: f"{p.name}@{p.version}" for p in out.packages}
    edges = {(ids[r.source_id], ids[r.target_id]) for r in out.relationships}
    assert all(r.kind is RelationshipKind.DEPENDS_ON for r in out.relationships)
    assert edges == truth


def _yarn_truth(text: str) -> set[tuple[str, str]]:
    truth = set()
    for block in re.split(r"\n(?=\S)", text):
        header = block.split("\n", 1)[0]
        version = re.search(r'^\s+version:? "?([^"\s]+)"?', block, re.MULTILINE)
        if header.startswith(("#", "__metadata")) or version is None:
            continue
        resolution = re.search(r'^\s+resolution: "(.+)"', block, re.MULTILINE)
        spec = resolution.group(1) if resolution else header.strip('"').split(",")[0].strip('"')
        if "@workspace:" in spec:
            continue
        truth.add((re.match(r"(@?[^@]+)@", spec).group(1), version.group(1)))  # type: ignore[union-attr]
    return truth


@pytest.mark.parametrize(("fixture", "entries"), [("yarn-v1", 18), ("yarn-berry", 19)])
def test_yarn_lock_matches_the_file(tmp_path: Path, fixture: str, entries: int) -> None:
    text = (FIXTURES / fixture / "yarn.lock").read_text()
    headers = [line for line in text.splitlines() if re.match(r'^["@\w]', line) and line.endswith(":")]
    assert len(headers) == entries  # as the shared data set's README counts them
    shutil.copyfile(FIXTURES / fixture / "yarn.lock", tmp_path / "yarn.lock")
    out = run(tmp_path, [YarnLockCataloger()])
    assert {(p.name, p.version) for p in out.packages} == _yarn_truth(text)
    assert out.relationships
    assert not out.unknowns


def _pnpm_truth(document: dict[str, dict[str, object]]) -> set[tuple[str, str, object]]:
    truth = set()
    major = int(float(str(document["lockfileVersion"])))
    for key, raw in document["packages"].items():
        bare = re.sub(r"\(.*$", "", key.lstrip("/"))
        if major < 6:
            name, _, version = bare.rpartition("/")
            version = version.split("_")[0]
        else:
            name, _, version = bare.rpartition("@")
        entry = raw if isinstance(raw, dict) else {}
        version = str(entry.get("version", version))
        dev = entry.get("dev")
        truth.add((name, version, dev))
    return truth


@pytest.mark.parametrize("fixture", ["pnpm-v5", "pnpm-v6", "pnpm-v9"])
def test_pnpm_lock_matches_the_file(tmp_path: Path, fixture: str) -> None:
    document = yaml.safe_load((FIXTURES / fixture / "pnpm-lock.yaml").read_text())
    shutil.copyfile(FIXTURES / fixture / "pnpm-lock.yaml", tmp_path / "pnpm-lock.yaml")
    out = run(tmp_path, [PnpmLockCataloger()])
    truth = _pnpm_truth(document)
    assert {(p.name, p.version) for p in out.packages} == {(n, v) for n, v, _ in truth}
    if fixture != "pnpm-v9":
        assert {(p.name, p.version, p.metadata.get("dev")) for p in out.packages} == truth
    else:
        dev_roots = {
            n for importer in document["importers"].values() for n in importer.get("devDependencies", {})
        }
        prod_roots = {
            n for importer in document["importers"].values() for n in importer.get("dependencies", {})
        }
        needed = {n for snap in document["snapshots"].values() for n in (snap or {}).get("dependencies", {})}
        flags = {p.name: p.metadata.get("dev") for p in out.packages}
        assert prod_roots
        assert all(flags[n] is False for n in prod_roots)
        assert dev_roots - prod_roots - needed
        assert all(flags[n] is True for n in dev_roots - prod_roots - needed)
    assert not out.unknowns


def test_installed_package_json_fields_come_from_the_file() -> None:
    root = FIXTURES / "node_modules-package-json"
    manifest = json.loads((root / "node_modules/bootstrap/package.json").read_text())
    out = run(root, [NpmInstalledCataloger()])
    (package,) = out.packages
    assert (package.name, package.version) == (manifest["name"], manifest["version"])
    assert package.licenses == (manifest["license"],)
    assert package.metadata["supplier"] == manifest["author"]
    assert package.metadata["dependencies"] == manifest.get("dependencies", {})
    assert package.metadata["os_owned_path"] is False


def _write(root: Path, relative: str, content: str | bytes) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_installed_tree_resolution_scopes_and_os_paths(tmp_path: Path) -> None:
    def manifest(name: str, version: str, **deps: str) -> str:
        return json.dumps({"name": name, "version": version, "dependencies": deps})

    _write(tmp_path, "app/node_modules/a/package.json", manifest("a", "1.0.0", b="^1", **{"@s/c": "1"}))
    _write(tmp_path, "app/node_modules/a/node_modules/b/package.json", manifest("b", "1.1.0"))
    _write(tmp_path, "app/node_modules/b/package.json", manifest("b", "2.0.0"))
    _write(tmp_path, "app/node_modules/@s/c/package.json", manifest("@s/c", "1.0.0", b="2"))
    _write(tmp_path, "app/node_modules/a/test/fixtures/package.json", manifest("fake", "0.0.1"))
    _write(tmp_path, "app/node_modules/a/test/node_modules/x/package.json", manifest("x", "0.0.1"))
    _write(tmp_path, "app/node_modules/bad/package.json", "{not json")
    _write(tmp_path, "usr/share/nodejs/debpkg/package.json", manifest("debpkg", "3.0.0", other="*"))
    _write(tmp_path, "usr/share/nodejs/other/package.json", manifest("other", "1.2.3"))
    out = run(tmp_path, [NpmInstalledCataloger()])
    found = {(p.name, p.version): p for p in out.packages}
    assert set(found) == {
        ("a", "1.0.0"),
        ("b", "1.1.0"),
        ("b", "2.0.0"),
        ("@s/c", "1.0.0"),
        ("debpkg", "3.0.0"),
        ("other", "1.2.3"),
    }
    assert found[("@s/c", "1.0.0")].purl == "pkg:npm/%40s/c@1.0.0"
    assert found[("debpkg", "3.0.0")].metadata["os_owned_path"] is True
    names = {p.id: (p.name, p.version) for p in out.packages}
    edges = {(names[r.source_id], names[r.target_id]) for r in out.relationships}
    assert edges == {
        (("a", "1.0.0"), ("b", "1.1.0")),  # nested copy wins over the hoisted one
        (("a", "1.0.0"), ("@s/c", "1.0.0")),
        (("@s/c", "1.0.0"), ("b", "2.0.0")),
        (("debpkg", "3.0.0"), ("other", "1.2.3")),
    }
    assert [u.coordinates.path for u in out.unknowns] == ["/app/node_modules/bad/package.json"]


def test_lock_is_skipped_next_to_an_installed_tree(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURES / "package-lock-v3" / "package-lock.json", tmp_path / "package-lock.json")
    assert run(tmp_path, [NpmLockCataloger()]).packages
    (tmp_path / "node_modules").mkdir()
    assert run(tmp_path, [NpmLockCataloger()]).packages == []


def test_bad_lockfiles_are_unknowns(tmp_path: Path) -> None:
    _write(tmp_path, "a/package-lock.json", "[not json")
    _write(tmp_path, "b/pnpm-lock.yaml", "key: [unclosed")
    _write(tmp_path, "c/yarn.lock", "  indented-first-line 1\n")
    out = run(tmp_path, [NpmLockCataloger(), PnpmLockCataloger(), YarnLockCataloger()])
    assert out.packages == []
    assert sorted(u.coordinates.path for u in out.unknowns) == [
        "/a/package-lock.json",
        "/b/pnpm-lock.yaml",
        "/c/yarn.lock",
    ]


def test_package_roots_are_recognised_from_the_path() -> None:
    assert installed_package_root("/usr/lib/node_modules/npm/package.json") == (
        "/usr/lib",
        "node_modules/npm/package.json",
    )
    assert installed_package_root("/p/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json") is not None
    assert installed_package_root("/p/node_modules/.bin/package.json") is None
    assert installed_package_root("/p/node_modules/a/lib/package.json") is None
    assert installed_package_root("/usr/share/nodejs/@babel/core/package.json") is not None
    assert installed_package_root("/usr/share/nodejs/x/lib/package.json") is None
