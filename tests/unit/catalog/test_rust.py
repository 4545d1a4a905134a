"""cargo-auditable `.dep-v0` sections: added with objcopy to a real compiled binary.

`cargo install cargo-auditable` needs crates.io, which is not reachable here, so the section is
built by the test from a real Cargo.lock (the fixture) in the format cargo-auditable writes
(zlib-compressed JSON, dependencies as indices) and attached with `objcopy --add-section`.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tomllib
import zlib
from pathlib import Path
from typing import Any

import pytest

from hullscan.catalog.ecosystems.rust import RustAuditableAnalyzer, RustAuditableCataloger
from hullscan.catalog.interface import ParseContext
from hullscan.catalog.runner import capture_policy, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.model.package import PackageType, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "rust"


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True)
        found = shutil.which(name)
    assert found
    return found


def lock_to_dep_v0(lock: dict[str, Any]) -> dict[str, Any]:
    """Convert a Cargo.lock to the JSON cargo-auditable embeds."""
    packages = lock["package"]
    index = {(p["name"], p["version"]): i for i, p in enumerate(packages)}
    by_name: dict[str, list[int]] = {}
    for (name, _), i in index.items():
        by_name.setdefault(name, []).append(i)
    out = []
    for package in packages:
        deps = []
        for dep in package.get("dependencies", []):
            name, _, version = dep.partition(" ")
            deps.append(index[(name, version)] if version else by_name[name][0])
        entry: dict[str, Any] = {"name": package["name"], "version": package["version"]}
        entry["source"] = "crates.io" if "source" in package else "local"
        if deps:
            entry["dependencies"] = sorted(deps)
        if "source" not in package:
            entry["root"] = True
        out.append(entry)
    return {"packages": out}


def _elf_with_section(tmp: Path, payload: bytes) -> Path:
    source = tmp / "hello.c"
    source.write_text("int main(void) { return 0; }\n")
    binary = tmp / "hello"
    subprocess.run([_tool("gcc", "gcc"), "-O0", "-o", str(binary), str(source)], check=True)
    section = tmp / "dep-v0.bin"
    section.write_bytes(payload)
    objcopy = _tool("objcopy", "binutils")
    subprocess.run(
        [
            objcopy,
            "--add-section",
            f".dep-v0={section}",
            "--set-section-flags",
            ".dep-v0=noload,readonly",
            str(binary),
        ],
        check=True,
    )
    return binary


@pytest.fixture
def lock() -> dict[str, Any]:
    return tomllib.loads((FIXTURES / "cargo-v3" / "Cargo.lock").read_text())


def test_binary_with_dep_v0_gives_every_crate_and_edge(tmp_path: Path, lock: dict[str, Any]) -> None:
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    document = lock_to_dep_v0(lock)
    binary = _elf_with_section(tmp_path, zlib.compress(json.dumps(document).encode()))
    shutil.copy(binary, root / "usr/bin/app")
    shutil.copy(binary, root / "usr/bin/plain")
    subprocess.run(
        [_tool("objcopy", "binutils"), "--remove-section", ".dep-v0", str(root / "usr/bin/plain")], check=True
    )
    catalogers = [RustAuditableCataloger()]
    view = DirectoryView(
        root, "sha256:" + "1" * 64, capture_policy(catalogers, [RustAuditableAnalyzer()]), Limits()
    )
    output = catalog_once(view, catalogers, None)
    assert output.unknowns == []
    got = {(p.name, p.version) for p in output.packages}
    assert got == {(p["name"], p["version"]) for p in lock["package"]}
    assert {p.locations[0].path for p in output.packages} == {"/usr/bin/app"}
    assert all(p.type is PackageType.RUST for p in output.packages)
    by_id = {p.id: p for p in output.packages}
    edges = {
        (
            by_id[r.source_id].name,
            by_id[r.source_id].version,
            by_id[r.target_id].name,
            by_id[r.target_id].version,
        )
        for r in output.relationships
        if r.kind is RelationshipKind.DEPENDS_ON
    }
    expected = set()
    versions: dict[str, list[str]] = {}
    for package in lock["package"]:
        versions.setdefault(package["name"], []).append(package["version"])
    for package in lock["package"]:
        for dep in package.get("dependencies", []):
            name, _, version = dep.partition(" ")
            expected.add((package["name"], package["version"], name, version or versions[name][0]))
    assert edges == expected
    regex = next(p for p in output.packages if p.name == "regex")
    assert regex.purl == f"pkg:cargo/regex@{regex.version}"
    app = next(p for p in output.packages if p.name == "app")
    assert app.metadata["root"] is True
    assert app.metadata["source"] == "local"


@pytest.mark.parametrize(
    "payload",
    [
        b"not zlib",
        zlib.compress(b"{not json"),
        zlib.compress(b'{"packages": [{"name": "x"}]}'),
        zlib.compress(b'{"packages": [{"name": "x", "version": "1", "dependencies": [5]}]}'),
        zlib.compress(b"[]"),
    ],
)
def test_damaged_section_becomes_unknown(tmp_path: Path, payload: bytes) -> None:
    binary = _elf_with_section(tmp_path, payload)
    result = RustAuditableAnalyzer().analyze("/x", io.BytesIO(binary.read_bytes()), binary.stat().st_size)
    assert isinstance(result, dict)
    assert "error" in result
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(binary, root / "app")
    catalogers = [RustAuditableCataloger()]
    view = DirectoryView(
        root, "sha256:" + "2" * 64, capture_policy(catalogers, [RustAuditableAnalyzer()]), Limits()
    )
    output = RustAuditableCataloger().from_analyses(ParseContext(view=view, distro=None))
    assert output.packages == []
    assert [u.coordinates.path for u in output.unknowns] == ["/app"]


def test_inflation_bomb_is_refused(tmp_path: Path) -> None:
    bomb = zlib.compress(b" " * (64 * 1024 * 1024), 9)
    binary = _elf_with_section(tmp_path, bomb)
    result = RustAuditableAnalyzer().analyze("/x", io.BytesIO(binary.read_bytes()), binary.stat().st_size)
    assert isinstance(result, dict)
    assert "inflates past" in result["error"]


def test_not_elf_or_garbage_is_ignored() -> None:
    analyzer = RustAuditableAnalyzer()
    assert not analyzer.wants("/a.txt", b"hello", 5)
    for blob in (b"\x7fELF", b"\x7fELF" + b"\xff" * 200):
        assert analyzer.analyze("/x", io.BytesIO(blob), len(blob)) is None
