"""relate.ownership on small real trees: symlinked directories, precedence, npm nesting, ELF kinds.

Trees are real directories read through `DirectoryView` (real symlinks, a real ELF copied from
the host); the packages are built the way the catalogers build them (file lists in metadata).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.interface import FileView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.files import Coordinates, FileKind, FileRecord
from hullscan.model.ownership import ElfKind, OwnerClass
from hullscan.model.package import Package, PackageType, RelationshipKind
from hullscan.relate.ownership import OS_OWNER_KEY, elf_kind, owner_index, relate_ownership

HOST_ELF = Path("/usr/bin/true")


def _view(root: Path) -> DirectoryView:
    policy = CapturePolicy(wants=lambda _p: False, analyzers=(ElfAnalyzer(),), fingerprint="test")
    return DirectoryView(root, "sha256:" + "1" * 64, policy, Limits())


def _write(root: Path, path: str, data: bytes = b"x") -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _deb(name: str, files: list[str]) -> Package:
    return Package(
        name=name,
        version="1.0-1",
        type=PackageType.DEB,
        purl=f"pkg:deb/debian/{name}@1.0-1",
        found_by="dpkg-status",
        locations=(Coordinates("/var/lib/dpkg/status"),),
        metadata={"files": [{"path": f, "digest": None} for f in files]},
    )


def _python(name: str, dist_info: str, files: list[str]) -> Package:
    return Package(
        name=name,
        version="2.0",
        type=PackageType.PYTHON,
        purl=f"pkg:pypi/{name}@2.0",
        found_by="python-installed",
        locations=(Coordinates(f"{dist_info}/METADATA"),),
        metadata={"kind": "installed", "files": [{"path": f} for f in files]},
    )


def _npm(name: str, directory: str) -> Package:
    return Package(
        name=name,
        version="3.0.0",
        type=PackageType.NPM,
        purl=f"pkg:npm/{name}@3.0.0",
        found_by="npm-installed",
        locations=(Coordinates(f"{directory}/package.json"),),
        metadata={"kind": "installed", "path": directory},
    )


@pytest.fixture
def merged_usr(tmp_path: Path) -> Path:
    """A root where /bin is a relative symlink to usr/bin and /lib an absolute one to /usr/lib."""
    root = tmp_path / "root"
    _write(root, "/usr/bin/tool", b"tool")
    _write(root, "/usr/lib/libx.so", b"lib")
    _write(root, "/usr/lib/python3/dist-packages/yaml/__init__.py", b"y")
    _write(root, "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", b"Name: PyYAML\n")
    _write(root, "/etc/generated.conf", b"made by a postinst")
    (root / "bin").symlink_to("usr/bin")
    (root / "lib").symlink_to("/usr/lib")
    return root


def test_files_listed_through_symlinked_directories_are_owned(merged_usr: Path) -> None:
    deb = _deb("tool", ["/bin/tool", "/lib/libx.so"])
    result = relate_ownership(_view(merged_usr), [deb])
    unowned = {u.path for u in result.files.unowned}
    assert "/usr/bin/tool" not in unowned
    assert "/usr/lib/libx.so" not in unowned
    assert "/etc/generated.conf" in unowned
    assert result.files.of(OwnerClass.OS).files == 2
    assert result.files.of(OwnerClass.OS).bytes == len(b"tool") + len(b"lib")


def test_os_package_owning_a_dist_info_contains_it_and_marks_it(merged_usr: Path) -> None:
    site = "/usr/lib/python3/dist-packages"
    listed = [f"{site}/yaml/__init__.py", f"{site}/PyYAML-6.0.dist-info/METADATA"]
    deb = _deb("python3-yaml", listed)
    dist = _python("PyYAML", f"{site}/PyYAML-6.0.dist-info", listed)
    other = _python("other", f"{site}/other-1.dist-info", [])
    result = relate_ownership(_view(merged_usr), [deb, dist, other])
    by_name = {p.name: p for p in result.packages}
    assert by_name["PyYAML"].metadata[OS_OWNER_KEY] == deb.purl
    assert OS_OWNER_KEY not in by_name["other"].metadata
    assert by_name["PyYAML"].id == dist.id
    edges = [(r.source_id, r.target_id, r.kind) for r in result.relationships]
    assert edges == [(deb.id, dist.id, RelationshipKind.CONTAINS)]
    index = owner_index(_view(merged_usr), result.packages)
    assert index.owner(f"{site}/yaml/__init__.py") == (OwnerClass.OS, deb)


def test_nested_node_modules_belong_to_the_innermost_package(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outer, inner = "/app/node_modules/a", "/app/node_modules/a/node_modules/b"
    for path in (f"{outer}/package.json", f"{outer}/lib/x.js", f"{inner}/package.json", f"{inner}/i.js"):
        _write(root, path)
    _write(root, "/app/node_modules/.package-lock.json")
    index = owner_index(_view(root), [_npm("a", outer), _npm("b", inner)])
    assert index.owner(f"{outer}/lib/x.js")[1] is not None
    assert index.owner(f"{outer}/lib/x.js")[1].name == "a"  # type: ignore[union-attr]
    assert index.owner(f"{inner}/i.js")[1].name == "b"  # type: ignore[union-attr]
    assert index.owner("/app/node_modules/.package-lock.json") == (OwnerClass.UNOWNED, None)


def test_go_binary_is_owned_by_its_main_module_and_unowned_elf_is_described(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/local/bin").mkdir(parents=True)
    shutil.copyfile(HOST_ELF, root / "usr/local/bin/app")
    shutil.copyfile(HOST_ELF, root / "usr/local/bin/stray")
    main = Package(
        name="example.com/app",
        version="v1.0.0",
        type=PackageType.GO,
        purl="pkg:golang/example.com/app@v1.0.0",
        found_by="go-module-binary",
        locations=(Coordinates("/usr/local/bin/app"),),
        metadata={"main_module": True},
    )
    view = _view(root)
    result = relate_ownership(view, [main])
    assert owner_index(view, [main]).owner("/usr/local/bin/app") == (OwnerClass.LANGUAGE, main)
    (stray,) = result.files.unowned
    assert stray.path == "/usr/local/bin/stray"
    assert stray.size == HOST_ELF.stat().st_size
    assert stray.elf is ElfKind.EXECUTABLE  # a PIE with an interpreter
    assert result.files.by_type[0].owner == "go-module"


def test_elf_kinds_from_analysis_summaries() -> None:
    assert elf_kind({"type": "ET_DYN"}) is ElfKind.SHARED_LIBRARY
    assert elf_kind({"type": "ET_DYN", "interpreter": "/lib64/ld-linux-x86-64.so.2"}) is ElfKind.EXECUTABLE
    assert elf_kind({"type": "ET_EXEC"}) is ElfKind.EXECUTABLE
    assert elf_kind({"type": "ET_REL"}) is ElfKind.OBJECT
    assert elf_kind({"error": "truncated"}) is None
    assert elf_kind(None) is None


def test_invisible_packages_own_no_visible_files(merged_usr: Path) -> None:
    removed = replace(_deb("tool", ["/bin/tool"]), visible=False)
    result = relate_ownership(_view(merged_usr), [removed])
    assert "/usr/bin/tool" in {u.path for u in result.files.unowned}


class _MemoryView(FileView):
    """A flat in-memory view of regular files (no content), for timing the pass alone."""

    def __init__(self, paths: list[str], links: dict[str, str]) -> None:
        digest = "sha256:" + "2" * 64
        self._records = {p: FileRecord(p, FileKind.FILE, 10, 0o644, 0, digest) for p in paths}
        for path, target in links.items():
            self._records[path] = FileRecord(path, FileKind.SYMLINK, 0, 0o777, 0, digest, link_target=target)

    def files(self) -> Iterator[FileRecord]:
        yield from self._records.values()

    def get(self, path: str) -> FileRecord | None:
        return self._records.get(path)

    def resolve(self, path: str) -> FileRecord | None:
        return self._records.get(path)

    def read(self, path: str) -> bytes:
        raise FileNotFoundError(path)

    def analysis(self, path: str, analyzer: str) -> Any:
        del path, analyzer

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()


def test_sixty_thousand_files_in_well_under_a_second() -> None:
    paths = [f"/usr/share/many/d{d}/f{f}" for d in range(300) for f in range(200)]
    listed = [p.replace("/usr/share/many/", "/usr/share/alias/") for p in paths[:50_000]]
    packages = [_deb(f"p{i}", listed[i::50]) for i in range(50)]
    view = _MemoryView(paths, {"/usr/share/alias": "many"})
    start = time.process_time()
    result = relate_ownership(view, packages)
    elapsed = time.process_time() - start
    assert result.files.of(OwnerClass.OS).files == 50_000
    assert len(result.files.unowned) == 10_000
    assert elapsed < 1.0, elapsed  # about 0.15 s on the 2-core CI machine; generous for noise
