"""The façade the CLI (and later the service) calls: one function per user-facing job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hullscan.catalog.bundled.link import link_bundled, with_hosts
from hullscan.catalog.distro import identify_distro
from hullscan.catalog.registry import default_analyzers, default_catalogers
from hullscan.catalog.runner import capture_policy, catalog_view
from hullscan.config import ScanOptions, Scope
from hullscan.fileview.builder import ProgressCallback, build_view
from hullscan.fileview.interface import FileView
from hullscan.fileview.layer import CapturePolicy
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.finding import ScanReport
from hullscan.model.image import ImageDescription, LayerRef, Platform
from hullscan.model.inventory import Inventory
from hullscan.relate.ownership import relate_ownership
from hullscan.source.detect import open_source
from hullscan.source.interface import ImageSource

_NOTHING = CapturePolicy(wants=lambda _path: False, fingerprint="files-only")


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """Per-layer figures for `inspect`."""

    layer: LayerRef
    files: int
    directories: int
    bytes: int
    whiteouts: int
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class ImageReport:
    """What `hullscan inspect` shows."""

    description: ImageDescription
    layers: tuple[LayerSummary, ...]
    total_files: int
    total_bytes: int
    warnings: tuple[str, ...] = field(default=())


def _source(reference: str, options: ScanOptions) -> ImageSource:
    platform = Platform.parse(options.platform) if options.platform else None
    return open_source(reference, platform=platform, registry=options.registry)


def open_view(
    reference: str,
    options: ScanOptions,
    policy: CapturePolicy = _NOTHING,
    progress: ProgressCallback | None = None,
) -> tuple[ImageDescription, FileView]:
    """Open an image and return its description and file view."""
    with _source(reference, options) as source:
        return build_view(source, policy, options, progress)


def _created_by(description: ImageDescription) -> list[str]:
    return [h.created_by for h in description.config.history if not h.empty_layer]


def inspect(
    reference: str, options: ScanOptions, progress: ProgressCallback | None = None
) -> ImageReport:
    """Describe an image and count files per layer."""
    description, view = open_view(reference, options, progress=progress)
    per_layer: dict[int, list[FileRecord]] = {}
    scope_view = view
    from hullscan.fileview.layered import LayeredView  # noqa: PLC0415

    if isinstance(view, LayeredView):
        for layer in view.layers:
            per_layer[layer.index] = layer.records
    else:
        per_layer[0] = list(view.files())
    history = _created_by(description)
    summaries = []
    refs = description.layers or (LayerRef(0, view.layer_digest(0) or "dir", "directory", 0),)
    for ref in refs:
        records = per_layer.get(ref.index, [])
        summaries.append(
            LayerSummary(
                layer=ref,
                files=sum(1 for r in records if r.kind not in (FileKind.DIR, FileKind.WHITEOUT, FileKind.OPAQUE)),
                directories=sum(1 for r in records if r.kind is FileKind.DIR),
                bytes=sum(r.size for r in records if r.kind is FileKind.FILE),
                whiteouts=sum(1 for r in records if r.kind in (FileKind.WHITEOUT, FileKind.OPAQUE)),
                created_by=history[ref.index] if ref.index < len(history) else "",
            )
        )
    visible = [r for r in scope_view.files() if r.kind is not FileKind.DIR]
    return ImageReport(
        description=description,
        layers=tuple(summaries),
        total_files=len(visible),
        total_bytes=sum(r.size for r in visible if r.kind is FileKind.FILE),
        warnings=view.warnings,
    )


def files(
    reference: str,
    options: ScanOptions,
    layer: int | None = None,
    deleted: bool = False,
    progress: ProgressCallback | None = None,
) -> Iterator[FileRecord]:
    """Yield the image's files; `deleted` shows files hidden by later layers too."""
    scope = Scope.ALL_LAYERS if deleted or layer is not None else options.scope
    from dataclasses import replace  # noqa: PLC0415

    _, view = open_view(reference, replace(options, scope=scope), progress=progress)
    for record in view.files():
        if layer is not None and record.layer_index != layer:
            continue
        if deleted and layer is None and record.visible:
            continue
        yield record


def inventory(
    reference: str,
    options: ScanOptions,
    progress: ProgressCallback | None = None,
    on_catalog_layer: Callable[[int], None] | None = None,
) -> Inventory:
    """Catalog every package in an image, or read it from an SBOM file (CycloneDX/SPDX, by content)."""
    from hullscan.sbomread import read_sbom, sbom_document  # noqa: PLC0415 - spec parsers load on demand

    sbom_file = sbom_document(reference)
    if sbom_file is not None:
        return read_sbom(sbom_file)
    catalogers = default_catalogers()
    analyzers: list[Any] = default_analyzers()
    policy = capture_policy(catalogers, analyzers)
    description, view = open_view(reference, options, policy, progress)
    distro = identify_distro(view)
    output = catalog_view(view, catalogers, distro, options.scope, on_layer=on_catalog_layer)
    packages = sorted(with_hosts(output.packages), key=lambda p: (p.type.value, p.name, p.version, p.id))
    relationships = list(dict.fromkeys([*output.relationships, *link_bundled(packages)]))
    owned = relate_ownership(view, packages)
    return Inventory(
        image=description,
        packages=owned.packages,
        relationships=tuple(dict.fromkeys([*relationships, *owned.relationships])),
        unknowns=tuple(output.unknowns),
        distro=distro,
        warnings=view.warnings,
        files=owned.files,
    )


def scan(
    target: str,
    options: ScanOptions,
    *,
    db: str | None = None,
    only_fixed: bool = False,
    ignore_unfixed: bool = False,
    progress: ProgressCallback | None = None,
    on_catalog_layer: Callable[[int], None] | None = None,
) -> ScanReport:
    """Inventory an image (or read a `hullscan sbom -o json` file) and match it against the advisory DB."""
    from pathlib import Path  # noqa: PLC0415

    from hullscan.encode.scan_json import is_json_file, read_inventory  # noqa: PLC0415
    from hullscan.match.db import AdvisoryDB  # noqa: PLC0415
    from hullscan.match.matcher import filter_findings, match_inventory  # noqa: PLC0415

    if is_json_file(Path(target)):
        scanned = read_inventory(Path(target))
    else:
        scanned = inventory(target, options, progress, on_catalog_layer)
    with AdvisoryDB.open(db) as database:
        result = match_inventory(scanned, database)
        location = database.location.display()
    return ScanReport(
        inventory=scanned,
        findings=filter_findings(result.findings, only_fixed=only_fixed, ignore_unfixed=ignore_unfixed),
        database=location,
        warnings=(*scanned.warnings, *result.warnings),
        packages_looked_up=result.packages_looked_up,
    )
