"""The façade the CLI (and later the service) calls: one function per user-facing job."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullscan.catalog.inventory_cache import InventoryCache
from hullscan.catalog.registry import default_catalogers, default_policy, warm_up
from hullscan.config import ScanOptions, Scope
from hullscan.fileview.interface import FileView
from hullscan.fileview.policy import CapturePolicy, PolicySource
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.finding import Finding, ScanReport
from hullscan.model.image import ImageDescription, LayerRef, Platform
from hullscan.model.inventory import Inventory
from hullscan.source.detect import open_source
from hullscan.source.interface import ImageSource

if TYPE_CHECKING:
    from hullscan.catalog.interface import Cataloger
    from hullscan.fileview.builder import ProgressCallback

_NOTHING = CapturePolicy(wants=lambda _path: False, fingerprint="files-only")
_MARKERS = (FileKind.WHITEOUT, FileKind.OPAQUE)


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
    policy: PolicySource = _NOTHING,
    progress: ProgressCallback | None = None,
) -> tuple[ImageDescription, FileView]:
    """Open an image and return its description and file view."""
    from hullscan.fileview.builder import build_view  # noqa: PLC0415 - a warm inventory never needs it

    with _source(reference, options) as source:
        return build_view(source, policy, options, progress)


def _created_by(description: ImageDescription) -> list[str]:
    return [h.created_by for h in description.config.history if not h.empty_layer]


def inspect(reference: str, options: ScanOptions, progress: ProgressCallback | None = None) -> ImageReport:
    """Describe an image and count files per layer."""
    description, view = open_view(reference, options, progress=progress)
    per_layer = {index: list(view.layer_records(index)) for index in range(view.layer_count)}
    history = _created_by(description)
    summaries = []
    refs = description.layers or (LayerRef(0, view.layer_digest(0) or "dir", "directory", 0),)
    for ref in refs:
        records = per_layer.get(ref.index, [])
        summaries.append(
            LayerSummary(
                layer=ref,
                files=sum(1 for r in records if r.kind not in (FileKind.DIR, *_MARKERS)),
                directories=sum(1 for r in records if r.kind is FileKind.DIR),
                bytes=sum(r.size for r in records if r.kind is FileKind.FILE),
                whiteouts=sum(1 for r in records if r.kind in _MARKERS),
                created_by=history[ref.index] if ref.index < len(history) else "",
            )
        )
    visible = [r for r in view.files() if r.kind is not FileKind.DIR]
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
    _, view = open_view(reference, dataclasses.replace(options, scope=scope), progress=progress)
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
    policy = default_policy()
    with _source(reference, options) as source:
        description = source.describe()
        cache = InventoryCache(options.cache_dir) if options.use_cache else None
        key = cache.key(description, policy.fingerprint, options.scope) if cache else None
        cached = cache.load(key, description) if cache and key else None
        if cached is not None:
            return cached
        from hullscan.fileview.builder import build_view  # noqa: PLC0415

        description, view = build_view(source, policy, options, progress, while_waiting=warm_up)
    found = _catalog(description, view, default_catalogers(), options.scope, on_catalog_layer)
    if cache and key:
        cache.store(key, found)
    return found


def _catalog(
    description: ImageDescription,
    view: FileView,
    catalogers: list[Cataloger],
    scope: Scope,
    on_catalog_layer: Callable[[int], None] | None,
    *,
    attribute_layers: bool = True,
) -> Inventory:
    """Catalog a view, then link bundled copies and attribute file ownership.

    `attribute_layers=False` skips the per-layer passes that find which layer introduced each
    package (for analyses that compare whole images, such as `upgrade`).
    """
    # Loaded here, not at the top: a warm scan served by the inventory cache never needs them.
    from hullscan.catalog.bundled.link import link_hosts  # noqa: PLC0415
    from hullscan.catalog.distro import identify_distro  # noqa: PLC0415
    from hullscan.catalog.runner import catalog_once, catalog_view  # noqa: PLC0415
    from hullscan.relate.ownership import PathCanonicalizer, relate_ownership  # noqa: PLC0415

    distro = identify_distro(view)
    if attribute_layers:
        output = catalog_view(view, catalogers, distro, scope, on_layer=on_catalog_layer)
    else:
        output = catalog_once(view, catalogers, distro)
    canonical = PathCanonicalizer(view).canonical
    hosted, bundled_edges = link_hosts(output.packages, canonical)
    packages = sorted(hosted, key=lambda p: (p.type.value, p.name, p.version, p.id))
    relationships = list(dict.fromkeys([*output.relationships, *bundled_edges]))
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
    """Inventory an image (or read an SBOM: CycloneDX, SPDX or hullscan JSON) and match it."""
    from hullscan.match.db import AdvisoryDB  # noqa: PLC0415
    from hullscan.match.matcher import filter_findings, match_inventory  # noqa: PLC0415

    scanned = inventory(target, options, progress, on_catalog_layer)  # images and SBOMs alike
    with AdvisoryDB.open(db) as database:
        result = match_inventory(scanned, database)
        classified = patch_classes(result.findings, scanned, database, options.cache_dir)
        location = database.location.display()
    return ScanReport(
        inventory=scanned,
        findings=filter_findings(classified, only_fixed=only_fixed, ignore_unfixed=ignore_unfixed),
        database=location,
        warnings=(*scanned.warnings, *result.warnings),
        packages_looked_up=result.packages_looked_up,
    )


def patch_classes(
    findings: Sequence[Finding], found: Inventory, database: Any, cache_dir: Path
) -> tuple[Finding, ...]:
    """Give each finding its patch class; the release's package index is read only if on this machine."""
    from hullscan.analyze.patchability import classify_findings, release_index  # noqa: PLC0415
    from hullscan.model.package import PackageType  # noqa: PLC0415

    index = None
    if any(finding.package.type is PackageType.DEB and finding.fix for finding in findings):
        platform = found.image.platform
        index = release_index(found.distro, cache_dir, platform.architecture if platform else "amd64")
    return classify_findings(findings, found, index=index, triage=database)


