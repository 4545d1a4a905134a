"""Rust crates compiled into binaries built with `cargo auditable` (the `.dep-v0` ELF section).

The section holds zlib-compressed JSON: `{"packages": [{"name", "version", "source", "kind",
"dependencies": [indices], "root"}]}`. The `rust-dep-v0` analyzer reads it while the layer
streams; the `rust-cargo-auditable` cataloger turns it into packages and dependency edges.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

from elftools.common.exceptions import ELFError
from packageurl import PackageURL

from hullscan.catalog.bytescan import contains_any, elf_section_names
from hullscan.catalog.interface import AnalysisCataloger, CatalogResult, ParseContext, ParseError
from hullscan.model.files import FileRecord
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

SECTION = ".dep-v0"
ELF_MAGIC = b"\x7fELF"
MAX_ANALYZED_BYTES = 512 * 1024 * 1024
MAX_COMPRESSED_BYTES = 8 * 1024 * 1024
MAX_JSON_BYTES = 32 * 1024 * 1024
MAX_PACKAGES = 100_000


class RustAuditableAnalyzer:
    """Content analyzer `rust-dep-v0`: the cargo-auditable dependency list of ELF binaries."""

    name = "rust-dep-v0"
    version = "1"

    def wants(self, path: str, head: bytes, size: int) -> bool:
        """Analyze ELF files up to 512 MiB."""
        del path
        return head.startswith(ELF_MAGIC) and size <= MAX_ANALYZED_BYTES

    def analyze(self, path: str, stream: BinaryIO, size: int) -> Any:
        """Return `{"packages": [...]}`, `{"error": reason}` if damaged, None if absent."""
        del path, size
        names = elf_section_names(stream)
        if names is not None and SECTION.encode() not in names:
            return None  # the section table has no such section
        if names is None and not contains_any(stream, (SECTION.encode(),)):
            return None  # no section of that name can exist
        section = _find_section(stream)
        if section is None:
            return None
        return _decode_section(section)


def _find_section(stream: BinaryIO) -> Any:
    """Return the pyelftools section named SECTION, None if absent or the ELF is unreadable."""
    from elftools.elf.elffile import ELFFile  # noqa: PLC0415 - loads only for audited binaries

    try:
        return ELFFile(stream).get_section_by_name(SECTION)
    except (ELFError, ValueError, OSError, KeyError, AttributeError):
        return None


def _decode_section(section: Any) -> dict[str, Any]:
    """Return `{"packages": [...]}` from the section, `{"error": reason}` if it is damaged."""
    try:
        if section["sh_size"] > MAX_COMPRESSED_BYTES:
            return {"error": f"{SECTION} section of {section['sh_size']} bytes is implausibly large"}
        return {"packages": decode_dep_v0(section.data())}
    except ParseError as exc:
        return {"error": str(exc)}
    except (ELFError, ValueError, OSError) as exc:
        return {"error": f"unreadable {SECTION} section: {exc}"}


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_JSON_BYTES + 1)
    except zlib.error as exc:
        raise ParseError(f"{SECTION} is not zlib data: {exc}") from exc
    if len(data) > MAX_JSON_BYTES:
        raise ParseError(f"{SECTION} inflates past {MAX_JSON_BYTES} bytes")
    return data


def _clean_package(raw: Any, count: int) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ParseError(f"{SECTION} package entry is not an object")
    name, version = raw.get("name"), raw.get("version")
    if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
        raise ParseError(f"{SECTION} package entry without name or version: {dict(raw)!r:.120}")
    deps = raw.get("dependencies") or []
    if not isinstance(deps, list) or not all(isinstance(d, int) and 0 <= d < count for d in deps):
        raise ParseError(f"{SECTION} package {name} has bad dependency indices")
    return {
        "name": name,
        "version": version,
        "source": str(raw.get("source") or "crates.io"),
        "kind": str(raw.get("kind") or "runtime"),
        "dependencies": deps,
        "root": bool(raw.get("root", False)),
    }


def decode_dep_v0(compressed: bytes) -> list[dict[str, Any]]:
    """Inflate and validate a `.dep-v0` payload; return its package list. Raises ParseError."""
    try:
        document = json.loads(_inflate(compressed))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{SECTION} is not JSON: {exc}") from exc
    packages = document.get("packages") if isinstance(document, Mapping) else None
    if not isinstance(packages, list) or len(packages) > MAX_PACKAGES:
        raise ParseError(f"{SECTION} has no usable package list")
    return [_clean_package(raw, len(packages)) for raw in packages]


def cargo_purl(name: str, version: str) -> str:
    """Return `pkg:cargo/<name>@<version>`."""
    return str(PackageURL(type="cargo", name=name, version=version).to_string())


def packages_from_dep_v0(
    record: FileRecord, summary: Mapping[str, Any], found_by: str = "rust-cargo-auditable"
) -> CatalogResult:
    """Return packages and edges for one binary's analysis summary. Raises ParseError."""
    if "error" in summary:
        raise ParseError(str(summary["error"]))
    entries = summary.get("packages")
    if not isinstance(entries, list):
        raise ParseError("rust analysis without a package list")
    result = CatalogResult()
    for entry in entries:
        metadata = {"source": entry["source"], "kind": entry["kind"], "root": entry["root"]}
        result.packages.append(
            Package(
                name=entry["name"],
                version=entry["version"],
                type=PackageType.RUST,
                purl=cargo_purl(entry["name"], entry["version"]),
                found_by=found_by,
                locations=(record.coordinates,),
                metadata=metadata,
            )
        )
    for entry, package in zip(entries, result.packages, strict=True):
        result.relationships.extend(
            Relationship(package.id, result.packages[index].id, RelationshipKind.DEPENDS_ON)
            for index in entry["dependencies"]
        )
    return result


class RustAuditableCataloger(AnalysisCataloger):
    """`rust-cargo-auditable`: crates recorded in binaries by `cargo auditable`."""

    name = "rust-cargo-auditable"
    version = "1"
    analyzer = RustAuditableAnalyzer.name

    def from_analyses(self, ctx: ParseContext) -> CatalogResult:
        result = CatalogResult()
        for record, summary in self.analysed_files(ctx):
            try:
                result.extend(packages_from_dep_v0(record, summary, self.name))
            except (ParseError, KeyError, TypeError) as exc:
                result.unknowns.append(self.unknown(record, str(exc)))
        return result
