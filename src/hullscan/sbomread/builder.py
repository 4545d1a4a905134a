"""Format-neutral assembly of an Inventory from SBOM elements (CycloneDX components, SPDX packages).

Readers hand over `Element`s (document reference, name, version, purl, licences, properties)
and edges between references; the builder picks the package type, id, locations and layer from
hullscan's own properties or, for other tools, from the purl and their known properties
(Syft `syft:location:N:*`, Trivy `aquasecurity:trivy:*`), and keeps what it cannot place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from packageurl import PackageURL

from hullscan.encode import sbom_fields as fields
from hullscan.model.files import Coordinates
from hullscan.model.image import ImageConfig, ImageDescription, LayerRef, Platform
from hullscan.model.inventory import Distro, Inventory, Unknown
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind, package_id

PURL_TYPES: dict[str, PackageType] = {
    "deb": PackageType.DEB,
    "rpm": PackageType.RPM,
    "apk": PackageType.APK,
    "pypi": PackageType.PYTHON,
    "npm": PackageType.NPM,
    "gem": PackageType.GEM,
    "composer": PackageType.COMPOSER,
    "maven": PackageType.JAVA,
    "golang": PackageType.GO,
    "cargo": PackageType.RUST,
    "generic": PackageType.BINARY,
}
TRIVY = "aquasecurity:trivy:"
SYFT_LOCATION_PREFIX = "syft:location:"
MAX_WARNINGS = 50
"""Past this many, further warnings of the same document are counted, not listed."""


@dataclass(frozen=True, slots=True)
class Element:
    """One package-like element of a document, before it becomes a Package."""

    ref: str
    name: str
    version: str = ""
    purl: str = ""
    licenses: tuple[str, ...] = ()
    properties: tuple[fields.Property, ...] = ()
    supplier: str | None = None
    cpe: str | None = None
    hashes: tuple[tuple[str, str], ...] = ()
    paths: tuple[str, ...] = ()
    """File locations the format itself records (CycloneDX evidence, SPDX sourceInfo)."""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What a document says about the image it describes."""

    name: str | None = None
    version: str | None = None
    properties: tuple[fields.Property, ...] = ()


@dataclass(frozen=True, slots=True)
class DistroFacts:
    """The operating-system element of a document."""

    name: str
    version: str | None = None
    description: str | None = None
    properties: tuple[fields.Property, ...] = ()


