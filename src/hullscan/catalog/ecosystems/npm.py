"""JavaScript packages: installed `node_modules` trees and npm / yarn / pnpm lockfiles.

- `npm-installed`: every package root `.../node_modules/[@scope/]name/package.json` (nested,
  hoisted, pnpm's `.pnpm` store) and Debian's `/usr/share/nodejs`, `/usr/lib/nodejs` trees
  (metadata `os_owned_path: true`). The dev flag comes from `node_modules/.package-lock.json`
  or else the project's `package-lock.json`. Edges follow Node's resolution (walk up).
- `npm-lock`, `yarn-lock`, `pnpm-lock`: lockfiles outside `node_modules`. A lockfile whose
  directory holds an installed `node_modules` is skipped: the installed tree is the truth
  about what the image contains, and reporting both would count every package twice
  (Trivy makes the same choice; syft reports both).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from packageurl import PackageURL

from hullscan.catalog.ecosystems.npm_lockfiles import (
    DEPENDENCY_FIELDS,
    LockedPackage,
    LockfileError,
    name_from_node_modules_path,
    node_resolve,
    parse_package_lock,
    parse_pnpm_lock,
    parse_yarn_lock,
)
from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileRecord
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

OS_NODE_DIRS = ("/usr/share/nodejs", "/usr/lib/nodejs")
_OS_NODE_DIR = re.compile(r"^(/usr/share/nodejs|/usr/lib/nodejs|/usr/lib/[^/]+/nodejs)/")
_NAME = r"(?:@[^/.][^/]*/)?[^/.][^/]*"
_PACKAGE_CHAIN = re.compile(rf"^(?:node_modules/(?:\.pnpm/[^/]+/node_modules/)?{_NAME}/)+package\.json$")
_OS_CHAIN = re.compile(rf"^{_NAME}/(?:node_modules/{_NAME}/)*package\.json$")
HIDDEN_LOCK = "node_modules/.package-lock.json"
INSTALLED_MARKERS = (".package-lock.json", ".yarn-integrity", ".modules.yaml", ".yarn-state.yml")
"""Files package managers leave in a populated `node_modules`."""


def npm_purl(name: str, version: str) -> str:
    """Return `pkg:npm/%40scope/name@version` (or `pkg:npm/name@version`)."""
    namespace, _, bare = name.rpartition("/")
    return PackageURL(type="npm", namespace=namespace or None, name=bare, version=version).to_string()


def installed_package_root(path: str) -> tuple[str, str] | None:
    """Return (project root, path below it) when `path` is a package's own package.json.

    >>> installed_package_root("/app/node_modules/@s/a/node_modules/b/package.json")
    ('/app', 'node_modules/@s/a/node_modules/b/package.json')
    >>> installed_package_root("/app/node_modules/a/test/fixtures/package.json") is None
    True
    """
    os_dir = _OS_NODE_DIR.match(path)
    if os_dir:
        below = path[os_dir.end() :]
        return (os_dir.group(1), below) if _OS_CHAIN.match(below) else None
    head, marker, tail = path.partition("/node_modules/")
    if not marker:
        return None
    below = "node_modules/" + tail
    return (head or "/", below) if _PACKAGE_CHAIN.match(below) else None


def _is_lock_candidate(path: str, *basenames: str) -> bool:
    return posixpath.basename(path) in basenames and "/node_modules/" not in path


def _has_installed_tree(view: FileView, directory: str) -> bool:
    node_modules = posixpath.join(directory, "node_modules")
    if view.get(node_modules) is not None:
        return True
    return any(view.get(posixpath.join(node_modules, marker)) is not None for marker in INSTALLED_MARKERS)


def _licenses(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for value in (manifest.get("license"), *(manifest.get("licenses") or [])):
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
        elif isinstance(value, dict) and isinstance(value.get("type"), str):
            found.append(value["type"])
    return tuple(dict.fromkeys(found))


def _author(manifest: Mapping[str, Any]) -> str | None:
    author = manifest.get("author")
    if isinstance(author, str) and author.strip():
        return author.strip()
    if isinstance(author, dict) and isinstance(author.get("name"), str):
        mail = author.get("email")
        return f"{author['name']} <{mail}>" if isinstance(mail, str) and mail else author["name"]
    return None


def _dependency_specs(manifest: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    specs: dict[str, dict[str, str]] = {}
    for field_name in DEPENDENCY_FIELDS:
        value = manifest.get(field_name)
        if isinstance(value, dict) and value:
            specs[field_name] = {str(k): str(v) for k, v in value.items()}
    return specs


class NpmInstalledCataloger(Cataloger):
    """Finds packages installed in node_modules trees (and Debian's nodejs directories)."""

    name = "npm-installed"
    path_hints = PathHints(basenames=frozenset({"package.json", ".package-lock.json", "package-lock.json"}))
    version = "1"

    def __init__(self) -> None:
        self._lock_cache: dict[str, tuple[FileView, dict[str, bool]]] = {}

    def wants(self, path: str) -> bool:
        return (
            installed_package_root(path) is not None
            or path.endswith("/" + HIDDEN_LOCK)
            or _is_lock_candidate(path, "package-lock.json")
        )

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        located = installed_package_root(record.path)
        if located is None:
            return CatalogResult()
        root, below = located
        try:
            manifest = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"package.json is not JSON: {exc}") from exc
        if not isinstance(manifest, dict):
            raise ParseError("package.json is not a JSON object")
        package_dir = posixpath.dirname(record.path)
        name = manifest.get("name") if isinstance(manifest.get("name"), str) else None
        version = manifest.get("version")
        if not isinstance(version, str) or not version:
            raise ParseError("package.json has no version")
        name = name or name_from_node_modules_path(package_dir)
        os_owned = bool(_OS_NODE_DIR.match(record.path))
        metadata: dict[str, Any] = {"kind": "installed", "path": package_dir, "os_owned_path": os_owned}
        metadata.update(_dependency_specs(manifest))
        author = _author(manifest)
        if author:
            metadata["supplier"] = author
        if not os_owned:
            dev = self._dev_flags(ctx.view, root).get(posixpath.dirname(below))
            if dev is not None:
                metadata["dev"] = dev
        package = Package(
            name=name,
            version=version,
            type=PackageType.NPM,
            purl=npm_purl(name, version),
            found_by=self.name,
            locations=(record.coordinates,),
            licenses=_licenses(manifest),
            metadata=metadata,
        )
        return CatalogResult(packages=[package])

    def _dev_flags(self, view: FileView, root: str) -> dict[str, bool]:
        cached = self._lock_cache.get(root)
        if cached is not None and cached[0] is view:
            return cached[1]
        flags: dict[str, bool] = {}
        for lock in (posixpath.join(root, HIDDEN_LOCK), posixpath.join(root, "package-lock.json")):
            if view.get(lock) is None:
                continue
            try:
                locked = parse_package_lock(view.read(lock))
            except (LockfileError, HullscanError, OSError):
                continue
            flags = {p.key.removeprefix("/"): bool(p.dev) for p in locked}
            break
        self._lock_cache[root] = (view, flags)
        return flags

    def finish(self, ctx: ParseContext, packages: Sequence[Package]) -> list[Relationship]:
        del ctx
        by_dir = {str(p.metadata.get("path")): p for p in packages}
        edges: list[Relationship] = []
        for package in packages:
            package_dir = str(package.metadata.get("path"))
            for field_name in DEPENDENCY_FIELDS:
                for dependency in package.metadata.get(field_name, {}):
                    target = _resolve_installed(package_dir, dependency, by_dir.__contains__)
                    if target is not None and by_dir[target].id != package.id:
                        edges.append(Relationship(package.id, by_dir[target].id, RelationshipKind.DEPENDS_ON))
        return list(dict.fromkeys(edges))