def _upgrade_side(reference: str, options: ScanOptions, progress: ProgressCallback | None) -> Any:
    """Inventory one image for `upgrade`, also capturing /etc and pyvenv.cfg for the analysis."""
    from hullscan.analyze.upgrade import ImageSide, wants_content  # noqa: PLC0415

    default = default_policy()
    base = default.resolve()
    policy = CapturePolicy(
        wants=lambda path: base.wants(path) or wants_content(path),
        analyzers=base.analyzers,
        fingerprint=f"{default.fingerprint}+upgrade1",
    )
    catalogers = default_catalogers()
    squashed = dataclasses.replace(options, scope=Scope.SQUASHED)
    description, view = open_view(reference, squashed, policy, progress)
    found = _catalog(description, view, catalogers, Scope.SQUASHED, None, attribute_layers=False)
    return ImageSide(found, view)


def _upgrade_findings(old: Inventory, new: Inventory, db: str | None) -> tuple[Any, Any, str]:
    """Match both inventories when an advisory DB exists; else say why not."""
    from hullscan.errors import HullscanError  # noqa: PLC0415
    from hullscan.match.db.location import resolve  # noqa: PLC0415

    try:
        location = resolve(db)
        if location.sqlite_path is not None and not location.sqlite_path.is_file():
            why = f"not computed (no advisory DB at {location.display()}; run `hullscan db update`)"
            return None, None, why
        from hullscan.match.db import AdvisoryDB  # noqa: PLC0415
        from hullscan.match.matcher import match_inventory  # noqa: PLC0415

        with AdvisoryDB.open(db) as database:
            return (
                match_inventory(old, database).findings,
                match_inventory(new, database).findings,
                f"matched against {location.display()}",
            )
    except HullscanError as error:
        return None, None, f"not computed (advisory DB unusable: {error.message})"


def upgrade(
    old_reference: str,
    new_reference: str,
    options: ScanOptions,
    *,
    db: str | None = None,
    progress: ProgressCallback | None = None,
) -> Any:
    """Compare image OLD with image NEW: packages, base, ABI, dependencies, vulnerabilities, config."""
    from hullscan.analyze.upgrade import compare_images  # noqa: PLC0415

    old = _upgrade_side(old_reference, options, progress)
    new = _upgrade_side(new_reference, options, progress)
    old_findings, new_findings, note = _upgrade_findings(old.inventory, new.inventory, db)
    return compare_images(
        dataclasses.replace(old, findings=old_findings),
        dataclasses.replace(new, findings=new_findings),
        vulnerability_note=note,
    )


def _compare_database(db: str | None) -> tuple[Any, str]:
    """Open the advisory DB for `compare`; (None, why) when there is none and none was asked for."""
    from hullscan.errors import HullscanError  # noqa: PLC0415
    from hullscan.match.db import AdvisoryDB  # noqa: PLC0415

    if db is not None:
        return AdvisoryDB.open(db), ""
    try:
        return AdvisoryDB.open(None), ""
    except HullscanError as error:
        return None, f"no advisory database ({error.message})"


def _compare_one(reference: str, options: ScanOptions, database: Any, note: str) -> tuple[Any, Inventory]:
    """Inventory one image and gather its `compare` facts (view re-opened from the layer cache)."""
    from hullscan.analyze.compare.facts import finding_counts, image_facts  # noqa: PLC0415
    from hullscan.analyze.compare.freshness import freshness, unknown  # noqa: PLC0415
    from hullscan.match.matcher import match_inventory  # noqa: PLC0415

    found = inventory(reference, options)
    _, view = open_view(reference, options, default_policy())
    if database is None:
        return image_facts(reference, found, view, unknown(note), finding_counts(None, note)), found
    findings = patch_classes(match_inventory(found, database).findings, found, database, options.cache_dir)
    return image_facts(reference, found, view, freshness(found, database), finding_counts(findings)), found


