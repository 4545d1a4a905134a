"""Pure readers for JavaScript lockfiles: package-lock.json (v1-v3), yarn.lock (v1, berry), pnpm-lock.yaml.

Each reader returns `LockedPackage`s whose `dependencies` name other entries by their `key`,
so callers only have to map keys to package ids.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

DEPENDENCY_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
_LOCAL_PROTOCOLS = ("workspace:", "link:", "portal:")


class LockfileError(ValueError):
    """A lockfile that cannot be read at all."""


@dataclass(slots=True)
class LockedPackage:
    """One package a lockfile pins."""

    name: str
    version: str
    key: str
    """Where the lockfile places it: `/node_modules/a` (npm), `a@1.0.0` (yarn, pnpm)."""
    dev: bool | None = None
    """True for dev-only packages; None when the lockfile does not say."""
    optional: bool = False
    resolved: str | None = None
    integrity: str | None = None
    dependencies: list[str] = field(default_factory=list)
    """Keys of the entries this one depends on."""


def split_spec(spec: str) -> tuple[str, str]:
    """Split `name@range` (scoped names keep their leading `@`).

    >>> split_spec("@babel/core@^7.0.0")
    ('@babel/core', '^7.0.0')
    """
    at = spec.find("@", 1)
    if at < 0:
        return spec, ""
    return spec[:at], spec[at + 1 :]


def name_from_node_modules_path(path: str) -> str:
    """Return the package name a `.../node_modules/[@scope/]name` directory stands for.

    >>> name_from_node_modules_path("/node_modules/a/node_modules/@s/b")
    '@s/b'
    """
    tail = path.rsplit("node_modules/", 1)[-1]
    parts = tail.split("/")
    return "/".join(parts[:2]) if parts[0].startswith("@") and len(parts) > 1 else parts[0]


def node_resolve(package_dir: str, dependency: str, exists: Callable[[str], bool]) -> str | None:
    """Return the directory Node's resolution picks for `dependency` required from `package_dir`."""
    current = package_dir
    while True:
        if posixpath.basename(current) != "node_modules":
            candidate = posixpath.join(current, "node_modules", dependency)
            if exists(candidate):
                return candidate
        if current in ("/", ""):
            return None
        current = posixpath.dirname(current)


def _loads_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LockfileError(f"not JSON: {exc}") from exc


# package-lock.json -------------------------------------------------------------------------


def parse_package_lock(content: bytes) -> list[LockedPackage]:
    """Read a package-lock.json / npm-shrinkwrap.json / node_modules/.package-lock.json."""
    document = _loads_json(content)
    if not isinstance(document, dict):
        raise LockfileError("top level is not an object")
    entries = document.get("packages")
    if not isinstance(entries, dict):
        entries = dict(_flatten_v1(document.get("dependencies"), ""))
    return _from_entries(entries)


