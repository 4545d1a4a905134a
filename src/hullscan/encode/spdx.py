"""SPDX 2.3 JSON and tag-value documents of an inventory, via spdx-tools.

The document DESCRIBES the image package (purpose CONTAINER), which CONTAINS the distribution
(OPERATING_SYSTEM) and every top-level package. Packages carry purl and CPE references,
declared licences (SPDX expressions, LicenseRef-… for free text), package-level checksums and
supplier; `hullscan:` facts (id, type, layer, locations) are annotations. Edges: DEPENDS_ON,
CONTAINS; bundled and vendored copies are CONTAINed by their host; every edge hullscan writes
carries a `hullscan:<kind>` comment so it reads back exactly.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from spdx_tools.common.spdx_licensing import spdx_licensing as tools_licensing
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.annotation import Annotation, AnnotationType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.validation.uri_validators import validate_url
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream as write_json
from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document_to_stream as write_tag_value

from hullscan import __version__
from hullscan.encode import sbom_fields as fields
from hullscan.errors import SbomError
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package as HullscanPackage
from hullscan.model.package import RelationshipKind

DOCUMENT_ID = "SPDXRef-DOCUMENT"
IMAGE_ID = "SPDXRef-Image"
OS_ID = "SPDXRef-OperatingSystem"
NAMESPACE_BASE = "https://spdx.org/spdxdocs/hullscan"
COMMENT_PREFIX = "hullscan:"
_CHECKSUMS = {
    "sha1": ChecksumAlgorithm.SHA1,
    "sha256": ChecksumAlgorithm.SHA256,
    "sha384": ChecksumAlgorithm.SHA384,
    "sha512": ChecksumAlgorithm.SHA512,
}
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")

EDGE_TYPES: dict[RelationshipKind, tuple[RelationshipType, bool]] = {
    RelationshipKind.DEPENDS_ON: (RelationshipType.DEPENDS_ON, False),
    RelationshipKind.CONTAINS: (RelationshipType.CONTAINS, False),
    RelationshipKind.BUNDLED_IN: (RelationshipType.CONTAINS, True),
    RelationshipKind.VENDORED_IN: (RelationshipType.CONTAINS, True),
    RelationshipKind.BUILT_USING: (RelationshipType.BUILD_DEPENDENCY_OF, True),
    RelationshipKind.PROVIDES_SAME: (RelationshipType.OTHER, False),
}
"""SPDX relationship type per edge kind, and whether the SPDX edge runs target -> source."""


def encode_json(inventory: Inventory, options: fields.DocumentOptions | None = None) -> str:
    """Return the inventory as an SPDX 2.3 JSON document."""
    document = build_document(inventory, options or fields.DocumentOptions())
    stream = io.StringIO()
    try:
        write_json(document, stream, validate=False)
    except (ValueError, TypeError) as error:
        raise SbomError(f"cannot write SPDX JSON: {error}") from error
    return stream.getvalue().rstrip("\n") + "\n"


def encode_tag_value(inventory: Inventory, options: fields.DocumentOptions | None = None) -> str:
    """Return the inventory as an SPDX 2.3 tag-value document."""
    document = build_document(inventory, options or fields.DocumentOptions())
    stream = io.StringIO()
    try:
        write_tag_value(document, stream, validate=False)
    except (ValueError, TypeError) as error:
        raise SbomError(f"cannot write SPDX tag-value: {error}") from error
    return stream.getvalue()


def spdx_id(ptype: str, name: str, ref: str) -> str:
    """Return the SPDX identifier of a package: `SPDXRef-Package-<type>-<name>-<ref>`."""
    safe = _UNSAFE.sub("-", f"{ptype}-{name}").strip("-")
    return f"SPDXRef-Package-{safe}-{_UNSAFE.sub('-', ref)}"


@dataclass(slots=True)
class _LicenseRefs:
    """LicenseRef-… identifiers for licence texts that are not SPDX expressions."""

    by_text: dict[str, str] = field(default_factory=dict)

    def ref(self, text: str) -> str:
        known = self.by_text.get(text)
        if known:
            return known
        base = "LicenseRef-" + (_UNSAFE.sub("-", text).strip("-") or "unnamed")
        candidate = base
        if candidate in self.by_text.values():
            candidate = f"{base}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        self.by_text[text] = candidate
        return candidate

    def extracted(self) -> list[ExtractedLicensingInfo]:
        return [
            ExtractedLicensingInfo(license_id=ref, extracted_text=text, license_name=text)
            for text, ref in sorted(self.by_text.items(), key=lambda item: item[1])
        ]


def build_document(inventory: Inventory, options: fields.DocumentOptions) -> Document:
    """Return the spdx-tools model of the inventory."""
    image = inventory.image
    created = fields.document_time(image, options)
    serial = fields.document_serial(image, options, "spdx")
    name = fields.image_name(image)
    creation = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id=DOCUMENT_ID,
        name=name,
        document_namespace=f"{NAMESPACE_BASE}/{_UNSAFE.sub('-', name).strip('-') or 'image'}-{serial}",
        creators=[Actor(ActorType.TOOL, f"hullscan-{__version__}")],
        created=created,
    )
    writer = _Writer(inventory, created)
    writer.add_image()
    writer.add_distro()
    writer.add_packages()
    return Document(
        creation_info=creation,
        packages=writer.packages,
        annotations=writer.annotations,
        relationships=writer.relationships,
        extracted_licensing_info=writer.licenses.extracted(),
    )


class _Writer:
    """Collects SPDX packages, annotations and relationships for one inventory."""

    def __init__(self, inventory: Inventory, created: datetime) -> None:
        self.inventory = inventory
        self.created = created
        self.annotator = Actor(ActorType.TOOL, f"hullscan-{__version__}")
        self.packages: list[Package] = []
        self.annotations: list[Annotation] = []
        self.relationships: list[Relationship] = [
            Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, IMAGE_ID)
        ]
        self.licenses = _LicenseRefs()

    def annotate(self, element: str, props: Iterable[fields.Property]) -> None:
        self.annotations += [
            Annotation(element, AnnotationType.OTHER, self.annotator, self.created, f"{key}={value}")
            for key, value in props
        ]

    def add_image(self) -> None:
        image = self.inventory.image
        refs = []
        if image.manifest_digest:
            refs.append(_purl_ref(f"pkg:oci/image@{image.manifest_digest.replace(':', '%3A')}"))
        self.packages.append(
            Package(
                spdx_id=IMAGE_ID,
                name=fields.image_name(image),
                download_location=SpdxNoAssertion(),
                version=image.manifest_digest or image.id,
                files_analyzed=False,
                primary_package_purpose=PackagePurpose.CONTAINER,
                external_references=refs,
            )
        )
        self.annotate(IMAGE_ID, fields.image_properties(self.inventory))

    def add_distro(self) -> None:
        distro = self.inventory.distro
        if distro is None:
            return
        self.packages.append(
            Package(
                spdx_id=OS_ID,
                name=distro.id,
                download_location=SpdxNoAssertion(),
                version=distro.version_id,
                files_analyzed=False,
                description=distro.pretty_name,
                primary_package_purpose=PackagePurpose.OPERATING_SYSTEM,
            )
        )
        self.annotate(OS_ID, fields.distro_properties(self.inventory))
        self.relationships.append(Relationship(IMAGE_ID, RelationshipType.CONTAINS, OS_ID))

    def add_packages(self) -> None:
        refs = fields.unique_ids(fields.sorted_packages(self.inventory))
        ids = {package.id: spdx_id(package.type.value, package.name, ref) for ref, package in reversed(refs)}
        nested = fields.nesting(self.inventory, (ref for ref, _ in refs))
        for ref, package in refs:
            element = spdx_id(package.type.value, package.name, ref)
            self.packages.append(self._package(element, package))
            self.annotate(element, fields.package_properties(package, self.inventory.image))
            if ref not in nested:
                self.relationships.append(Relationship(IMAGE_ID, RelationshipType.CONTAINS, element))
        edges = sorted(self.inventory.relationships, key=lambda r: (r.source_id, r.target_id, r.kind.value))
        for edge in edges:
            source, target = ids.get(edge.source_id), ids.get(edge.target_id)
            if source is None or target is None:
                continue
            kind, reverse = EDGE_TYPES[edge.kind]
            first, second = (target, source) if reverse else (source, target)
            self.relationships.append(
                Relationship(first, kind, second, comment=COMMENT_PREFIX + edge.kind.value)
            )

    def _package(self, element: str, package: HullscanPackage) -> Package:
        supplier = fields.package_supplier(package)
        authors = fields.package_authors(package)
        homepage = fields.package_homepage(package)
        declared = self._declared(package.licenses)
        source = " ".join(p for p in (package.source_name, package.source_version) if p)
        return Package(
            spdx_id=element,
            name=package.name,
            download_location=SpdxNoAssertion(),
            version=package.version or None,
            supplier=Actor(ActorType.ORGANIZATION, supplier.name, supplier.email) if supplier else None,
            originator=Actor(ActorType.PERSON, ", ".join(a.name for a in authors)) if authors else None,
            files_analyzed=False,
            checksums=[
                Checksum(_CHECKSUMS[h.algorithm], h.hex_value) for h in fields.package_hashes(package)
            ],
            homepage=homepage if homepage and not validate_url(homepage) else None,
            source_info=f"source package: {source}" if source else None,
            license_concluded=SpdxNoAssertion(),
            license_declared=tools_licensing.parse(declared) if declared else SpdxNoAssertion(),
            copyright_text=SpdxNoAssertion(),
            external_references=_references(package),
            primary_package_purpose=PackagePurpose.LIBRARY,
        )

    def _declared(self, texts: Iterable[str]) -> str | None:
        parts = []
        for text in dict.fromkeys(t.strip() for t in texts if t.strip()):
            expression = fields.spdx_expression(text)
            if expression is None:
                parts.append(self.licenses.ref(text))
            else:
                parts.append(f"({expression})" if fields.is_compound(expression) else expression)
        if not parts:
            return None
        return parts[0].removeprefix("(").removesuffix(")") if len(parts) == 1 else " AND ".join(parts)


def _purl_ref(purl: str) -> ExternalPackageRef:
    return ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl)


def _references(package: HullscanPackage) -> list[ExternalPackageRef]:
    refs = [_purl_ref(package.purl)] if package.purl else []
    cpe = package.metadata.get("cpe")
    if isinstance(cpe, str) and cpe.startswith("cpe:2.3:"):
        refs.append(ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type", cpe))
    return refs