def dedup(references: list[str], options: ScanOptions, inventories: list[Inventory] | None = None) -> Any:
    """Stream every distinct layer of the images once: bytes shared as layers, files and chunks."""
    from contextlib import ExitStack  # noqa: PLC0415

    from hullscan.analyze.dedup.engine import ImageInput, components_of, dedup_images  # noqa: PLC0415

    if inventories is None:
        inventories = [inventory(reference, options) for reference in references]
    with ExitStack() as stack:
        images = [
            ImageInput(reference, stack.enter_context(_source(reference, options)), components_of(found))
            for reference, found in zip(references, inventories, strict=True)
        ]
        return dedup_images(images, options.limits)


def compare(
    references: list[str], options: ScanOptions, *, db: str | None = None, with_dedup: bool = False
) -> Any:
    """Compare images side by side: sizes, file ownership, ecosystems, freshness, findings, sharing."""
    from hullscan.analyze.compare.engine import CompareError  # noqa: PLC0415
    from hullscan.analyze.compare.engine import compare as compare_facts  # noqa: PLC0415
    from hullscan.sbomread import sbom_document  # noqa: PLC0415

    if len(references) < 2:
        raise CompareError(f"compare needs at least two images, got {len(references)}")
    for reference in references:
        if sbom_document(reference) is not None:
            msg = f"{reference} is an SBOM document; compare reads images (sizes, layers, files)"
            raise CompareError(msg)
    database, note = _compare_database(db)
    try:
        pairs = [_compare_one(reference, options, database, note) for reference in references]
    finally:
        if database is not None:
            database.close()
    report = dedup(references, options, [found for _, found in pairs]) if with_dedup else None
    return compare_facts([facts for facts, _ in pairs], report)


def triage(
    report: ScanReport,
    target: str,
    options: ScanOptions,
    *,
    db: str | None = None,
    vex_documents: Sequence[Path] = (),
    policy_file: Path | None = None,
    producers: Sequence[Any] | None = None,
    image_repository: str | None = None,
    use_store: bool = True,
) -> Any:
    """Apply triage statements to a scan: stored ones, `vex_documents`, and evidence producers.

    `producers=None` runs the registered evidence producers; `()` runs none. Returns a
    `hullscan.analyze.vex.TriageResult` (effective statuses, deciding statements, warnings).
    """
    from hullscan.analyze import vex  # noqa: PLC0415 - triage loads on demand
    from hullscan.match.db import AdvisoryDB  # noqa: PLC0415

    policy = vex.load_policy(policy_file)
    chosen = vex.registered_producers() if producers is None else list(producers)
    repository = vex.image_repository(report.inventory.image, image_repository)
    view = _triage_view(target, options) if chosen else None
    inputs = vex.TriageInputs(documents=tuple(vex_documents), producers=tuple(chosen), use_store=use_store)
    with AdvisoryDB.open(db) as database:
        return vex.triage(report, inputs, policy, database=database, view=view, repository=repository)


def _triage_view(target: str, options: ScanOptions) -> FileView | None:
    """The image's file view for evidence producers (None for SBOM input); layers come from the cache."""
    from hullscan.encode.scan_json import is_json_file  # noqa: PLC0415
    from hullscan.sbomread import sbom_document  # noqa: PLC0415

    if is_json_file(Path(target)) or sbom_document(target) is not None:
        return None
    _, view = open_view(target, options, default_policy())
    return view


def unbundle(
    reference: str,
    options: ScanOptions,
    unbundle_options: Any = None,
    *,
    db: str | None = None,
    progress: ProgressCallback | None = None,
) -> Any:
    """Plan replacing an image's critical bundled components with distro packages.

    `unbundle_options` is a `hullscan.analyze.unbundle.UnbundleOptions` (default: Debian 12).
    Returns a `hullscan.analyze.unbundle.UnbundlePlan`.
    """
    from hullscan.analyze import unbundle as analysis  # noqa: PLC0415 - loads on demand
    from hullscan.catalog.bundled.elf import ElfAnalyzer  # noqa: PLC0415
    from hullscan.match.db import AdvisoryDB  # noqa: PLC0415

    chosen = unbundle_options or analysis.UnbundleOptions()
    analysis.parse_distro(chosen.distro)  # a bad --distro fails before the image is read
    scanned = inventory(reference, options, progress)
    _, view = open_view(reference, options, default_policy())

    def elf(path: str) -> Any:
        found = view.analysis(path, ElfAnalyzer.name)
        return found if isinstance(found, dict) else None

    with AdvisoryDB.open(db) as database:
        return analysis.plan_unbundle(
            scanned,
            elf,
            database,
            chosen,
            chosen.cache_dir or options.cache_dir,
            lambda path: view.get(path) is not None,
        )
