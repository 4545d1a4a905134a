"""Read SPDX 2.2/2.3 documents (JSON, or tag-value via spdx-tools) into an Inventory.

The CONTAINER package (or a described element without purl) is the image, an OPERATING-SYSTEM
package the distribution, every other package a package. Relationships: DEPENDS_ON and
DEPENDENCY_OF become depends-on, CONTAINS/CONTAINED_BY contains; edges hullscan wrote carry a
`hullscan:<kind>` comment and read back exactly. Annotations `KEY=VALUE` (hullscan) and
`Key: value` (Trivy) become properties; Syft's `sourceInfo` path list becomes locations.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from hullscan.encode import sbom_fields as fields
from hullscan.errors import SbomError
from hullscan.model.inventory import Inventory
from hullscan.model.package import RelationshipKind
from hullscan.sbomread.builder import (
    TRIVY,
    DistroFacts,
    Element,
    ImageFacts,
    InventoryBuilder,
    split_conjunction,
)

SUPPORTED_VERSIONS = ("SPDX-2.2", "SPDX-2.3")
HULLSCAN_COMMENT = "hullscan:"
_ACTOR = re.compile(
    r"^\s*(?:Person|Organization|Tool)\s*:\s*(?P<name>.*?)\s*(?:[(<](?P<email>[^)>]*)[)>])?\s*$"
)
_NO_VALUE = {"NOASSERTION", "NONE", ""}
_REVERSED_EDGES = {
    "DEPENDS_ON": (RelationshipKind.DEPENDS_ON, False),
    "DEPENDENCY_OF": (RelationshipKind.DEPENDS_ON, True),
    "RUNTIME_DEPENDENCY_OF": (RelationshipKind.DEPENDS_ON, True),
    "CONTAINS": (RelationshipKind.CONTAINS, False),
    "CONTAINED_BY": (RelationshipKind.CONTAINS, True),
}
"""Foreign edge types hullscan understands: the kind, and whether the edge runs target -> source."""
_WRITTEN_REVERSED = {RelationshipKind.BUNDLED_IN, RelationshipKind.VENDORED_IN, RelationshipKind.BUILT_USING}


def read(doc: Mapping[str, Any], reference: str) -> Inventory:
    """Return the inventory an SPDX 2.x document (JSON shape) describes."""
    version = doc.get("spdxVersion")
    if version not in SUPPORTED_VERSIONS:
        raise SbomError(
            f"{reference}: SPDX version {version or '(missing)'} is not supported",
            hint=f"hullscan reads {', '.join(SUPPORTED_VERSIONS)} (JSON or tag-value), not SPDX 3 yet.",
        )
    creation = _mapping(doc.get("creationInfo"))
    builder = InventoryBuilder(reference=reference, tool=_tool(creation))
    licence_names = {
        _str(e.get("licenseId")): _str(e.get("name")) or _str(e.get("extractedText"))
        for e in map(_mapping, _list(doc.get("hasExtractedLicensingInfos")))
    }
    annotations = _annotations(doc)
    relationships = [_mapping(r) for r in _list(doc.get("relationships"))]
    described = {
        _str(r.get("relatedSpdxElement")) for r in relationships if r.get("relationshipType") == "DESCRIBES"
    }
    described |= {d for d in _list(doc.get("documentDescribes")) if isinstance(d, str)}
    for package in map(_mapping, _list(doc.get("packages"))):
        _add(builder, package, annotations, licence_names, described)
    for relation in relationships:
        _edge(builder, relation)
    return builder.build()


def _add(
    builder: InventoryBuilder,
    package: Mapping[str, Any],
    annotations: Mapping[str, list[fields.Property]],
    licence_names: Mapping[str | None, str | None],
    described: set[str | None],
) -> None:
    ref = _str(package.get("SPDXID")) or ""
    name = _str(package.get("name")) or ""
    props = [*annotations.get(ref, []), *_package_annotations(package)]
    purpose = (_str(package.get("primaryPackagePurpose")) or "").upper().replace("_", "-")
    purl = _purl(package)
    version = _str(package.get("versionInfo"))
    if purpose == "OPERATING-SYSTEM":
        builder.distro = DistroFacts(name, version, _str(package.get("description")), tuple(props))
        return
    if purpose == "CONTAINER" or (ref in described and not purl):
        builder.image = ImageFacts(name, version, tuple(props))
        return
    if not ref or not name:
        builder.warn(f"SPDX package {ref or name or '?'} has no SPDXID or name; skipped")
        return
    builder.add(
        Element(
            ref=ref,
            name=name,
            version=version or "",
            purl=purl,
            licenses=tuple(_licenses(package, licence_names)),
            properties=tuple(props),
            supplier=_actor(_str(package.get("supplier"))),
            cpe=next(_references(package, "cpe23Type"), None),
            hashes=tuple(_checksums(package)),
            paths=tuple(_source_paths(_str(package.get("sourceInfo")))),
        )
    )


def _edge(builder: InventoryBuilder, relation: Mapping[str, Any]) -> None:
    source = _str(relation.get("spdxElementId"))
    target = _str(relation.get("relatedSpdxElement"))
    kind_name = _str(relation.get("relationshipType")) or ""
    if not source or not target:
        return
    comment = _str(relation.get("comment")) or ""
    if comment.startswith(HULLSCAN_COMMENT):
        try:
            kind = RelationshipKind(comment.removeprefix(HULLSCAN_COMMENT).split()[0])
        except (ValueError, IndexError):
            kind = None
        if kind is not None:
            first, second = (target, source) if kind in _WRITTEN_REVERSED else (source, target)
            builder.edge(first, second, kind)
            return
    mapped = _REVERSED_EDGES.get(kind_name)
    if mapped is not None:
        kind, reverse = mapped
        builder.edge(target if reverse else source, source if reverse else target, kind)


def _tool(creation: Mapping[str, Any]) -> str:
    for creator in _list(creation.get("creators")):
        if isinstance(creator, str) and creator.startswith("Tool:"):
            return creator.removeprefix("Tool:").strip()
    return "spdx-document"


def _annotations(doc: Mapping[str, Any]) -> dict[str, list[fields.Property]]:
    """Return document-level annotations (SPDX 2.2 style) as properties per element."""
    result: dict[str, list[fields.Property]] = {}
    for entry in map(_mapping, _list(doc.get("annotations"))):
        element = _str(entry.get("spdxElementId"))
        prop = _annotation_property(entry)
        if element and prop:
            result.setdefault(element, []).append(prop)
    return result


def _package_annotations(package: Mapping[str, Any]) -> Iterator[fields.Property]:
    for entry in map(_mapping, _list(package.get("annotations"))):
        prop = _annotation_property(entry)
        if prop:
            yield prop


def _annotation_property(entry: Mapping[str, Any]) -> fields.Property | None:
    comment = _str(entry.get("comment")) or ""
    if comment.startswith(fields.PREFIX) and "=" in comment:
        name, _, value = comment.partition("=")
        return name, value
    annotator = _str(entry.get("annotator")) or ""
    if "trivy" in annotator.lower() and ": " in comment:
        name, _, value = comment.partition(": ")
        return TRIVY + name.strip(), value.strip()
    return None


def _purl(package: Mapping[str, Any]) -> str:
    return next(_references(package, "purl"), "")


def _references(package: Mapping[str, Any], kind: str) -> Iterator[str]:
    for ref in map(_mapping, _list(package.get("externalRefs"))):
        locator = _str(ref.get("referenceLocator"))
        if ref.get("referenceType") == kind and locator:
            yield locator


def _licenses(package: Mapping[str, Any], names: Mapping[str | None, str | None]) -> Iterator[str]:
    expression = _str(package.get("licenseDeclared"))
    if expression is None or expression.strip() in _NO_VALUE:
        expression = _str(package.get("licenseConcluded"))
    if expression is None or expression.strip() in _NO_VALUE:
        return
    for part in split_conjunction(expression):
        yield (names.get(part) or part) if part.startswith("LicenseRef-") else part


def _actor(text: str | None) -> str | None:
    if not text or text.strip() in _NO_VALUE:
        return None
    match = _ACTOR.match(text)
    if match is None:
        return text.strip()
    name, email = match.group("name"), match.group("email")
    return f"{name} <{email.strip()}>" if email and email.strip() else name or None


def _checksums(package: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for item in map(_mapping, _list(package.get("checksums"))):
        algorithm, value = _str(item.get("algorithm")), _str(item.get("checksumValue"))
        if algorithm and value:
            yield algorithm, value


def _source_paths(text: str | None) -> Iterator[str]:
    """Yield the paths of Syft's `sourceInfo` ("acquired package info from X: /a, /b")."""
    if not text or ": /" not in text:
        return
    for item in text.split(": ", 1)[1].split(","):
        path = item.strip()
        if path.startswith("/"):
            yield path


