"""Read CycloneDX (1.2 to 1.7) JSON, or XML turned into the same shape, into an Inventory.

Components become packages (nested ones too: a copy nested under a host is CONTAINed by it
unless hullscan's own properties say which edge it is), `dependencies` become depends-on edges,
`metadata.component` describes the image and an operating-system component the distribution.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hullscan.encode import sbom_fields as fields
from hullscan.errors import SbomError
from hullscan.model.inventory import Inventory
from hullscan.model.package import RelationshipKind
from hullscan.sbomread.builder import DistroFacts, Element, ImageFacts, InventoryBuilder, split_conjunction

SUPPORTED_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
MAX_NESTING = 64


def read(doc: Mapping[str, Any], reference: str) -> Inventory:
    """Return the inventory a CycloneDX document (JSON shape) describes."""
    if doc.get("bomFormat") not in (None, "CycloneDX"):
        raise SbomError(f"{reference}: bomFormat is {doc.get('bomFormat')!r}, not CycloneDX")
    version = str(doc.get("specVersion", ""))
    if version not in SUPPORTED_VERSIONS:
        raise SbomError(
            f"{reference}: CycloneDX specVersion {version or '(missing)'} is not supported",
            hint=f"hullscan reads CycloneDX {', '.join(SUPPORTED_VERSIONS)}.",
        )
    metadata = _mapping(doc.get("metadata"))
    builder = InventoryBuilder(reference=reference, tool=_tool(metadata))
    root = _mapping(metadata.get("component"))
    builder.image = ImageFacts(_str(root.get("name")), _str(root.get("version")), _properties(root))
    for component, parent in _walk(_list(doc.get("components")), None, 0):
        _add(builder, component, parent)
    for dependency in _list(doc.get("dependencies")):
        entry = _mapping(dependency)
        source = _str(entry.get("ref"))
        for target in _list(entry.get("dependsOn")):
            target_ref = _str(target.get("ref")) if isinstance(target, Mapping) else _str(target)
            if source and target_ref:
                builder.edge(source, target_ref, RelationshipKind.DEPENDS_ON)
    return builder.build()


def _walk(
    components: list[Any], parent: str | None, depth: int
) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    if depth > MAX_NESTING:
        raise SbomError(f"components nest more than {MAX_NESTING} levels deep")
    for index, item in enumerate(components):
        component = _mapping(item)
        if not component:
            continue
        yield component, parent
        ref = _str(component.get("bom-ref")) or f"#{depth}.{index}"
        yield from _walk(_list(component.get("components")), ref, depth + 1)


def _add(builder: InventoryBuilder, component: Mapping[str, Any], parent: str | None) -> None:
    kind = _str(component.get("type")) or "library"
    name = _str(component.get("name")) or ""
    props = _properties(component)
    if kind == "operating-system":
        builder.distro = DistroFacts(
            name, _str(component.get("version")), _str(component.get("description")), props
        )
        return
    ref = _str(component.get("bom-ref")) or f"component:{name}@{component.get('version')}:{id(component)}"
    if not name:
        builder.warn(f"component {ref!r} has no name; skipped")
        return
    builder.add(
        Element(
            ref=ref,
            name=name,
            version=_str(component.get("version")) or "",
            purl=_str(component.get("purl")) or "",
            licenses=tuple(_licenses(component)),
            properties=props,
            supplier=_supplier(component),
            cpe=_str(component.get("cpe")),
            hashes=tuple(_hashes(component)),
            paths=tuple(_occurrences(component)),
        )
    )
    own_edges = [(n, v) for n, v in props if n.startswith(fields.RELATIONSHIP)]
    for name_, target in own_edges:
        try:
            edge_kind = RelationshipKind(name_.removeprefix(fields.RELATIONSHIP))
        except ValueError:
            builder.warn(f"unknown relationship kind in property {name_!r}")
            continue
        builder.edge(ref, target, edge_kind)
    if parent is not None and not any(n == fields.PACKAGE_ID for n, _ in props):
        builder.edge(parent, ref, RelationshipKind.CONTAINS)


def _tool(metadata: Mapping[str, Any]) -> str:
    tools = metadata.get("tools")
    entries = _list(tools.get("components")) if isinstance(tools, Mapping) else _list(tools)
    for entry in entries:
        tool = _mapping(entry)
        if tool.get("name"):
            return " ".join(str(tool[k]) for k in ("name", "version") if tool.get(k))
    return "cyclonedx-document"


def _licenses(component: Mapping[str, Any]) -> Iterator[str]:
    for choice in _list(component.get("licenses")):
        entry = _mapping(choice)
        if isinstance(entry.get("expression"), str):
            yield from split_conjunction(entry["expression"])
            continue
        licence = _mapping(entry.get("license"))
        text = _str(licence.get("id")) or _str(licence.get("name"))
        if text:
            yield text


def _supplier(component: Mapping[str, Any]) -> str | None:
    supplier = _mapping(component.get("supplier"))
    name = _str(supplier.get("name"))
    contacts = [_mapping(c) for c in _list(supplier.get("contact"))]
    email = next((_str(c.get("email")) for c in contacts if c.get("email")), None)
    if name:
        return f"{name} <{email}>" if email else name
    for key in ("publisher", "author"):
        value = _str(component.get(key))
        if value:
            return value
    return None


def _hashes(component: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for item in _list(component.get("hashes")):
        entry = _mapping(item)
        algorithm, content = _str(entry.get("alg")), _str(entry.get("content"))
        if algorithm and content:
            yield algorithm, content


def _occurrences(component: Mapping[str, Any]) -> Iterator[str]:
    evidence = _mapping(component.get("evidence"))
    for item in _list(evidence.get("occurrences")):
        location = _str(_mapping(item).get("location"))
        if location:
            yield location


def _properties(element: Mapping[str, Any]) -> tuple[fields.Property, ...]:
    pairs = []
    for item in _list(element.get("properties")):
        entry = _mapping(item)
        name, value = _str(entry.get("name")), entry.get("value")
        if name and value is not None:
            pairs.append((name, str(value)))
    return tuple(pairs)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