def _resolve_installed(package_dir: str, dependency: str, exists: Callable[[str], bool]) -> str | None:
    found = node_resolve(package_dir, dependency, exists)
    if found is not None:
        return found
    if _OS_NODE_DIR.match(package_dir + "/"):
        for os_dir in OS_NODE_DIRS:
            candidate = posixpath.join(os_dir, dependency)
            if exists(candidate):
                return candidate
    return None


class _LockCataloger(Cataloger):
    """Shared body of the lockfile catalogers: parse, merge duplicates, link."""

    lock_names: tuple[str, ...] = ()
    parse_lock: Callable[[bytes], list[LockedPackage]]

    def wants(self, path: str) -> bool:
        return _is_lock_candidate(path, *self.lock_names)

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        if _has_installed_tree(ctx.view, posixpath.dirname(record.path)):
            return CatalogResult()
        try:
            locked = type(self).parse_lock(content)
        except LockfileError as exc:
            raise ParseError(str(exc)) from exc
        return self._result(record, locked)

    def _result(self, record: FileRecord, locked: Sequence[LockedPackage]) -> CatalogResult:
        merged: dict[tuple[str, str], list[LockedPackage]] = {}
        for entry in locked:
            merged.setdefault((entry.name, entry.version), []).append(entry)
        by_key: dict[str, Package] = {}
        result = CatalogResult()
        for (name, version), copies in merged.items():
            package = self._package(record, name, version, copies)
            result.packages.append(package)
            by_key.update({copy.key: package for copy in copies})
        for entry in locked:
            source = by_key[entry.key]
            for target_key in entry.dependencies:
                target = by_key.get(target_key)
                if target is not None and target.id != source.id:
                    result.relationships.append(
                        Relationship(source.id, target.id, RelationshipKind.DEPENDS_ON)
                    )
        result.relationships = list(dict.fromkeys(result.relationships))
        return result

    def _package(
        self, record: FileRecord, name: str, version: str, copies: Sequence[LockedPackage]
    ) -> Package:
        metadata: dict[str, Any] = {"kind": "lock", "lock_keys": [c.key for c in copies]}
        flags = {c.dev for c in copies}
        if None not in flags:
            metadata["dev"] = all(bool(f) for f in flags)
        if all(c.optional for c in copies):
            metadata["optional"] = True
        first = copies[0]
        if first.resolved:
            metadata["resolved"] = first.resolved
        if first.integrity:
            metadata["integrity"] = first.integrity
        return Package(
            name=name,
            version=version,
            type=PackageType.NPM,
            purl=npm_purl(name, version),
            found_by=self.name,
            locations=(record.coordinates,),
            metadata=metadata,
        )


class NpmLockCataloger(_LockCataloger):
    """Packages pinned by package-lock.json / npm-shrinkwrap.json (v1-v3) without an installed tree."""

    name = "npm-lock"
    path_hints = PathHints(basenames=frozenset({"package-lock.json", "npm-shrinkwrap.json"}))
    version = "1"
    lock_names = ("package-lock.json", "npm-shrinkwrap.json")
    parse_lock = staticmethod(parse_package_lock)


class YarnLockCataloger(_LockCataloger):
    """Packages pinned by yarn.lock (classic v1 and berry) where no node_modules is installed."""

    name = "yarn-lock"
    path_hints = PathHints(basenames=frozenset({"yarn.lock"}))
    version = "1"
    lock_names = ("yarn.lock",)
    parse_lock = staticmethod(parse_yarn_lock)


class PnpmLockCataloger(_LockCataloger):
    """Packages pinned by pnpm-lock.yaml (v5, v6, v9) where no node_modules is installed."""

    name = "pnpm-lock"
    path_hints = PathHints(basenames=frozenset({"pnpm-lock.yaml"}))
    version = "1"
    lock_names = ("pnpm-lock.yaml",)
    parse_lock = staticmethod(parse_pnpm_lock)
