"""File ownership: which package owns each file, and which language packages an OS package installed.

Runs after cataloging, over the packages and the (squashed) file view:

- **OS → language links**: a language package whose evidence file (a dist-info `METADATA`, a
  `package.json`, a Go binary) is listed by an OS package (`python3-yaml` owns
  `/usr/lib/python3/dist-packages/PyYAML-*.egg-info/PKG-INFO`) gets one `contains` edge from that
  OS package and `metadata["os_owner"]` = the OS package's purl, so matching does not count it twice.
- **File ownership**: every visible regular file is attributed to an OS package (its file list),
  else a language package (RECORD / installed-files.txt, a package's `node_modules` directory,
  a binary or archive that is itself the evidence), else reported as unowned with its size,
  layer and ELF kind. Paths listed through symlinked directories (Debian's `/bin` → `/usr/bin`)
  are matched on their real location.

Everything is dict lookups: directories are resolved once each, owners of directories cached.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind
from hullscan.model.ownership import (
    ElfKind,
    FileOwnershipSummary,
    OwnerClass,
    OwnershipTotal,
    UnownedFile,
)
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind
from hullscan.pathnames import join_link, parent

OS_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK})
SELF_EVIDENT_TYPES = frozenset({PackageType.GO, PackageType.RUST, PackageType.JAVA})
"""Language packages whose evidence file (binary, archive) is wholly theirs."""
OS_OWNER_KEY = "os_owner"
"""Metadata key set on a language package installed by an OS package (the OS package's purl)."""
REGULAR_KINDS = frozenset({FileKind.FILE, FileKind.HARDLINK})
MAX_LINK_HOPS = 40
_ELF_TYPES = {"ET_EXEC": ElfKind.EXECUTABLE, "ET_REL": ElfKind.OBJECT, "ET_CORE": ElfKind.CORE}


@dataclass(frozen=True, slots=True)
class OwnershipResult:
    """The packages (language ones marked with their OS owner), new edges, and the file summary."""

    packages: tuple[Package, ...]
    relationships: tuple[Relationship, ...]
    files: FileOwnershipSummary


class PathCanonicalizer:
    """Map a path as a package lists it to where the file really is in the view.

    Only the directory part is resolved (a listed symlink stays itself); each directory once.
    """

    def __init__(self, view: FileView) -> None:
        self._view = view
        self._dirs: dict[str, str] = {"/": "/"}

    def canonical(self, path: str) -> str:
        """Return the real location of `path` (itself when it exists as listed)."""
        if self._view.get(path) is not None:
            return path
        head, _, base = path.rpartition("/")
        directory = self.directory(head or "/")
        return f"{directory}/{base}" if directory != "/" else f"/{base}"

    def directory(self, path: str) -> str:
        """Return the real path of a directory, symlinks followed inside the root."""
        cached = self._dirs.get(path)
        if cached is not None:
            return cached
        resolved = self._resolve(path)
        self._dirs[path] = resolved
        return resolved

    def _resolve(self, path: str) -> str:
        base = self.directory(parent(path))
        candidate = posixpath.join(base, posixpath.basename(path))
        hops = 0
        record = self._view.get(candidate)
        while record is not None and record.kind is FileKind.SYMLINK and hops < MAX_LINK_HOPS:
            hops += 1
            target = join_link(parent(candidate), record.link_target or "")
            candidate = self._directory_of_target(target)
            record = self._view.get(candidate)
        return candidate

    def _directory_of_target(self, target: str) -> str:
        head, base = posixpath.split(target)
        if head in ("", "/"):
            return target
        return posixpath.join(self.directory(head), base)


def owned_paths(package: Package) -> list[str]:
    """Return the absolute paths a package's `metadata["files"]` lists (strings or {path: ...})."""
    files = package.metadata.get("files")
    if not isinstance(files, (list, tuple)):
        return []
    base = posixpath.dirname(package.locations[0].path) if package.locations else "/"
    paths: list[str] = []
    for entry in files:
        raw = entry.get("path") if isinstance(entry, Mapping) else entry
        if isinstance(raw, str) and raw:
            paths.append(raw if raw.startswith("/") else join_link(base, raw))
    return paths


class OwnerIndex:
    """Who owns a path: OS file lists first, then language file lists, then language directories.

    Build it with `owner_index(view, packages)`; `owner(path)` takes a real (canonical) path.
    """

    def __init__(self, canon: PathCanonicalizer, packages: Iterable[Package]) -> None:
        self.canon = canon
        self.os_files: dict[str, Package] = {}
        self.lang_files: dict[str, Package] = {}
        self.lang_dirs: dict[str, Package] = {}
        self._dir_cache: dict[str, Package | None] = {}
        for package in sorted(packages, key=_priority):
            self._add(package)

    def _add(self, package: Package) -> None:
        if package.type is PackageType.BINARY:
            return
        files = self.os_files if package.type in OS_TYPES else self.lang_files
        for path in owned_paths(package):
            files.setdefault(self.canon.canonical(path), package)
        if package.type in OS_TYPES or not package.locations:
            return
        evidence = package.locations[0].path
        if package.type is PackageType.NPM and package.metadata.get("kind") == "installed":
            directory = str(package.metadata.get("path") or posixpath.dirname(evidence))
            self.lang_dirs.setdefault(self.canon.directory(directory), package)
        elif package.type in SELF_EVIDENT_TYPES or package.metadata.get("kind") == "wheel-file":
            self.lang_files.setdefault(self.canon.canonical(evidence), package)

    def owner(self, path: str) -> tuple[OwnerClass, Package | None]:
        """Return the owner class of a file and the package owning it (None when unowned)."""
        found = self.os_files.get(path)
        if found is not None:
            return OwnerClass.OS, found
        found = self.lang_files.get(path)
        if found is None and self.lang_dirs:
            found = self.dir_owner(path.rpartition("/")[0] or "/")
        if found is not None:
            return OwnerClass.LANGUAGE, found
        return OwnerClass.UNOWNED, None

    def dir_owner(self, directory: str) -> Package | None:
        """Return the language package whose directory holds `directory` (innermost wins)."""
        cache = self._dir_cache
        if directory in cache:
            return cache[directory]
        found = self.lang_dirs.get(directory)
        if found is None and directory != "/":
            found = self.dir_owner(directory.rpartition("/")[0] or "/")
        cache[directory] = found
        return found


def _priority(package: Package) -> tuple[int, str, str]:
    """Order owners: a Go binary's main module first, then by name for reproducibility."""
    main = 0 if package.metadata.get("main_module") else 1
    return main, package.name, package.id


def elf_kind(summary: Any) -> ElfKind | None:
    """Return what an `elf` analysis summary describes (None when it is not one)."""
    if not isinstance(summary, Mapping) or "type" not in summary:
        return None
    kind = str(summary["type"])
    if kind == "ET_DYN":
        return ElfKind.EXECUTABLE if summary.get("interpreter") else ElfKind.SHARED_LIBRARY
    return _ELF_TYPES.get(kind, ElfKind.OTHER)


def summarize_files(view: FileView, owners: OwnerIndex) -> FileOwnershipSummary:
    """Attribute every visible regular file to an owner class and package type."""
    by_class: dict[str, list[int]] = {c.value: [0, 0] for c in OwnerClass}
    by_type: dict[str, list[int]] = {}
    unowned: list[UnownedFile] = []
    owner = owners.owner
    for record in view.files():
        if not record.visible or record.kind not in REGULAR_KINDS:
            continue
        owner_class, package = owner(record.path)
        totals = by_class[owner_class]
        totals[0] += 1
        totals[1] += record.size
        if package is None:
            elf = elf_kind(view.analysis(record.path, "elf")) if record.kind is FileKind.FILE else None
            unowned.append(UnownedFile(record.path, record.size, record.layer_digest, elf))
            continue
        type_totals = by_type.setdefault(package.type.value, [0, 0])
        type_totals[0] += 1
        type_totals[1] += record.size
    return FileOwnershipSummary(
        by_class=tuple(OwnershipTotal(k, v[0], v[1]) for k, v in by_class.items()),
        by_type=tuple(OwnershipTotal(k, v[0], v[1]) for k, v in sorted(by_type.items())),
        unowned=tuple(unowned),
    )


def _os_evidence_owner(
    canon: PathCanonicalizer, package: Package, visible: OwnerIndex, hidden: OwnerIndex
) -> Package | None:
    if package.type in OS_TYPES or package.type is PackageType.BINARY or not package.locations:
        return None
    evidence = canon.canonical(package.locations[0].path)
    if package.visible:
        return visible.os_files.get(evidence)
    return hidden.os_files.get(evidence) or visible.os_files.get(evidence)


def owner_index(view: FileView, packages: Iterable[Package]) -> OwnerIndex:
    """Return the ownership index of `packages` over `view` (invisible packages are skipped)."""
    return OwnerIndex(PathCanonicalizer(view), (p for p in packages if p.visible))


def relate_ownership(view: FileView, packages: Sequence[Package]) -> OwnershipResult:
    """Link OS packages to the language packages they installed, and attribute every file."""
    canon = PathCanonicalizer(view)
    visible = OwnerIndex(canon, (p for p in packages if p.visible))
    hidden = OwnerIndex(canon, (p for p in packages if not p.visible and p.type in OS_TYPES))
    out: list[Package] = []
    edges: list[Relationship] = []
    for package in packages:
        owner = _os_evidence_owner(canon, package, visible, hidden)
        if owner is None:
            out.append(package)
            continue
        edges.append(Relationship(owner.id, package.id, RelationshipKind.CONTAINS, package.locations[0].path))
        metadata = {**package.metadata, OS_OWNER_KEY: owner.purl}
        out.append(dataclasses.replace(package, metadata=metadata))
    return OwnershipResult(tuple(out), tuple(dict.fromkeys(edges)), summarize_files(view, visible))
