"""PHP Composer packages: installed (`vendor/composer/installed.json`) and locked (`composer.lock`).

`installed.json` is a JSON list in Composer 1 and `{"packages": [...], "dev-package-names": [...]}`
in Composer 2; `composer.lock` splits `packages` and `packages-dev`. `require` entries become
DEPENDS_ON edges between packages of the same file (platform requirements like `php` and
`ext-*` are not packages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from packageurl import PackageURL

from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.model.files import FileRecord
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

MAX_JSON_BYTES = 64 * 1024 * 1024


def composer_purl(name: str, version: str) -> str:
    """Return `pkg:composer/<vendor>/<name>@<version>`."""
    vendor, _, project = name.rpartition("/")
    return str(
        PackageURL(type="composer", namespace=vendor or None, name=project, version=version).to_string()
    )


def _load(content: bytes) -> Any:
    if len(content) > MAX_JSON_BYTES:
        raise ParseError(f"{len(content)} bytes is too large for a Composer file")
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from exc


def _licenses(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(str(x) for x in raw if isinstance(x, str))
    return ()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _metadata(entry: Mapping[str, Any], dev: bool) -> dict[str, Any]:
    source = _mapping(entry.get("source"))
    dist = _mapping(entry.get("dist"))
    return {
        "dev": dev,
        "package_type": entry.get("type"),
        "source_url": source.get("url"),
        "source_reference": source.get("reference"),
        "dist_url": dist.get("url"),
        "dist_shasum": dist.get("shasum") or None,
        "require": dict(entry["require"]) if isinstance(entry.get("require"), Mapping) else {},
    }


def packages_from_entries(
    record: FileRecord, entries: Sequence[tuple[Any, bool]], found_by: str
) -> CatalogResult:
    """Turn Composer package objects (each with its dev flag) into packages and edges."""
    result = CatalogResult()
    by_name: dict[str, Package] = {}
    kept: list[tuple[Mapping[str, Any], Package]] = []
    for entry, dev in entries:
        if not isinstance(entry, Mapping):
            raise ParseError("package entry is not an object")
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
            raise ParseError(f"package entry without name or version: {str(dict(entry))[:120]}")
        package = Package(
            name=name,
            version=version,
            type=PackageType.COMPOSER,
            purl=composer_purl(name, version),
            found_by=found_by,
            locations=(record.coordinates,),
            licenses=_licenses(entry.get("license")),
            metadata=_metadata(entry, dev),
        )
        result.packages.append(package)
        by_name.setdefault(name.lower(), package)
        kept.append((entry, package))
    for entry, package in kept:
        require = entry.get("require")
        if not isinstance(require, Mapping):
            continue
        result.relationships.extend(
            Relationship(package.id, by_name[str(dep).lower()].id, RelationshipKind.DEPENDS_ON)
            for dep in require
            if str(dep).lower() in by_name
        )
    return result


class ComposerInstalledCataloger(Cataloger):
    """`php-composer-installed`: packages Composer installed into `vendor/`."""

    name = "php-composer-installed"
    path_hints = PathHints(basenames=frozenset({"installed.json"}))
    version = "1"

    def wants(self, path: str) -> bool:
        return path.endswith("/vendor/composer/installed.json")

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        del ctx
        document = _load(content)
        if isinstance(document, list):
            return packages_from_entries(record, [(e, False) for e in document], self.name)
        if isinstance(document, Mapping) and isinstance(document.get("packages"), list):
            dev_names = document.get("dev-package-names")
            dev = {str(n) for n in dev_names} if isinstance(dev_names, list) else set()
            entries = [(e, isinstance(e, Mapping) and e.get("name") in dev) for e in document["packages"]]
            return packages_from_entries(record, entries, self.name)
        raise ParseError("neither a Composer 1 list nor a Composer 2 {packages: [...]} document")


class ComposerLockCataloger(Cataloger):
    """`php-composer-lock`: packages pinned by `composer.lock` (dev packages flagged)."""

    name = "php-composer-lock"
    path_hints = PathHints(basenames=frozenset({"composer.lock"}))
    version = "1"

    def wants(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "composer.lock"

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        del ctx
        document = _load(content)
        if not isinstance(document, Mapping) or not isinstance(document.get("packages", []), list):
            raise ParseError("composer.lock without a `packages` list")
        dev = document.get("packages-dev") or []
        if not isinstance(dev, list):
            raise ParseError("composer.lock `packages-dev` is not a list")
        entries = [(e, False) for e in document.get("packages", [])] + [(e, True) for e in dev]
        return packages_from_entries(record, entries, self.name)
