"""`BundledComponentCataloger` (`elf-bundled`): native components found by the `elf` analyzer.

It reads no file content itself: `from_analyses()` walks the view, reads each ELF summary and
emits one `binary` package per identified component copy. A shared library whose version no
evidence gives inherits it from a linked library of the same component next to it (libssl from
libcrypto, libgssapi_krb5 from libkrb5): the same build made both.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.catalog.bundled.identify import Identified, identify, library_name
from hullscan.catalog.bundled.signatures import signature_named
from hullscan.catalog.interface import AnalysisCataloger, CatalogResult, ParseContext
from hullscan.fileview.interface import FileView
from hullscan.model.files import Coordinates, FileKind, FileRecord
from hullscan.model.inventory import Unknown
from hullscan.model.package import Package, PackageType

CATALOGER_NAME = "elf-bundled"


@dataclass(frozen=True, slots=True)
class _Found:
    record: FileRecord
    summary: dict[str, Any]
    copy: Identified


class BundledComponentCataloger(AnalysisCataloger):
    """Identifies vendored native components (see module docstring)."""

    name = CATALOGER_NAME
    version = "1"
    analyzer = ElfAnalyzer.name

    def from_analyses(self, ctx: ParseContext) -> CatalogResult:
        result = CatalogResult()
        found: list[_Found] = []
        for record, summary in _elf_summaries(ctx.view):
            if summary.get("error"):
                reason = f"unreadable ELF: {summary['error']}"
                result.unknowns.append(Unknown(record.coordinates, self.name, reason))
                continue
            found.extend(_Found(record, summary, copy) for copy in identify(record.path, summary))
        found = _inherit_sibling_versions(found)
        result.packages.extend(_package(item) for item in found)
        return result


def _elf_summaries(view: FileView) -> Iterator[tuple[FileRecord, dict[str, Any]]]:
    for record in view.files():
        if record.kind is not FileKind.FILE:
            continue
        summary = view.analysis(record.path, ElfAnalyzer.name)
        if isinstance(summary, dict):
            yield record, summary


def _inherit_sibling_versions(found: list[_Found]) -> list[_Found]:
    """Give a versionless shared copy the version of a same-component library it links with."""
    by_dir_name: dict[tuple[str, str, str], _Found] = {}
    for item in found:
        if item.copy.linkage != "shared":
            continue
        directory = posixpath.dirname(item.record.path)
        for alias in _names(item):
            by_dir_name[(directory, item.copy.component, alias)] = item
    return [_with_sibling_version(item, found, by_dir_name) for item in found]


def _names(item: _Found) -> set[str]:
    names = {posixpath.basename(item.record.path), library_name(item.record.path)}
    soname = item.summary.get("soname")
    if soname:
        names.update({str(soname), library_name(str(soname))})
    return names


def _with_sibling_version(
    item: _Found, found: list[_Found], index: dict[tuple[str, str, str], _Found]
) -> _Found:
    if item.copy.version is not None or item.copy.linkage != "shared":
        return item
    directory = posixpath.dirname(item.record.path)
    linked = [index.get((directory, item.copy.component, n)) for n in item.summary.get("needed") or ()]
    own = _names(item)
    linked += [
        other
        for other in found
        if other.copy.component == item.copy.component
        and posixpath.dirname(other.record.path) == directory
        and own & set(other.summary.get("needed") or ())
    ]
    versions = {o.copy.version for o in linked if o is not None and o.copy.version and o is not item}
    if len(versions) != 1:
        return item
    version = versions.pop()
    sibling = next(o for o in linked if o is not None and o.copy.version == version)
    note = {"kind": "linked-sibling", "match": sibling.record.path, "version": version}
    copy = dataclasses.replace(item.copy, version=version, evidence=(*item.copy.evidence, note))
    return dataclasses.replace(item, copy=copy)


def _package(item: _Found) -> Package:
    copy, record = item.copy, item.record
    signature = signature_named(copy.component)
    cpe = signature.cpe(copy.version) if signature else None
    purl = signature.purl(copy.version) if signature else f"pkg:generic/{copy.component}"
    metadata: dict[str, Any] = {
        "component": copy.component,
        "version": copy.version,
        "evidence": [dict(e) for e in copy.evidence],
        "linkage": copy.linkage,
        "host_path": record.path,
        "host": None,
        "cpe": cpe,
        "debian_source": signature.debian_source if signature else None,
        "soname": item.summary.get("soname"),
        "build_id": item.summary.get("build_id"),
        "machine": item.summary.get("machine"),
    }
    return Package(
        name=copy.component,
        version=copy.version or "",
        type=PackageType.BINARY,
        purl=purl,
        found_by=CATALOGER_NAME,
        locations=(Coordinates(record.path, record.layer_digest),),
        metadata=metadata,
        layer_digest=record.layer_digest,
        visible=record.visible,
    )
