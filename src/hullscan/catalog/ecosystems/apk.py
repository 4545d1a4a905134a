"""Alpine packages from the apk database (`/lib/apk/db/installed`, `/usr/lib/apk/db/installed`).

The database is blocks of `K:value` lines separated by blank lines: P name, V version,
A arch, o origin (the source package), L licence, m maintainer, D depends, p provides,
F directory then R files in it (Z their checksum). Depends resolve to installed packages
through names, provides (`so:`, `cmd:`, `pc:`, paths) and file ownership in `finish()`. A
block without P or V, or with lines that are not `K:value`, becomes an Unknown.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from packageurl import PackageURL

from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.model.files import FileRecord
from hullscan.model.inventory import Distro, Unknown
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

DB_PATHS = frozenset(("/lib/apk/db/installed", "/usr/lib/apk/db/installed"))
CHECKSUM_PREFIXES = {"Q1": "sha1", "Q2": "sha256"}
_CONSTRAINT = re.compile(r"[<>=~]")


@dataclass(slots=True)
class Block:
    """One package block: its first line number, fields, files and any malformed line."""

    line: int
    fields: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, str | None]] = field(default_factory=list)
    problem: str | None = None


def parse_blocks(text: str) -> list[Block]:
    """Split the installed database into package blocks."""
    blocks: list[Block] = []
    current: Block | None = None
    directory = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            current = None
            continue
        if current is None:
            current = Block(line=number)
            blocks.append(current)
            directory = ""
        key, colon, value = line.partition(":")
        if not colon or len(key) != 1:
            current.problem = current.problem or f"line {number}: not a 'K:value' line"
        elif key == "F":
            directory = value.strip("/")
        elif key == "R":
            prefix = f"/{directory}/" if directory else "/"
            current.files.append({"path": prefix + value, "digest": None})
        elif key == "Z" and current.files:
            current.files[-1]["digest"] = checksum(value)
        elif key not in current.fields:
            current.fields[key] = value
    return blocks


def checksum(value: str) -> str:
    """Turn apk's `Q1<base64 sha1>` into `sha1:<hex>` (unknown forms are kept as written)."""
    algorithm = CHECKSUM_PREFIXES.get(value[:2])
    if algorithm is None:
        return value
    try:
        return f"{algorithm}:{base64.b64decode(value[2:], validate=True).hex()}"
    except (binascii.Error, ValueError):
        return value


def dependency_name(token: str) -> str | None:
    """Return the name a `D:`/`p:` token refers to (`so:libc.so=1` → `so:libc.so`); None for conflicts."""
    if not token or token.startswith("!"):
        return None
    return _CONSTRAINT.split(token, maxsplit=1)[0] or None


def apk_purl(distro: Distro | None, name: str, version: str, arch: str | None, origin: str | None) -> str:
    """Return `pkg:apk/alpine/NAME@VERSION?arch=..&distro=alpine-3.18.4&upstream=ORIGIN`."""
    qualifiers: dict[str, str] = {}
    if arch:
        qualifiers["arch"] = arch
    if distro is not None:
        qualifiers["distro"] = distro.purl_qualifier
    if origin and origin != name:
        qualifiers["upstream"] = origin
    namespace = distro.id if distro is not None else "alpine"
    return str(PackageURL("apk", namespace, name, version, qualifiers or None).to_string())


class ApkDbCataloger(Cataloger):
    """Installed Alpine (and Wolfi/Chainguard) packages from the apk database."""

    name = "apk-db"
    path_hints = PathHints(basenames=frozenset({"installed"}))
    version = "1"

    def wants(self, path: str) -> bool:
        return path in DB_PATHS

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        if b"\x00" in content:
            raise ParseError("binary content (NUL bytes): not an apk installed database")
        result = CatalogResult()
        for block in parse_blocks(content.decode("utf-8", "replace")):
            outcome = self._package(ctx, record, block)
            if isinstance(outcome, Package):
                result.packages.append(outcome)
            else:
                result.unknowns.append(outcome)
        return result

    def _package(self, ctx: ParseContext, record: FileRecord, block: Block) -> Package | Unknown:
        name, version = block.fields.get("P"), block.fields.get("V")
        where = f"block at line {block.line} ({name or 'unnamed'})"
        if block.problem:
            return self.unknown(record, f"{where}: {block.problem}")
        if not name or not version:
            return self.unknown(record, f"{where}: no {'P (name)' if not name else 'V (version)'} line")
        arch, origin, licence = block.fields.get("A"), block.fields.get("o"), block.fields.get("L")
        return Package(
            name=name,
            version=version,
            type=PackageType.APK,
            purl=apk_purl(ctx.distro, name, version, arch, origin),
            found_by=self.name,
            visible=record.visible,
            locations=(record.coordinates,),
            licenses=(licence,) if licence else (),
            source_name=origin or name,
            source_version=version,
            metadata=_metadata(block),
        )

    def finish(self, ctx: ParseContext, packages: Sequence[Package]) -> list[Relationship]:
        del ctx
        return dependency_edges(packages)


def _metadata(block: Block) -> dict[str, Any]:
    fields = block.fields
    sizes = {
        key: int(fields[short])
        for key, short in (("size", "S"), ("installed_size", "I"))
        if fields.get(short, "").isdigit()
    }
    metadata: dict[str, Any] = {
        "architecture": fields.get("A"),
        "origin": fields.get("o"),
        "supplier": fields.get("m"),
        "url": fields.get("U"),
        "description": fields.get("T"),
        "commit": fields.get("c"),
        "checksum": fields.get("C"),
        **sizes,
        "depends": fields.get("D", "").split(),
        "provides": fields.get("p", "").split(),
        "files": block.files,
    }
    return {k: v for k, v in metadata.items() if v is not None}


def dependency_edges(packages: Sequence[Package]) -> list[Relationship]:
    """Return `depends-on` edges for each D: entry an installed package satisfies."""
    ordered = sorted(packages, key=lambda p: (p.name, p.version, p.id))
    providers: dict[str, str] = {}
    for package in ordered:
        providers.setdefault(package.name, package.id)
        for token in package.metadata.get("provides", ()):
            provided = dependency_name(token)
            if provided:
                providers.setdefault(provided, package.id)
    for package in ordered:
        for entry in package.metadata.get("files", ()):
            providers.setdefault(entry["path"], package.id)
    edges: dict[tuple[str, str], Relationship] = {}
    for package in ordered:
        for token in package.metadata.get("depends", ()):
            wanted = dependency_name(token)
            target = providers.get(wanted) if wanted else None
            if target is not None and target != package.id:
                edges.setdefault(
                    (package.id, target),
                    Relationship(package.id, target, RelationshipKind.DEPENDS_ON, note=token),
                )
    return list(edges.values())