def _flatten_v1(tree: Any, parent: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(tree, dict):
        return
    for alias, entry in tree.items():
        if not isinstance(entry, dict):
            continue
        key = f"{parent}/node_modules/{alias}"
        version = str(entry.get("version", ""))
        flat = {k: entry[k] for k in ("dev", "optional", "resolved", "integrity") if k in entry}
        flat["dependencies"] = entry.get("requires") or {}
        if version.startswith("npm:"):
            flat["name"], flat["version"] = split_spec(version[4:])
        else:
            flat["version"] = version
        yield key.removeprefix("/"), flat
        yield from _flatten_v1(entry.get("dependencies"), key)


def _from_entries(entries: Mapping[str, Any]) -> list[LockedPackage]:
    links: dict[str, str] = {}
    for key, entry in entries.items():
        if isinstance(entry, dict) and entry.get("link") and isinstance(entry.get("resolved"), str):
            links["/" + key] = "/" + entry["resolved"]
    keys = {"/" + k for k, e in entries.items() if isinstance(e, dict)}
    link_names = {target: name_from_node_modules_path(source) for source, target in links.items()}
    packages: list[LockedPackage] = []
    for raw_key, entry in entries.items():
        key = "/" + raw_key
        if not raw_key or not isinstance(entry, dict) or key in links or not entry.get("version"):
            continue
        default_name = name_from_node_modules_path(key) if "node_modules/" in key else posixpath.basename(key)
        package = LockedPackage(
            name=str(entry.get("name") or link_names.get(key) or default_name),
            version=str(entry["version"]),
            key=key,
            dev=bool(entry.get("dev", False)),
            optional=bool(entry.get("optional", False)),
            resolved=entry.get("resolved") if isinstance(entry.get("resolved"), str) else None,
            integrity=entry.get("integrity") if isinstance(entry.get("integrity"), str) else None,
        )
        for dependency in _dependency_names(entry):
            target = node_resolve(key, dependency, keys.__contains__)
            if target is not None:
                package.dependencies.append(links.get(target, target))
        packages.append(package)
    return packages


def _dependency_names(entry: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for field_name in DEPENDENCY_FIELDS:
        value = entry.get(field_name)
        if isinstance(value, dict):
            names.extend(str(n) for n in value)
    return list(dict.fromkeys(names))


# yarn.lock -------------------------------------------------------------------------------


def is_yarn_berry(content: bytes) -> bool:
    """Return True for a yarn 2+ (berry) lockfile, which is YAML with a `__metadata` key."""
    return b"\n__metadata:" in content or content.startswith(b"__metadata:")


def parse_yarn_lock(content: bytes) -> list[LockedPackage]:
    """Read a yarn.lock, classic (v1) or berry."""
    text = content.decode("utf-8", errors="replace")
    blocks = _yarn_berry_blocks(content) if is_yarn_berry(content) else _yarn_v1_blocks(text)
    return _from_yarn_blocks(blocks)


@dataclass(slots=True)
class _YarnBlock:
    specs: list[str]
    fields: dict[str, str] = field(default_factory=dict)
    dependencies: dict[str, str] = field(default_factory=dict)


def _yarn_v1_blocks(text: str) -> list[_YarnBlock]:
    blocks: list[_YarnBlock] = []
    section = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.strip()
        if indent == 0:
            specs = [s.strip().strip('"') for s in stripped.rstrip(":").split(",")]
            blocks.append(_YarnBlock(specs=[s for s in specs if s]))
            section = ""
        elif not blocks:
            raise LockfileError(f"unexpected indented line before any entry: {stripped!r}")
        elif indent == 2 and stripped.endswith(":"):
            section = stripped[:-1]
        elif indent == 2:
            key, _, value = stripped.partition(" ")
            blocks[-1].fields[key.strip('"')] = value.strip().strip('"')
            section = ""
        elif section in DEPENDENCY_FIELDS:
            name, _, value = stripped.partition(" ")
            blocks[-1].dependencies[name.strip('"')] = value.strip().strip('"')
    return blocks


def _yarn_berry_blocks(content: bytes) -> list[_YarnBlock]:
    document = _load_yaml(content)
    blocks: list[_YarnBlock] = []
    for key, entry in document.items():
        if key == "__metadata" or not isinstance(entry, dict):
            continue
        block = _YarnBlock(specs=[s.strip() for s in str(key).split(",") if s.strip()])
        block.fields = {k: str(v) for k, v in entry.items() if isinstance(v, str | int | float)}
        for field_name in DEPENDENCY_FIELDS:
            value = entry.get(field_name)
            if isinstance(value, dict):
                block.dependencies.update({str(k): str(v) for k, v in value.items()})
        blocks.append(block)
    return blocks


def _from_yarn_blocks(blocks: Iterable[_YarnBlock]) -> list[LockedPackage]:
    by_spec: dict[str, LockedPackage] = {}
    pending: list[tuple[LockedPackage, dict[str, str]]] = []
    for block in blocks:
        package = _yarn_package(block)
        if package is None:
            continue
        for spec in block.specs:
            by_spec[spec] = package
        pending.append((package, block.dependencies))
    for package, dependencies in pending:
        for name, wanted in dependencies.items():
            target = by_spec.get(f"{name}@{wanted}") or by_spec.get(f"{name}@npm:{wanted}")
            if target is not None:
                package.dependencies.append(target.key)
    return [package for package, _ in pending]


def _yarn_package(block: _YarnBlock) -> LockedPackage | None:
    version = block.fields.get("version")
    if not version or not block.specs:
        return None
    resolution = block.fields.get("resolution", "")
    name, wanted = split_spec(resolution or block.specs[0])
    if wanted.startswith(_LOCAL_PROTOCOLS):
        return None
    if wanted.startswith("npm:") and "@" in wanted[5:]:
        name = split_spec(wanted[4:])[0]
    return LockedPackage(
        name=name,
        version=version,
        key=f"{name}@{version}",
        resolved=block.fields.get("resolved") or resolution or None,
        integrity=block.fields.get("integrity") or block.fields.get("checksum") or None,
    )


# pnpm-lock.yaml --------------------------------------------------------------------------


def _load_yaml(content: bytes) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - PyYAML (from spdx-tools) loads only for pnpm lockfiles

    try:
        document = yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only
    except yaml.YAMLError as exc:
        raise LockfileError(f"not YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise LockfileError("top level is not a mapping")
    return document


_PEER_SUFFIX = re.compile(r"\(.*$")


def _pnpm_identity(key: str, entry: Mapping[str, Any], major: int) -> tuple[str, str] | None:
    bare = _PEER_SUFFIX.sub("", key.removeprefix("/"))
    if major < 6:
        parts = bare.split("/")
        cut = 2 if parts[0].startswith("@") else 1
        name, version = "/".join(parts[:cut]), "/".join(parts[cut:]).split("_", 1)[0]
    else:
        name, version = split_spec(bare)
    if isinstance(entry.get("name"), str):
        name = entry["name"]
    if isinstance(entry.get("version"), str):
        version = entry["version"]
    return (name, version) if name and version else None


def parse_pnpm_lock(content: bytes) -> list[LockedPackage]:
    """Read a pnpm-lock.yaml (lockfileVersion 5.x, 6.x, 9.x)."""
    document = _load_yaml(content)
    try:
        major = int(float(str(document.get("lockfileVersion", "5"))))
    except ValueError as exc:
        raise LockfileError(f"unknown lockfileVersion {document.get('lockfileVersion')!r}") from exc
    packages = document.get("packages") or {}
    snapshots = document.get("snapshots") or {}
    if not isinstance(packages, dict) or not isinstance(snapshots, dict):
        raise LockfileError("`packages` / `snapshots` is not a mapping")
    found: dict[str, LockedPackage] = {}
    aliases: dict[str, str] = {}
    for key, entry in [*packages.items(), *snapshots.items()]:
        _add_pnpm_entry(found, aliases, str(key), entry if isinstance(entry, dict) else {}, major)
    _link_pnpm(found, aliases, {**packages, **snapshots}, major)
    if major >= 9:
        _pnpm_dev_from_importers(found, aliases, document)
    return list(found.values())


def _add_pnpm_entry(
    found: dict[str, LockedPackage], aliases: dict[str, str], key: str, entry: Mapping[str, Any], major: int
) -> None:
    known = aliases.get(_PEER_SUFFIX.sub("", key))
    identity = _pnpm_identity(key, entry, major)
    if identity is None:
        return
    canonical = known or f"{identity[0]}@{identity[1]}"
    aliases[key] = canonical
    package = found.get(canonical)
    if package is None:
        resolution = entry.get("resolution")
        integrity = resolution.get("integrity") if isinstance(resolution, dict) else None
        package = LockedPackage(name=identity[0], version=identity[1], key=canonical, integrity=integrity)
        found[canonical] = package
    if isinstance(entry.get("dev"), bool):
        package.dev = entry["dev"]
    package.optional = package.optional or bool(entry.get("optional"))


def _pnpm_target(name: str, ref: str, major: int) -> list[str]:
    if ref.startswith("/"):
        return [ref]
    if major < 6:
        return [f"/{name}/{ref}"]
    return [f"/{name}@{ref}", f"{name}@{ref}"]


def _link_pnpm(
    found: dict[str, LockedPackage], aliases: dict[str, str], entries: Mapping[str, Any], major: int
) -> None:
    for key, entry in entries.items():
        source = aliases.get(str(key))
        if source is None or not isinstance(entry, dict):
            continue
        for field_name in ("dependencies", "optionalDependencies"):
            value = entry.get(field_name)
            if not isinstance(value, dict):
                continue
            for name, ref in value.items():
                target = _pnpm_resolve(aliases, str(name), str(ref), major)
                if target is not None and target not in found[source].dependencies:
                    found[source].dependencies.append(target)


def _pnpm_resolve(aliases: Mapping[str, str], name: str, ref: str, major: int) -> str | None:
    for candidate in _pnpm_target(name, ref, major):
        if candidate in aliases:
            return aliases[candidate]
    stripped = _PEER_SUFFIX.sub("", ref).split("_", 1)[0] if major < 6 else _PEER_SUFFIX.sub("", ref)
    return aliases.get(f"{name}@{stripped}") or aliases.get(f"/{name}@{stripped}")


def _pnpm_dev_from_importers(
    found: dict[str, LockedPackage], aliases: Mapping[str, str], document: Mapping[str, Any]
) -> None:
    prod: list[str] = []
    dev: list[str] = []
    importers = document.get("importers") or {}
    for importer in importers.values() if isinstance(importers, dict) else ():
        if not isinstance(importer, dict):
            continue
        for field_name, sink in (
            ("dependencies", prod),
            ("optionalDependencies", prod),
            ("devDependencies", dev),
        ):
            value = importer.get(field_name)
            for name, spec in (value or {}).items() if isinstance(value, dict) else ():
                ref = spec.get("version") if isinstance(spec, dict) else spec
                target = _pnpm_resolve(aliases, str(name), str(ref), 9)
                if target is not None:
                    sink.append(target)
    reach_prod = _reachable(found, prod)
    reach_dev = _reachable(found, dev)
    for key, package in found.items():
        if key in reach_prod:
            package.dev = False
        elif key in reach_dev:
            package.dev = True


def _reachable(found: Mapping[str, LockedPackage], roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        key = stack.pop()
        if key in seen or key not in found:
            continue
        seen.add(key)
        stack.extend(found[key].dependencies)
    return seen
