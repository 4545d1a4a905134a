"""Go modules compiled into binaries, from the `go-buildinfo` content analysis.

Go binaries are found by content, not by name: the analyzer reads every ELF file's build
info while the layer streams, and this cataloger turns those summaries into packages (the
main module, every dependency with replacements applied, and the Go standard library).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packageurl import PackageURL

from hullscan.catalog.ecosystems.golang_buildinfo import GoBuildInfoAnalyzer
from hullscan.catalog.interface import AnalysisCataloger, CatalogResult, ParseContext, ParseError
from hullscan.model.files import FileRecord
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

ANALYZER = GoBuildInfoAnalyzer.name
STDLIB = "stdlib"
DEVEL = "(devel)"

__all__ = ["GoBinaryCataloger", "GoBuildInfoAnalyzer", "go_purl", "packages_from_buildinfo"]


def go_purl(module_path: str, version: str) -> str:
    """Return `pkg:golang/<module path>@<version>` (no version part for `(devel)` or empty)."""
    namespace, _, name = module_path.rpartition("/")
    purl = PackageURL(
        type="golang",
        namespace=namespace or None,
        name=name,
        version=version if version and version != DEVEL else None,
    )
    return str(purl.to_string())


def _stdlib_version(go_version: str) -> str:
    """Return `go1.21.3` from `go1.21.3 X:boringcrypto` style version strings."""
    return go_version.split(maxsplit=1)[0] if go_version.split() else go_version


def _is_local(replacement: Mapping[str, Any]) -> bool:
    """Return True for a replacement by a directory (`=> ./local (devel)`)."""
    path = str(replacement.get("path") or "")
    return path.startswith(("./", "../", "/")) or replacement.get("version") in ("", DEVEL, None)


def _effective(module: Mapping[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """Return (path, version, sum, replacement metadata) with a module replacement applied.

    A replacement by another module version wins; a replacement by a local directory keeps
    the required path (the directory name identifies nothing) and reports `(devel)`.
    """
    replacement = module.get("replace")
    path, version, digest = str(module["path"]), str(module["version"]), str(module.get("sum") or "")
    if not replacement:
        return path, version, digest, {}
    extra = {"replaced": {"path": path, "version": version}, "replacement": dict(replacement)}
    if _is_local(replacement):
        return path, DEVEL, "", extra
    return str(replacement["path"]), str(replacement["version"]), str(replacement.get("sum") or ""), extra


def _settings(info: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in info.get("settings") or []}


def _package(record: FileRecord, name: str, version: str, found_by: str, metadata: dict[str, Any]) -> Package:
    purl = go_purl(name, version)
    if name == STDLIB:
        purl = str(PackageURL(type="golang", name=STDLIB, version=version.removeprefix("go")).to_string())
    return Package(
        name=name,
        version=version,
        type=PackageType.GO,
        purl=purl,
        found_by=found_by,
        locations=(record.coordinates,),
        metadata=metadata,
    )


def packages_from_buildinfo(
    record: FileRecord, info: Mapping[str, Any], found_by: str = "go-module-binary"
) -> CatalogResult:
    """Return the packages and edges one binary's build info describes.

    Raises ParseError for a damaged summary (`{"error": ...}` or missing fields).
    """
    if "error" in info:
        raise ParseError(str(info["error"]))
    try:
        return _build(record, info, found_by)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParseError(f"incomplete Go build info: {exc}") from exc


def _build(record: FileRecord, info: Mapping[str, Any], found_by: str) -> CatalogResult:
    go_version = str(info["go_version"])
    settings = _settings(info)
    common = {"go_version": go_version, "main_path": info.get("path")}
    if settings.get("GOARCH"):
        common["architecture"] = settings["GOARCH"]
    result = CatalogResult()
    main: Package | None = None
    if info.get("main"):
        path, version, digest, extra = _effective(info["main"])
        meta = common | extra | {"main_module": True, "h1_digest": digest, "build_settings": settings}
        main = _package(record, path, version, found_by, meta)
        result.packages.append(main)
    for dep in info.get("deps") or []:
        path, version, digest, extra = _effective(dep)
        meta = common | extra | {"main_module": False, "h1_digest": digest}
        result.packages.append(_package(record, path, version, found_by, meta))
    stdlib_meta = common | {"main_module": False, "h1_digest": ""}
    result.packages.append(_package(record, STDLIB, _stdlib_version(go_version), found_by, stdlib_meta))
    if main is not None:
        result.relationships.extend(
            Relationship(main.id, dep.id, RelationshipKind.DEPENDS_ON)
            for dep in result.packages
            if dep is not main
        )
    return result


class GoBinaryCataloger(AnalysisCataloger):
    """`go-module-binary`: modules compiled into Go binaries (reads no file content itself)."""

    name = "go-module-binary"
    version = "1"
    analyzer = ANALYZER

    def from_analyses(self, ctx: ParseContext) -> CatalogResult:
        result = CatalogResult()
        for record, info in self.analysed_files(ctx):
            try:
                result.extend(packages_from_buildinfo(record, info, self.name))
            except ParseError as exc:
                result.unknowns.append(self.unknown(record, str(exc)))
        return result
