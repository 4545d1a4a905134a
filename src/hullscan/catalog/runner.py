"""Run catalogers over a file view: one walk, only wanted files opened, bad files → Unknowns.

For layered images the runner also learns which layer introduced each package (and, in the
all-layers scope, which packages a later layer removed) by cataloging the view as it stood
after each layer that changed a wanted file.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hullscan.catalog.distro import DISTRO_PATHS
from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError
from hullscan.config import Scope
from hullscan.fileview.interface import FileView
from hullscan.fileview.policy import CapturePolicy, ContentAnalyzer
from hullscan.model.files import Coordinates, FileKind, FileRecord
from hullscan.model.inventory import Distro, Unknown
from hullscan.model.package import Package, Relationship

PackageKey = tuple[str, str, str, str]


class WantedPaths:
    """Answers "which catalogers want this path?" fast, using their path hints as a prefilter."""

    def __init__(self, catalogers: Sequence[Cataloger]) -> None:
        self.hinted = [c for c in catalogers if c.path_hints is not None]
        self.unhinted = [c for c in catalogers if c.path_hints is None]
        hints = [c.path_hints for c in self.hinted if c.path_hints is not None]
        self.basenames = frozenset().union(*(h.basenames for h in hints))
        self.suffixes = tuple(sorted({s for h in hints for s in h.suffixes}))
        self.prefixes = tuple(sorted({p for h in hints for p in h.prefixes}))

    def catalogers_for(self, path: str) -> list[Cataloger]:
        """Return the catalogers whose `wants(path)` is True."""
        chosen = [c for c in self.unhinted if c.wants(path)]
        base = path[path.rfind("/") + 1 :]
        lower = base.lower()
        if base in self.basenames or lower.endswith(self.suffixes) or path.startswith(self.prefixes):
            chosen.extend(
                c
                for c in self.hinted
                if c.path_hints is not None and c.path_hints.may_want(path, base, lower) and c.wants(path)
            )
        return chosen

    def __call__(self, path: str) -> bool:
        return path in DISTRO_PATHS or bool(self.catalogers_for(path))


def capture_policy(
    catalogers: Sequence[Cataloger], analyzers: Sequence[ContentAnalyzer] = ()
) -> CapturePolicy:
    """Return the capture policy that serves these catalogers (and the distro probe)."""
    parts = sorted(f"{c.name}@{c.version}" for c in catalogers)
    parts += sorted(f"analyzer:{a.name}@{a.version}" for a in analyzers)
    fingerprint = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return CapturePolicy(wants=WantedPaths(catalogers), analyzers=tuple(analyzers), fingerprint=fingerprint)


@dataclass(slots=True)
class CatalogOutput:
    """Everything the catalogers found in a view."""

    packages: list[Package] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)


def _key(package: Package) -> PackageKey:
    first = package.locations[0].path if package.locations else ""
    return (package.type.value, package.name, package.version, first)


Interest = Mapping[str, Sequence[Cataloger]]
"""Which catalogers want each path (only paths somebody wants are keys)."""


def interest(view: FileView, catalogers: Sequence[Cataloger]) -> dict[str, list[Cataloger]]:
    """Ask every cataloger once per distinct path of every layer; later walks only look up."""
    wanted_paths = WantedPaths(catalogers)
    wanted: dict[str, list[Cataloger]] = {}
    for path in view.all_paths():
        chosen = wanted_paths.catalogers_for(path)
        if chosen:
            wanted[path] = chosen
    return wanted


def catalog_once(
    view: FileView,
    catalogers: Sequence[Cataloger],
    distro: Distro | None,
    python_version: str | None = None,
    *,
    wanted: Interest | None = None,
    with_analyses: bool = True,
    identity_only: bool = False,
) -> CatalogOutput:
    """Catalog the visible files of one view (one walk).

    `wanted` (from `interest()`) saves asking every cataloger about every path again;
    `with_analyses=False` skips catalogers fed by content analyses (per-layer snapshots);
    `identity_only` lets parsers skip what does not identify a package (see ParseContext).
    """
    ctx = ParseContext(view=view, distro=distro, python_version=python_version, identity_only=identity_only)
    if wanted is None:
        wanted = interest(view, catalogers)
    per_cataloger: dict[str, CatalogResult] = {c.name: CatalogResult() for c in catalogers}
    _walk(ctx, view, wanted, per_cataloger)
    if with_analyses:
        for cataloger in catalogers:
            try:
                per_cataloger[cataloger.name].extend(cataloger.from_analyses(ctx))
            except Exception as exc:  # noqa: BLE001 - a cataloger bug must not end the scan
                reason = f"reading analyses failed: {exc}"
                unknown = Unknown(Coordinates("/"), cataloger.name, reason)
                per_cataloger[cataloger.name].unknowns.append(unknown)
    out = CatalogOutput()
    for cataloger in catalogers:
        result = per_cataloger[cataloger.name]
        out.packages.extend(result.packages)
        out.relationships.extend(result.relationships)
        out.unknowns.extend(result.unknowns)
        try:
            out.relationships.extend(cataloger.finish(ctx, result.packages))
        except Exception as exc:  # noqa: BLE001 - a cataloger bug must not end the scan
            out.unknowns.append(Unknown(Coordinates("/"), cataloger.name, f"linking failed: {exc}"))
    return out


def _walk(ctx: ParseContext, view: FileView, wanted: Interest, sink: dict[str, CatalogResult]) -> None:
    """Parse every visible wanted file once, with the catalogers that want it (those in `sink`)."""
    for record in view.files():
        interested = wanted.get(record.path)
        if not interested or not record.visible:
            continue
        interested = [c for c in interested if c.name in sink]
        if record.kind not in (FileKind.FILE, FileKind.HARDLINK, FileKind.SYMLINK):
            continue
        if record.kind is FileKind.SYMLINK:
            interested = _not_parsed_at_target(view, record, interested, wanted)
        if interested:
            _parse_with(ctx, view, record, interested, sink)


def _not_parsed_at_target(
    view: FileView, link: FileRecord, interested: Sequence[Cataloger], wanted: Interest
) -> list[Cataloger]:
    """Keep the catalogers that would not also read the link's target under its own path.

    A symlinked file is parsed through the link only when its target is not itself a wanted path
    (e.g. a status file kept elsewhere), so one file never yields the same packages twice.
    """
    target = view.resolve(link.path)
    if target is None:
        return []
    at_target = wanted.get(target.path, ())
    return [c for c in interested if c not in at_target]


def _parse_with(
    ctx: ParseContext,
    view: FileView,
    record: FileRecord,
    interested: Iterable[Cataloger],
    sink: dict[str, CatalogResult],
) -> None:
    if record.kind is FileKind.SYMLINK and view.resolve(record.path) is None:
        return
    try:
        content = view.read(record.path) if record.kind is not FileKind.FILE else view.read_record(record)
    except (FileNotFoundError, OSError) as exc:
        for cataloger in interested:
            sink[cataloger.name].unknowns.append(cataloger.unknown(record, f"unreadable: {exc}"))
        return
    except Exception as exc:  # noqa: BLE001 - e.g. capture cap exceeded
        for cataloger in interested:
            sink[cataloger.name].unknowns.append(cataloger.unknown(record, str(exc)))
        return
    for cataloger in interested:
        try:
            sink[cataloger.name].extend(cataloger.parse(ctx, record, content))
        except ParseError as exc:
            sink[cataloger.name].unknowns.append(cataloger.unknown(record, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad file never aborts the scan
            reason = f"parser error ({type(exc).__name__}): {exc}"
            sink[cataloger.name].unknowns.append(cataloger.unknown(record, reason))


def _catalogers_touched_by_layer(
    view: FileView, catalogers: Sequence[Cataloger], wanted: Interest
) -> list[tuple[int, list[Cataloger]]]:
    """Return (layer, catalogers wanting a path that layer adds, changes or deletes), for each such layer.

    A cataloger none of whose wanted files a layer touches finds at that layer exactly what it
    found at the previous one, so it need not run there.
    """
    touched_layers = []
    for index in range(view.layer_count):
        touched = {id(c) for record in view.layer_records(index) for c in wanted.get(record.path, ())}
        if touched:
            touched_layers.append((index, [c for c in catalogers if id(c) in touched]))
    return touched_layers


def catalog_view(
    view: FileView,
    catalogers: Sequence[Cataloger],
    distro: Distro | None,
    scope: Scope,
    python_version: str | None = None,
    on_layer: Callable[[int], None] | None = None,
) -> CatalogOutput:
    """Catalog a view, attributing each package to the layer that introduced it."""
    wanted = interest(view, catalogers)
    final = catalog_once(view, catalogers, distro, python_version, wanted=wanted)
    if view.layer_count <= 1:
        digest = view.layer_digest(0)
        final.packages = [dataclasses.replace(p, layer_digest=digest) for p in final.packages]
        return final
    introduced: dict[PackageKey, int] = {}
    history: dict[PackageKey, Package] = {}
    extra = CatalogOutput()
    for index, touched in _catalogers_touched_by_layer(view, catalogers, wanted):
        if on_layer is not None:
            on_layer(index)
        snapshot = catalog_once(
            view.at_layer(index),
            touched,
            distro,
            python_version,
            wanted=wanted,
            with_analyses=False,
            identity_only=scope is Scope.SQUASHED,  # only all-layers output shows snapshot packages
        )
        for package in snapshot.packages:
            key = _key(package)
            introduced.setdefault(key, index)
            history[key] = package
        extra.relationships.extend(snapshot.relationships)
        extra.unknowns.extend(snapshot.unknowns)
    return _merge(view, final, introduced, history, extra, scope)


def _introducing_layer(
    view: FileView, key: PackageKey, package: Package, introduced: dict[PackageKey, int]
) -> str | None:
    """Return the digest of the layer that first held the package.

    Packages found from content analyses (binaries) are not re-cataloged per layer: the layer
    of the file they were read from is the one that introduced them.
    """
    if key in introduced:
        return view.layer_digest(introduced[key])
    if package.locations and package.locations[0].layer_digest:
        return package.locations[0].layer_digest
    return view.layer_digest(view.layer_count - 1)


def _merge(
    view: FileView,
    final: CatalogOutput,
    introduced: dict[PackageKey, int],
    history: dict[PackageKey, Package],
    extra: CatalogOutput,
    scope: Scope,
) -> CatalogOutput:
    out = CatalogOutput(relationships=list(final.relationships), unknowns=list(final.unknowns))
    seen: set[PackageKey] = set()
    for package in final.packages:
        key = _key(package)
        seen.add(key)
        introducing = _introducing_layer(view, key, package, introduced)
        out.packages.append(dataclasses.replace(package, layer_digest=introducing))
    if scope is Scope.ALL_LAYERS:
        for key, package in history.items():
            if key in seen:
                continue
            digest = view.layer_digest(introduced[key])
            out.packages.append(dataclasses.replace(package, layer_digest=digest, visible=False))
        out.relationships.extend(extra.relationships)
        out.unknowns.extend(extra.unknowns)
    out.relationships = list(dict.fromkeys(out.relationships))
    out.unknowns = list(dict.fromkeys(out.unknowns))
    return out