def parse_tag_value(text: str, reference: str) -> dict[str, Any]:
    """Parse an SPDX tag-value document with spdx-tools and return its JSON shape."""
    from ply.yacc import NullLogger  # type: ignore[import-untyped]  # noqa: PLC0415 - tag-value only
    from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter  # noqa: PLC0415 - tag-value only
    from spdx_tools.spdx.parser.error import SPDXParsingError  # noqa: PLC0415 - tag-value only
    from spdx_tools.spdx.parser.tagvalue.parser import Parser  # noqa: PLC0415 - tag-value only

    logging.getLogger("ply").setLevel(logging.ERROR)
    try:
        # write_tables/debug off: ply would otherwise write parser tables into site-packages
        parser = Parser(write_tables=False, debug=False, errorlog=NullLogger())  # type: ignore[no-untyped-call]
        document = parser.parse(text)  # type: ignore[no-untyped-call]
    except SPDXParsingError as error:
        messages = "; ".join(error.get_messages()[:5])  # type: ignore[no-untyped-call]
        raise SbomError(f"{reference} is not valid SPDX tag-value: {messages}") from error
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        raise SbomError(f"{reference} is not valid SPDX tag-value: {error}") from error
    converted: dict[str, Any] = DocumentConverter().convert(document)  # type: ignore[no-untyped-call]
    return converted


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