@dataclass(slots=True)
class InventoryBuilder:
    """Collects elements and edges of one document and returns the Inventory."""

    reference: str
    tool: str
    """What the document was made by, e.g. `syft 1.18.1`; `found_by` of foreign packages."""
    packages: dict[str, Package] = field(default_factory=dict)
    """Package per document reference."""
    edges: list[tuple[str, str, RelationshipKind]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    image: ImageFacts = field(default_factory=ImageFacts)
    distro: DistroFacts | None = None
    _used_ids: set[str] = field(default_factory=set)
    _dropped_warnings: int = 0

    def warn(self, text: str) -> None:
        """Record a warning (the first MAX_WARNINGS are kept word for word)."""
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(text)
        else:
            self._dropped_warnings += 1

    def add(self, element: Element) -> None:
        """Turn one element into a package."""
        if element.ref in self.packages:
            self.warn(f"duplicate reference {element.ref!r}: relationships name the first one")
            ref = f"{element.ref}#{len(self.packages)}"
        else:
            ref = element.ref
        self.packages[ref] = self._package(element)

    def edge(self, source_ref: str, target_ref: str, kind: RelationshipKind) -> None:
        """Record an edge between two document references (non-packages are dropped later)."""
        self.edges.append((source_ref, target_ref, kind))

    def _package(self, element: Element) -> Package:
        props = _PropertyBag(element.properties)
        ptype, purl_type = _package_type(element.purl, props.first(fields.PACKAGE_TYPE))
        locations = _locations(props, element.paths)
        version = element.version or _purl_version(element.purl)
        metadata = self._metadata(element, props, purl_type)
        wanted_id = props.first(fields.PACKAGE_ID) or package_id(
            ptype.value, element.name, version, locations[0].path if locations else None
        )
        return Package(
            name=element.name,
            version=version,
            type=ptype,
            purl=element.purl,
            found_by=props.first(fields.FOUND_BY) or props.first("syft:package:foundBy") or self.tool,
            locations=locations,
            licenses=element.licenses,
            source_name=props.first(fields.SOURCE_NAME)
            or props.first(TRIVY + "SrcName")
            or _upstream(element.purl),
            source_version=props.first(fields.SOURCE_VERSION) or _trivy_source_version(props),
            metadata=metadata,
            layer_digest=props.first(fields.LAYER_DIGEST) or props.first(TRIVY + "LayerDigest"),
            visible=props.first(fields.HIDDEN) != "true",
            id=self._unique_id(wanted_id),
        )

    def _metadata(self, element: Element, props: _PropertyBag, purl_type: str | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {"sbom_reference": element.ref}
        if element.supplier:
            metadata["supplier"] = element.supplier
        if element.cpe:
            metadata["cpe"] = element.cpe
        if element.hashes:
            metadata["hashes"] = [{"algorithm": a, "value": v} for a, v in element.hashes]
        diff_id = props.first("syft:location:0:layerID") or props.first(TRIVY + "LayerDiffID")
        if diff_id:
            metadata["layer_diff_id"] = diff_id
        reason = props.first(fields.UNMATCHABLE)
        if not element.purl:
            reason = reason or "no purl in the SBOM"
        elif purl_type is not None and purl_type not in PURL_TYPES:
            reason = reason or f"purl type {purl_type!r} is not an ecosystem hullscan knows"
        if reason:
            metadata["unmatchable_reason"] = reason
        return metadata

    def _unique_id(self, wanted: str) -> str:
        candidate, count = wanted, 1
        while candidate in self._used_ids:
            count += 1
            candidate = f"{wanted}-{count}"
        self._used_ids.add(candidate)
        return candidate

    def build(self) -> Inventory:
        """Return the inventory of everything added."""
        relationships = self._relationships()
        image_props = _PropertyBag(self.image.properties)
        if self._dropped_warnings:
            self.warnings.append(f"{self._dropped_warnings} more warnings not shown")
        warnings = [*image_props.all(fields.WARNING), *self.warnings]
        packages = sorted(self.packages.values(), key=lambda p: (p.type.value, p.name, p.version, p.id))
        return Inventory(
            image=self._image(image_props),
            packages=tuple(packages),
            relationships=tuple(relationships),
            unknowns=tuple(_unknowns(image_props.all(fields.UNKNOWN))),
            distro=self._distro(),
            warnings=tuple(warnings),
        )

    def _relationships(self) -> list[Relationship]:
        by_ref = {ref: package.id for ref, package in self.packages.items()}
        found: dict[tuple[str, str, RelationshipKind], Relationship] = {}
        self_loops = 0
        for source_ref, target_ref, kind in self.edges:
            source, target = by_ref.get(source_ref), by_ref.get(target_ref)
            if source is None or target is None:
                continue
            if source == target:
                self_loops += 1
                continue
            found.setdefault((source, target, kind), Relationship(source, target, kind))
        if self_loops:
            self.warn(f"dropped {self_loops} relationships of a package to itself")
        edges = sorted(found.values(), key=lambda r: (r.source_id, r.target_id, r.kind.value))
        cyclic = _packages_on_cycles([e for e in edges if e.kind is RelationshipKind.DEPENDS_ON])
        if cyclic:
            self.warn(
                f"the dependency graph has cycles ({len(cyclic)} packages on or behind one; kept as written)"
            )
        return edges

    def _image(self, props: _PropertyBag) -> ImageDescription:
        manifest = props.first(fields.IMAGE_MANIFEST)
        version = self.image.version or ""
        if manifest is None and version.startswith("sha256:"):
            manifest = version
        platform_text = props.first(fields.IMAGE_PLATFORM)
        try:
            platform = Platform.parse(platform_text) if platform_text else None
        except ValueError:
            platform = None
        return ImageDescription(
            reference=self.reference,
            source_kind="sbom",
            manifest_digest=manifest,
            config_digest=props.first(fields.IMAGE_CONFIG) or props.first(TRIVY + "ImageID"),
            platform=platform,
            config=ImageConfig(created=props.first(fields.IMAGE_CREATED)),
            layers=_layers(props),
            repo_tags=tuple(props.all(fields.IMAGE_REPO_TAG)),
            media_type=props.first(fields.IMAGE_MEDIA_TYPE),
        )

    def _distro(self) -> Distro | None:
        if self.distro is None:
            return None
        props = _PropertyBag(self.distro.properties)
        return Distro(
            id=self.distro.name.lower(),
            version_id=self.distro.version,
            codename=props.first(fields.DISTRO_CODENAME),
            pretty_name=props.first(fields.DISTRO_PRETTY_NAME) or self.distro.description,
            id_like=tuple(props.all(fields.DISTRO_ID_LIKE)),
        )


class _PropertyBag:
    """Name/value pairs where names may repeat."""

    def __init__(self, pairs: Iterable[fields.Property]) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in pairs:
            self.values.setdefault(name, []).append(value)

    def first(self, name: str) -> str | None:
        values = self.values.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, ()))


