"""Build one image's `ImageFacts` from its inventory, its file view and (optionally) its findings.

File ownership comes from the inventory's `files` summary (relate stage: OS / language / unowned).
This module splits out the fourth class, **bundled**: regular files that are native components
(`elf-bundled` copies) carried by a language package (a wheel's `.libs/`, an npm prebuilt), moving
each such file once out of the class the summary counted it in (language, or unowned when no
RECORD lists it). Files an OS package lists stay `os`.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from hullscan.analyze.compare.model import (
    NOT_COMPUTED,
    BundledCopy,
    FindingCounts,
    Freshness,
    ImageFacts,
    LayerFacts,
    OwnershipRow,
)
from hullscan.analyze.patchability.engine import class_totals
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.finding import Finding, Severity
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Inventory
from hullscan.model.ownership import OwnerClass
from hullscan.model.package import Package, PackageType
from hullscan.relate.ownership import OS_TYPES, PathCanonicalizer, owned_paths

BUNDLED = "bundled"
_SCHEMES = frozenset({"oci", "oci-dir", "docker-archive", "dir", "registry"})
_NOISE = frozenset({"oci", "rootfs"})
OWNER_ORDER = (OwnerClass.OS.value, OwnerClass.LANGUAGE.value, BUNDLED, OwnerClass.UNOWNED.value)


def short_name(reference: str) -> str:
    """Return a readable label for an image reference: its last path part, plus a non-latest tag."""
    scheme, sep, body = reference.partition(":")
    if not sep or scheme not in _SCHEMES:
        body = reference
    body = body.lstrip("/") if scheme == "registry" else body
    path, tag = body, ""
    head, colon, tail = body.rpartition(":")
    if colon and head and "/" not in tail:
        path, tag = head, tail
    parts = [p for p in path.rstrip("/").split("/") if p and p not in _NOISE]
    label = parts[-1] if parts else body
    return f"{label}:{tag}" if tag and tag != "latest" else label


def layer_facts(description: ImageDescription, view: FileView) -> tuple[LayerFacts, ...]:
    """Return per-layer sizes: blob bytes from the manifest, file bytes from the layer index."""
    history = [h.created_by for h in description.config.history if not h.empty_layer]
    per_layer: dict[int, list[FileRecord]] = {}
    layers = getattr(view, "layers", None)
    if layers is not None:
        for layer in layers:
            per_layer[layer.index] = layer.records
    else:
        per_layer[0] = list(view.files())
    refs = description.layers
    if not refs:
        records = per_layer.get(0, [])
        return (LayerFacts(0, view.layer_digest(0) or "dir", 0, _bytes(records), _count(records)),)
    out = []
    for ref in refs:
        records = per_layer.get(ref.index, [])
        created_by = history[ref.index] if ref.index < len(history) else ""
        diff_id = ref.diff_id or ref.digest
        out.append(LayerFacts(ref.index, diff_id, ref.size, _bytes(records), _count(records), created_by))
    return tuple(out)


def _bytes(records: Iterable[FileRecord]) -> int:
    return sum(r.size for r in records if r.kind is FileKind.FILE)


def _count(records: Iterable[FileRecord]) -> int:
    return sum(1 for r in records if r.kind is FileKind.FILE)


def _bundled_in_language(packages: Sequence[Package]) -> list[Package]:
    """Return bundled component copies whose host is a language package."""
    out = []
    for package in packages:
        if package.type is not PackageType.BINARY or not package.visible:
            continue
        if "component" not in package.metadata:
            continue
        host = package.metadata.get("host")
        if not isinstance(host, dict) or host.get("type") in {t.value for t in OS_TYPES}:
            continue
        if host.get("type") in (None, PackageType.BINARY.value):
            continue
        out.append(package)
    return out


def bundled_copies(inventory: Inventory, view: FileView) -> tuple[BundledCopy, ...]:
    """Return the native components inside language packages, with their file sizes."""
    out = []
    for package in _bundled_in_language(inventory.packages):
        path = str(package.metadata.get("host_path") or package.locations[0].path)
        record = view.get(path)
        size = record.size if record is not None and record.kind is FileKind.FILE else 0
        host: dict[str, Any] = package.metadata["host"]
        out.append(BundledCopy(package.name, package.version, str(host.get("name", "")), path, size))
    return tuple(sorted(out, key=lambda c: (c.host, c.component, c.path)))


def ownership_rows(
    inventory: Inventory, view: FileView, bundled: Sequence[BundledCopy]
) -> tuple[OwnershipRow, ...]:
    """Return files/bytes per owner class, with bundled native components split out."""
    summary = inventory.files
    if summary is None:
        return ()
    totals = {row.owner: [row.files, row.bytes] for row in summary.by_class}
    canon = PathCanonicalizer(view)
    os_owned = {
        canon.canonical(path)
        for package in inventory.packages
        if package.type in OS_TYPES and package.visible
        for path in owned_paths(package)
    }
    unowned = {item.path for item in summary.unowned}
    seen: set[str] = set()
    moved = [0, 0]
    for copy in bundled:
        path = canon.canonical(copy.path)
        record = view.get(path)
        if path in seen or path in os_owned or record is None or record.kind is not FileKind.FILE:
            continue
        seen.add(path)
        source = OwnerClass.UNOWNED.value if path in unowned else OwnerClass.LANGUAGE.value
        bucket = totals.setdefault(source, [0, 0])
        bucket[0] -= 1
        bucket[1] -= record.size
        moved[0] += 1
        moved[1] += record.size
    totals[BUNDLED] = moved
    return tuple(OwnershipRow(owner, *totals.get(owner, [0, 0])) for owner in OWNER_ORDER)


def package_counts(inventory: Inventory) -> tuple[tuple[str, int], ...]:
    """Return visible package counts per package type, most first."""
    counts = Counter(p.type.value for p in inventory.packages if p.visible)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def finding_counts(findings: Sequence[Finding] | None, note: str = "") -> FindingCounts:
    """Count findings by severity, and by patch class when they were classified (`patchability`).

    Classified findings (or none at all) give every class, cheapest first, zeros included.
    """
    if findings is None:
        return FindingCounts(status=NOT_COMPUTED, note=note or "no advisory database was given")
    severities = Counter(f.severity.value for f in findings)
    by_severity = tuple((s.value, severities[s.value]) for s in reversed(Severity) if severities[s.value])
    classified = all(f.patch_reason for f in findings)
    return FindingCounts(
        status="computed",
        by_severity=by_severity,
        by_patch_class=tuple(class_totals(findings).items()) if classified else (),
        patch_class_status="computed" if classified else NOT_COMPUTED,
        total=len(findings),
        note=note,
    )


def image_facts(
    reference: str,
    inventory: Inventory,
    view: FileView,
    freshness: Freshness,
    findings: FindingCounts,
) -> ImageFacts:
    """Assemble the facts of one image."""
    description = inventory.image
    visible = [r for r in view.files() if r.visible and r.kind is FileKind.FILE]
    bundled = bundled_copies(inventory, view)
    rows = ownership_rows(inventory, view, bundled)
    distro = inventory.distro.pretty_name or inventory.distro.id if inventory.distro else ""
    return ImageFacts(
        reference=reference,
        name=short_name(reference),
        total_bytes=sum(r.size for r in visible),
        total_files=len(visible),
        blob_bytes=sum(layer.size for layer in description.layers),
        layers=layer_facts(description, view),
        ownership=rows,
        ownership_status="computed" if rows else NOT_COMPUTED,
        packages=package_counts(inventory),
        bundled=bundled,
        freshness=freshness,
        findings=findings,
        distro=distro or "",
    )


def unique_names(facts: Sequence[ImageFacts]) -> list[ImageFacts]:
    """Make image labels unique by falling back to the reference where two would collide."""
    counts = Counter(f.name for f in facts)
    out = []
    for item in facts:
        if counts[item.name] <= 1:
            out.append(item)
            continue
        parts = [p for p in posixpath.normpath(item.reference).split("/") if p not in _NOISE]
        label = "/".join(parts[-2:]) if len(parts) >= 2 else item.reference
        out.append(dataclasses.replace(item, name=label))
    return out
