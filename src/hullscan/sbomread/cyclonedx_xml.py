"""Turn a CycloneDX XML document into the JSON shape `sbomread.cyclonedx` reads.

Parsed with defusedxml (no DTDs, no entity expansion). Only the parts hullscan reads are
converted: metadata (tools, component), components (nested), licences, hashes, supplier, purl,
cpe, properties, evidence occurrences and dependencies.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element as XmlElement

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]  # no stubs published
from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

from hullscan.errors import SbomError
from hullscan.sbomread.cyclonedx import MAX_NESTING

_NAMESPACE = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")


def to_json_shape(data: bytes, reference: str) -> dict[str, Any]:
    """Return the CycloneDX XML document as the dict a CycloneDX JSON document would parse to."""
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise SbomError(f"{reference} is not well-formed, safe XML: {error}") from error
    match = _NAMESPACE.match(root.tag)
    if match is None:
        raise SbomError(f"{reference}: XML root {root.tag!r} is not a CycloneDX bom")
    ns = {"c": root.tag[1:].split("}", 1)[0]}
    converter = _Converter(ns)
    metadata = root.find("c:metadata", ns)
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": match.group(1),
        "metadata": converter.metadata(metadata) if metadata is not None else {},
        "components": [converter.component(c) for c in root.findall("c:components/c:component", ns)],
        "dependencies": [converter.dependency(d) for d in root.findall("c:dependencies/c:dependency", ns)],
    }
    return doc


class _Converter:
    def __init__(self, ns: dict[str, str]) -> None:
        self.ns = ns

    def text(self, element: XmlElement, path: str) -> str | None:
        found = element.find(path, self.ns)
        return found.text.strip() if found is not None and found.text else None

    def metadata(self, element: XmlElement) -> dict[str, Any]:
        tools = [
            {"name": self.text(t, "c:name"), "version": self.text(t, "c:version")}
            for t in [
                *element.findall("c:tools/c:tool", self.ns),
                *element.findall("c:tools/c:components/c:component", self.ns),
            ]
        ]
        component = element.find("c:component", self.ns)
        return {
            "tools": tools,
            "component": self.component(component) if component is not None else {},
        }

    def component(self, element: XmlElement, depth: int = 0) -> dict[str, Any]:
        if depth > MAX_NESTING:
            raise SbomError(f"components nest more than {MAX_NESTING} levels deep")
        item: dict[str, Any] = {"type": element.get("type"), "bom-ref": element.get("bom-ref")}
        for key in ("name", "version", "group", "purl", "cpe", "description", "publisher", "author"):
            value = self.text(element, f"c:{key}")
            if value is not None:
                item[key] = value
        item["licenses"] = self.licenses(element)
        item["hashes"] = [
            {"alg": h.get("alg"), "content": (h.text or "").strip()}
            for h in element.findall("c:hashes/c:hash", self.ns)
        ]
        supplier = element.find("c:supplier", self.ns)
        if supplier is not None:
            item["supplier"] = {
                "name": self.text(supplier, "c:name"),
                "contact": [
                    {"email": self.text(c, "c:email")} for c in supplier.findall("c:contact", self.ns)
                ],
            }
        item["properties"] = [
            {"name": p.get("name"), "value": p.text or ""}
            for p in element.findall("c:properties/c:property", self.ns)
        ]
        item["evidence"] = {
            "occurrences": [
                {"location": self.text(o, "c:location")}
                for o in element.findall("c:evidence/c:occurrences/c:occurrence", self.ns)
            ]
        }
        item["components"] = [
            self.component(c, depth + 1) for c in element.findall("c:components/c:component", self.ns)
        ]
        return item

    def licenses(self, element: XmlElement) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        container = element.find("c:licenses", self.ns)
        if container is None:
            return result
        for child in container:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "expression" and child.text:
                result.append({"expression": child.text.strip()})
            elif tag == "license":
                result.append(
                    {"license": {"id": self.text(child, "c:id"), "name": self.text(child, "c:name")}}
                )
        return result

    def dependency(self, element: XmlElement) -> dict[str, Any]:
        return {
            "ref": element.get("ref"),
            "dependsOn": [d.get("ref") for d in element.findall("c:dependency", self.ns) if d.get("ref")],
        }
