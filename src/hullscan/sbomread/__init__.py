"""Read SBOM documents (CycloneDX JSON/XML, SPDX JSON/tag-value) back into an Inventory.

`read_sbom(path)` works on documents written by hullscan (exact round trip of packages, ids,
layers, locations and relationships) and by other tools (Syft, Trivy, ...): what a document
does not say is left empty, a package without purl is kept with an `unmatchable_reason`.
"""

from __future__ import annotations

from pathlib import Path

from hullscan.errors import SbomError
from hullscan.model.inventory import Inventory
from hullscan.sbomread.detect import (
    DEFAULT_MAX_BYTES,
    SbomKind,
    decode_text,
    load_json,
    read_capped,
    sniff,
    sniff_path,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SBOM_PREFIX",
    "SbomKind",
    "read_sbom",
    "read_sbom_bytes",
    "sbom_document",
    "sniff",
    "sniff_path",
]

SBOM_PREFIX = "sbom:"
_HULLSCAN_INVENTORY = "hullscan-inventory/"


def sbom_document(reference: str) -> Path | None:
    """Return the file an image reference names if it is an SBOM (`sbom:PATH`, or a sniffed file)."""
    if reference.startswith(SBOM_PREFIX):
        return Path(reference.removeprefix(SBOM_PREFIX))
    path = Path(reference)
    return path if sniff_path(path) is not None else None


def read_sbom(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Inventory:
    """Return the inventory an SBOM file describes; raise SbomError if it is not one we read.

    hullscan's own `sbom -o json` inventory is read too (by `encode.scan_json`).
    """
    file = Path(path)
    data = read_capped(file, max_bytes)
    if sniff(data[:65536]) is SbomKind.JSON and _is_hullscan_inventory(data):
        from hullscan.encode.scan_json import read_inventory  # noqa: PLC0415 - the owner of that format

        return read_inventory(file)
    return read_sbom_bytes(data, f"{SBOM_PREFIX}{file}")


def _is_hullscan_inventory(data: bytes) -> bool:
    try:
        doc = load_json(data, "document")
    except SbomError:
        return False
    return str(doc.get("schema", "")).startswith(_HULLSCAN_INVENTORY)


def read_sbom_bytes(data: bytes, reference: str) -> Inventory:
    """Return the inventory an SBOM document (its raw bytes) describes."""
    # The readers load here: `sbom_document` runs on every image reference and must stay cheap.
    from hullscan.sbomread import cyclonedx, cyclonedx_xml, spdx  # noqa: PLC0415

    kind = sniff(data[:65536])
    if kind is None:
        raise SbomError(f"{reference} is neither CycloneDX (JSON/XML) nor SPDX (JSON/tag-value)")
    if kind is SbomKind.CYCLONEDX_XML:
        return cyclonedx.read(cyclonedx_xml.to_json_shape(data, reference), reference)
    if kind is SbomKind.SPDX_TAG_VALUE:
        return spdx.read(spdx.parse_tag_value(decode_text(data, reference), reference), reference)
    doc = load_json(data, reference)
    if "spdxVersion" in doc:
        return spdx.read(doc, reference)
    if "bomFormat" in doc or "specVersion" in doc:
        return cyclonedx.read(doc, reference)
    if "@context" in doc and "spdx" in str(doc.get("@context")).lower():
        raise SbomError(
            f"{reference} is SPDX 3 (JSON-LD), which hullscan does not read yet", hint="Export SPDX 2.3."
        )
    raise SbomError(f"{reference} is JSON but neither CycloneDX (bomFormat) nor SPDX (spdxVersion)")