def split_conjunction(expression: str) -> list[str]:
    """Split a top-level `A AND (B OR C)` into its parts (what hullscan joined on writing)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for word in expression.replace("(", " ( ").replace(")", " ) ").split():
        depth += word == "("
        depth -= word == ")"
        if depth == 0 and word.upper() == "AND":
            parts.append(" ".join(current))
            current = []
        else:
            current.append(word)
    parts.append(" ".join(current))
    return [_unwrap(p) for p in parts if p.strip()]


def _unwrap(text: str) -> str:
    cleaned = text.strip()
    while cleaned.startswith("( ") and cleaned.endswith(" )") and _balanced(cleaned[2:-2]):
        cleaned = cleaned[2:-2].strip()
    return cleaned.replace("( ", "(").replace(" )", ")")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def _package_type(purl: str, declared: str | None) -> tuple[PackageType, str | None]:
    parsed = _parse_purl(purl)
    purl_type = parsed.type if parsed else None
    if declared:
        try:
            return PackageType(declared), purl_type
        except ValueError:
            pass
    return PURL_TYPES.get(purl_type or "", PackageType.BINARY), purl_type


def _parse_purl(purl: str) -> PackageURL | None:
    if not purl:
        return None
    try:
        return PackageURL.from_string(purl)
    except ValueError:
        return None


def _purl_version(purl: str) -> str:
    parsed = _parse_purl(purl)
    return parsed.version or "" if parsed else ""


def _upstream(purl: str) -> str | None:
    parsed = _parse_purl(purl)
    if parsed is None or parsed.type not in {"deb", "rpm", "apk"}:
        return None
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    upstream = qualifiers.get("upstream")
    return upstream.split("@", 1)[0] if upstream else None


def _trivy_source_version(props: _PropertyBag) -> str | None:
    version = props.first(TRIVY + "SrcVersion")
    if not version:
        return None
    release = props.first(TRIVY + "SrcRelease")
    epoch = props.first(TRIVY + "SrcEpoch")
    text = f"{version}-{release}" if release else version
    return f"{epoch}:{text}" if epoch and epoch != "0" else text


def _locations(props: _PropertyBag, paths: Sequence[str]) -> tuple[Coordinates, ...]:
    own: dict[int, dict[str, str]] = {}
    syft: dict[int, dict[str, str]] = {}
    for name, values in props.values.items():
        parsed = fields.parse_location_property(name)
        if parsed is not None:
            own.setdefault(parsed[0], {})[parsed[1]] = values[0]
        elif name.startswith(SYFT_LOCATION_PREFIX):
            index, _, key = name.removeprefix(SYFT_LOCATION_PREFIX).partition(":")
            if index.isdigit():
                syft.setdefault(int(index), {})[key] = values[0]
    if own:
        return tuple(
            Coordinates(_absolute(v["path"]), v.get("layer-digest"))
            for _, v in sorted(own.items())
            if "path" in v
        )
    if syft:
        return tuple(Coordinates(_absolute(v["path"]), None) for _, v in sorted(syft.items()) if "path" in v)
    trivy_path = props.first(TRIVY + "FilePath")
    if trivy_path:
        return (Coordinates(_absolute(trivy_path), props.first(TRIVY + "LayerDigest")),)
    return tuple(Coordinates(_absolute(p), None) for p in dict.fromkeys(paths) if p.strip())


def _absolute(path: str) -> str:
    cleaned = str(PurePosixPath("/" + path.strip().lstrip("/")))
    return cleaned if cleaned != "." else "/"


def _layers(props: _PropertyBag) -> tuple[LayerRef, ...]:
    found: dict[int, dict[str, str]] = {}
    for name, values in props.values.items():
        parsed = fields.parse_image_layer_property(name)
        if parsed is not None:
            found.setdefault(parsed[0], {})[parsed[1]] = values[0]
    return tuple(
        LayerRef(
            index=index,
            digest=layer["digest"],
            media_type=layer.get("media-type", ""),
            size=int(layer["size"]) if layer.get("size", "").isdigit() else 0,
            diff_id=layer.get("diff-id"),
        )
        for index, layer in sorted(found.items())
        if "digest" in layer
    )


def _unknowns(lines: Iterable[str]) -> list[Unknown]:
    unknowns = []
    for line in lines:
        parts = line.split("\t", 3)
        if len(parts) == 4:
            path, layer, cataloger, reason = parts
            unknowns.append(Unknown(Coordinates(path, layer or None), cataloger, reason))
    return unknowns


def _packages_on_cycles(edges: Sequence[Relationship]) -> set[str]:
    """Return the packages a topological sort cannot place: on a cycle, or depending on one."""
    outgoing: dict[str, set[str]] = {}
    incoming: dict[str, int] = {}
    for edge in edges:
        if edge.target_id not in outgoing.setdefault(edge.source_id, set()):
            outgoing[edge.source_id].add(edge.target_id)
            incoming[edge.target_id] = incoming.get(edge.target_id, 0) + 1
        outgoing.setdefault(edge.target_id, set())
    ready = [node for node in outgoing if incoming.get(node, 0) == 0]
    placed: set[str] = set()
    while ready:
        node = ready.pop()
        placed.add(node)
        for target in outgoing[node]:
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return set(outgoing) - placed
