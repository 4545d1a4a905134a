"""CycloneDX (1.6, or 1.5 on request) JSON and XML documents of an inventory, via cyclonedx-python-lib.

The image is the root component (type container); the distribution is an operating-system
component; every package is a library with purl, licences, package-level hashes, supplier and
`hullscan:` properties (id, type, layer, locations). Bundled and vendored copies nest under
their host; `dependencies` carries the depends-on graph; other edge kinds are properties.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from enum import StrEnum

from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.spdx import fixup_id
from packageurl import PackageURL

from hullscan import __version__
from hullscan.encode import sbom_fields as fields
from hullscan.errors import SbomError
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, RelationshipKind

IMAGE_REF = "hullscan-image"
OS_REF = "hullscan-os"
_HASH_ALGORITHMS = {
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
}
_PROPERTY_KINDS = tuple(k for k in RelationshipKind if k is not RelationshipKind.DEPENDS_ON)


class CycloneDxVersion(StrEnum):
    """The CycloneDX spec versions hullscan writes."""

    V1_5 = "1.5"
    V1_6 = "1.6"


_SCHEMA = {CycloneDxVersion.V1_5: SchemaVersion.V1_5, CycloneDxVersion.V1_6: SchemaVersion.V1_6}


def encode_json(
    inventory: Inventory,
    version: CycloneDxVersion = CycloneDxVersion.V1_6,
    options: fields.DocumentOptions | None = None,
) -> str:
    """Return the inventory as a CycloneDX JSON document."""
    return _render(build_bom(inventory, options or fields.DocumentOptions()), OutputFormat.JSON, version)


def encode_xml(
    inventory: Inventory,
    version: CycloneDxVersion = CycloneDxVersion.V1_6,
    options: fields.DocumentOptions | None = None,
) -> str:
    """Return the inventory as a CycloneDX XML document."""
    return _render(build_bom(inventory, options or fields.DocumentOptions()), OutputFormat.XML, version)


def _render(bom: Bom, output_format: OutputFormat, version: CycloneDxVersion) -> str:
    outputter = make_outputter(bom, output_format, _SCHEMA[version])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns about fields older specs cannot hold
        try:
            text = outputter.output_as_string(indent=2)
        except (ValueError, TypeError) as error:
            raise SbomError(f"cannot write CycloneDX {version}: {error}") from error
    return text if text.endswith("\n") else text + "\n"


def build_bom(inventory: Inventory, options: fields.DocumentOptions) -> Bom:
    """Return the cyclonedx-python-lib model of the inventory."""
    image = inventory.image
    root = _image_component(inventory)
    bom = Bom(
        serial_number=fields.document_serial(image, options, "cyclonedx"),
        metadata=BomMetaData(
            timestamp=fields.document_time(image, options),
            tools=ToolRepository(
                components=[Component(type=ComponentType.APPLICATION, name="hullscan", version=__version__)]
            ),
            component=root,
        ),
    )
    refs = fields.unique_ids(fields.sorted_packages(inventory))
    hosts = fields.nesting(inventory, (ref for ref, _ in refs))
    edge_props = fields.relationship_properties(inventory, _PROPERTY_KINDS)
    components = {ref: _package_component(ref, p, inventory, edge_props.get(p.id, [])) for ref, p in refs}
    top_level: list[Component] = []
    for ref, component in components.items():
        host = hosts.get(ref)
        if host is None:
            top_level.append(component)
        else:
            components[host].components.add(component)
    os_component = _os_component(inventory)
    bom.components.update(top_level)
    if os_component is not None:
        bom.components.add(os_component)
    _register_dependencies(bom, inventory, components, root, [*top_level, *_optional(os_component)])
    return bom


def _optional(component: Component | None) -> list[Component]:
    return [component] if component is not None else []


def _register_dependencies(
    bom: Bom,
    inventory: Inventory,
    components: dict[str, Component],
    root: Component,
    top_level: list[Component],
) -> None:
    targets: dict[str, set[str]] = {ref: set() for ref in components}
    for edge in inventory.relationships:
        if (
            edge.kind is RelationshipKind.DEPENDS_ON
            and edge.source_id in targets
            and edge.target_id in targets
        ):
            targets[edge.source_id].add(edge.target_id)
    for ref, component in components.items():
        bom.register_dependency(component, [components[t] for t in sorted(targets[ref])])
    bom.register_dependency(root, top_level)


def _image_component(inventory: Inventory) -> Component:
    image = inventory.image
    return Component(
        type=ComponentType.CONTAINER,
        bom_ref=IMAGE_REF,
        name=fields.image_name(image),
        version=image.manifest_digest or image.id,
        purl=_image_purl(inventory),
        properties=_properties(fields.image_properties(inventory)),
    )


def _image_purl(inventory: Inventory) -> PackageURL | None:
    image = inventory.image
    if not image.manifest_digest:
        return None
    tag = next((t for t in image.repo_tags if ":" in t), None)
    qualifiers: dict[str, str] = {}
    name = "image"
    if tag is not None:
        repository, _, tag_name = tag.rpartition(":")
        name = repository.rsplit("/", 1)[-1].lower() or name
        qualifiers = {"repository_url": repository, "tag": tag_name}
    if image.platform is not None:
        qualifiers["arch"] = image.platform.architecture
    return PackageURL(type="oci", name=name, version=image.manifest_digest, qualifiers=qualifiers)


def _os_component(inventory: Inventory) -> Component | None:
    distro = inventory.distro
    if distro is None:
        return None
    return Component(
        type=ComponentType.OPERATING_SYSTEM,
        bom_ref=OS_REF,
        name=distro.id,
        version=distro.version_id,
        description=distro.pretty_name,
        properties=_properties(fields.distro_properties(inventory)),
    )


def _package_component(
    ref: str, package: Package, inventory: Inventory, edge_props: list[fields.Property]
) -> Component:
    supplier = fields.package_supplier(package)
    homepage = fields.package_homepage(package)
    cpe = package.metadata.get("cpe")
    return Component(
        type=ComponentType.LIBRARY,
        bom_ref=ref,
        name=package.name,
        version=package.version or None,
        purl=_purl(package.purl),
        licenses=licenses(package.licenses),
        hashes=[
            HashType(alg=_HASH_ALGORITHMS[h.algorithm], content=h.hex_value)
            for h in fields.package_hashes(package)
        ],
        supplier=_entity(supplier) if supplier else None,
        author=", ".join(a.name for a in fields.package_authors(package)) or None,
        cpe=cpe if isinstance(cpe, str) and cpe else None,
        external_references=_website(homepage),
        properties=_properties(fields.package_properties(package, inventory.image, edge_props)),
    )


def _purl(text: str) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _entity(party: fields.Party) -> OrganizationalEntity:
    contact = OrganizationalContact(name=party.name, email=party.email) if party.email else None
    return OrganizationalEntity(name=party.name, contacts=[contact] if contact else None)


def _website(url: str | None) -> list[ExternalReference]:
    if url is None:
        return []
    try:
        return [ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(url))]
    except (ValueError, TypeError):
        return []


def _properties(pairs: Iterable[fields.Property]) -> list[Property]:
    return [Property(name=name, value=value) for name, value in pairs]


def licenses(texts: Iterable[str]) -> list[License]:
    """Return CycloneDX licences: one SPDX expression if all parse and one is compound, else one each.

    Each text becomes an SPDX licence id where it is one, otherwise a named licence, so free
    text (Debian's `GPL-2+`, a Python classifier) is kept as the package declared it.
    """
    unique = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
    parsed = [fields.spdx_expression(t) for t in unique]
    if len(unique) == 1 and parsed[0] and fields.is_compound(parsed[0]):
        return [LicenseExpression(parsed[0])]
    if len(unique) > 1 and all(parsed) and any(fields.is_compound(p or "") for p in parsed):
        return [LicenseExpression(" AND ".join(f"({p})" for p in parsed))]
    result: list[License] = []
    for text, expression in zip(unique, parsed, strict=True):
        spdx_id = fixup_id(expression) if expression and not fields.is_compound(expression) else None
        result.append(DisjunctiveLicense(id=spdx_id) if spdx_id else DisjunctiveLicense(name=text))
    return result


__all__ = ["CycloneDxVersion", "build_bom", "encode_json", "encode_xml", "licenses"]
