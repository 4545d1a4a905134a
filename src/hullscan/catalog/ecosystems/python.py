"""Installed Python distributions: dist-info/egg-info metadata, vendored copies and wheel files.

Evidence, by path alone:
- `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and `*.egg-info` files: one installed package
  each; the siblings `RECORD`, `installed-files.txt`, `INSTALLER`, `top_level.txt`,
  `direct_url.json` and `requires.txt` are wanted too and read through the view;
- `<pkg>/_vendor/vendor.txt` (or `vendored.txt`): packages vendored inside `<pkg>`;
- `*.whl` files lying in the image (e.g. `/usr/share/python-wheels`): `kind: wheel-file`.

`finish()` links Requires-Dist (markers evaluated for the image's Python, extras excluded) to
packages of the same site-packages directory first, then to any installed copy of that name.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from packageurl import PackageURL

from hullscan.catalog.ecosystems.python_metadata import (
    CoreMetadata,
    MetadataError,
    RecordListing,
    decode_text,
    normalize_name,
    parse_core_metadata,
    parse_installed_files,
    parse_record,
    parse_vendor_txt,
    python_version_from_path,
    requires_txt_to_requirements,
    runtime_dependencies,
    wheel_filename_identity,
)
from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.errors import HullscanError
from hullscan.model.files import Coordinates, FileRecord
from hullscan.model.inventory import Unknown
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind
from hullscan.pathnames import join_link

SIBLINGS = frozenset(
    {"RECORD", "installed-files.txt", "INSTALLER", "top_level.txt", "direct_url.json", "requires.txt"}
)
VENDOR_LISTS = frozenset({"vendor.txt", "vendored.txt"})
MAX_WHEEL_METADATA_BYTES = 16 * 1024 * 1024
"""A METADATA member bigger than this inside a wheel is not read (zip bomb guard)."""

KIND_INSTALLED = "installed"
KIND_VENDORED = "vendored"
KIND_WHEEL = "wheel-file"


def pypi_purl(name: str, version: str) -> str:
    """Return `pkg:pypi/<normalized name>@<version>`."""
    return PackageURL(type="pypi", name=normalize_name(name), version=version).to_string()


def _is_metadata(path: str) -> bool:
    parent, base = posixpath.split(path)
    return (parent.endswith(".dist-info") and base == "METADATA") or (
        parent.endswith(".egg-info") and base == "PKG-INFO"
    )


def _is_egg_info_file(path: str) -> bool:
    return path.endswith(".egg-info")


def _is_sibling(path: str) -> bool:
    parent, base = posixpath.split(path)
    return base in SIBLINGS and parent.endswith((".dist-info", ".egg-info"))


def _is_vendor_list(path: str) -> bool:
    parent, base = posixpath.split(path)
    return base in VENDOR_LISTS and posixpath.basename(parent) == "_vendor"


@dataclass(frozen=True, slots=True)
class _Sibling:
    """A sibling file's content, None when absent or unreadable."""

    path: str
    content: bytes | None
    layer_digest: str | None


def _read_sibling(ctx: ParseContext, path: str) -> _Sibling:
    """Read a sibling file, None when absent or unreadable.

    Problems are not reported here: every sibling is wanted, so the runner meets the same
    file and records the Unknown once.
    """
    record = ctx.view.get(path)
    if record is None:
        return _Sibling(path, None, None)
    try:
        return _Sibling(path, ctx.view.read(path), record.layer_digest)
    except (HullscanError, OSError):
        return _Sibling(path, None, record.layer_digest)


class PythonInstalledCataloger(Cataloger):
    """Finds installed Python distributions, pip-style vendored copies and stray wheel files."""

    name = "python-installed"
    path_hints = PathHints(
        basenames=frozenset({"METADATA", "PKG-INFO"}) | SIBLINGS | VENDOR_LISTS,
        suffixes=(".whl", ".egg-info"),
    )
    version = "1"

    def wants(self, path: str) -> bool:
        return (
            _is_metadata(path)
            or _is_sibling(path)
            or _is_egg_info_file(path)
            or _is_vendor_list(path)
            or path.endswith(".whl")
        )

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        path = record.path
        if _is_metadata(path):
            return self._installed(ctx, record, content, posixpath.dirname(path))
        if _is_egg_info_file(path):
            return self._installed(ctx, record, content, None)
        if _is_vendor_list(path):
            return self._vendored(record, content)
        if path.endswith(".whl"):
            return self._wheel(record, content)
        return CatalogResult()

    # installed distributions -------------------------------------------------------------

    def _installed(
        self, ctx: ParseContext, record: FileRecord, content: bytes, meta_dir: str | None
    ) -> CatalogResult:
        try:
            core = parse_core_metadata(content)
        except MetadataError as exc:
            raise ParseError(f"not a usable core metadata file: {exc}") from exc
        result = CatalogResult()
        if ctx.identity_only:  # a per-layer pass: no RECORD, requirements or licence files
            result.packages.append(self._package(core, (record.coordinates,), {"kind": KIND_INSTALLED}))
            return result
        site_dir = posixpath.dirname(meta_dir or record.path)
        siblings = {name: _read_sibling(ctx, f"{meta_dir}/{name}") for name in SIBLINGS} if meta_dir else {}
        files, owner_file = self._owned_files(siblings, site_dir, meta_dir, result)
        requires = list(core.requires_dist)
        requires_txt = siblings.get("requires.txt")
        if not requires and requires_txt is not None and requires_txt.content is not None:
            requires = requires_txt_to_requirements(requires_txt.content)
        python_version = ctx.python_version or python_version_from_path(record.path)
        metadata: dict[str, Any] = {
            "kind": KIND_INSTALLED,
            "site_packages": site_dir,
            "requires_dist": requires,
            "dependencies": runtime_dependencies(requires, python_version),
            "files": files,
            **_optional_fields(core, siblings),
        }
        locations = [record.coordinates]
        if owner_file is not None:
            locations.append(Coordinates(owner_file.path, owner_file.layer_digest))
        result.packages.append(self._package(core, tuple(locations), metadata))
        return result

    def _owned_files(
        self,
        siblings: dict[str, _Sibling],
        site_dir: str,
        meta_dir: str | None,
        result: CatalogResult,
    ) -> tuple[list[dict[str, Any]], _Sibling | None]:
        record_file = siblings.get("RECORD")
        if record_file is not None and record_file.content is not None:
            listing = parse_record(record_file.content)
            base = site_dir
        else:
            record_file = siblings.get("installed-files.txt")
            if record_file is None or record_file.content is None or meta_dir is None:
                return [], None
            listing = parse_installed_files(record_file.content)
            base = meta_dir
        if listing.skipped:
            reason = f"{listing.skipped} malformed line(s) skipped"
            result.unknowns.append(
                Unknown(Coordinates(record_file.path, record_file.layer_digest), self.name, reason)
            )
        return _file_entries(listing, base), record_file

    def _package(
        self, core: CoreMetadata, locations: tuple[Coordinates, ...], metadata: dict[str, Any]
    ) -> Package:
        return Package(
            name=core.name,
            version=core.version,
            type=PackageType.PYTHON,
            purl=pypi_purl(core.name, core.version),
            found_by=self.name,
            locations=locations,
            licenses=core.licenses,
            metadata=metadata,
        )

    # vendored copies ---------------------------------------------------------------------

    def _vendored(self, record: FileRecord, content: bytes) -> CatalogResult:
        vendor_dir = posixpath.dirname(record.path)
        host_dir = posixpath.dirname(vendor_dir)
        result = CatalogResult()
        for pin in parse_vendor_txt(content):
            metadata = {
                "kind": KIND_VENDORED,
                "vendored_in": posixpath.basename(host_dir),
                "vendor_dir": vendor_dir,
                "site_packages": posixpath.dirname(host_dir),
                "nested": pin.nested,
            }
            result.packages.append(
                Package(
                    name=pin.name,
                    version=pin.version,
                    type=PackageType.PYTHON,
                    purl=pypi_purl(pin.name, pin.version),
                    found_by=self.name,
                    locations=(record.coordinates,),
                    metadata=metadata,
                )
            )
        return result

    # wheel files -------------------------------------------------------------------------

    def _wheel(self, record: FileRecord, content: bytes) -> CatalogResult:
        result = CatalogResult()
        identity = wheel_filename_identity(posixpath.basename(record.path))
        core: CoreMetadata | None = None
        try:
            core = _metadata_in_wheel(content)
        except (zipfile.BadZipFile, MetadataError, OSError, ValueError) as exc:
            if identity is None:
                raise ParseError(f"not a wheel: {exc}") from exc
            result.unknowns.append(
                self.unknown(record, f"wheel METADATA unreadable ({exc}); name from file name")
            )
        if core is None:
            if identity is None:
                raise ParseError("no METADATA inside and not a wheel file name")
            core = CoreMetadata(name=identity[0], version=identity[1])
        metadata = {"kind": KIND_WHEEL, "requires_dist": list(core.requires_dist)}
        result.packages.append(self._package(core, (record.coordinates,), metadata))
        return result

    # edges -------------------------------------------------------------------------------

    def finish(self, ctx: ParseContext, packages: Sequence[Package]) -> list[Relationship]:
        del ctx
        installed = [p for p in packages if p.metadata.get("kind") == KIND_INSTALLED]
        edges = _dependency_edges(installed)
        edges.extend(
            _vendoring_edges(installed, [p for p in packages if p.metadata.get("kind") == KIND_VENDORED])
        )
        return list(dict.fromkeys(edges))


def _optional_fields(core: CoreMetadata, siblings: dict[str, _Sibling]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if core.supplier:
        fields["supplier"] = core.supplier
    if core.summary:
        fields["summary"] = core.summary
    if core.home_page:
        fields["home_page"] = core.home_page
    installer = siblings.get("INSTALLER")
    if installer is not None and installer.content is not None:
        fields["installer"] = decode_text(installer.content).strip()
    top_level = siblings.get("top_level.txt")
    if top_level is not None and top_level.content is not None:
        fields["top_level"] = [n.strip() for n in decode_text(top_level.content).splitlines() if n.strip()]
    direct_url = siblings.get("direct_url.json")
    if direct_url is not None and direct_url.content is not None:
        try:
            value = json.loads(direct_url.content)
        except ValueError:
            value = None
        if isinstance(value, dict):
            fields["direct_url"] = value
    return fields


def _file_entries(listing: RecordListing, base: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for entry in listing.entries:
        item: dict[str, Any] = {"path": join_link(base, entry.path)}
        if entry.algorithm and entry.digest:
            item["digest"] = {"algorithm": entry.algorithm, "value": entry.digest}
        if entry.size is not None:
            item["size"] = entry.size
        entries.append(item)
    return entries


def _metadata_in_wheel(content: bytes) -> CoreMetadata | None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            parts = info.filename.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                if info.file_size > MAX_WHEEL_METADATA_BYTES:
                    raise ValueError(f"METADATA of {info.file_size} bytes is over the cap")
                return parse_core_metadata(archive.read(info))
    return None


def _dependency_edges(installed: Iterable[Package]) -> list[Relationship]:
    chosen = sorted(installed, key=lambda p: p.locations[0].path if p.locations else "")
    by_site: dict[tuple[str, str], Package] = {}
    by_name: dict[str, Package] = {}
    for package in chosen:
        key = normalize_name(package.name)
        by_site.setdefault((package.metadata.get("site_packages", ""), key), package)
        by_name.setdefault(key, package)
    edges: list[Relationship] = []
    for package in chosen:
        site = package.metadata.get("site_packages", "")
        for dependency in package.metadata.get("dependencies", ()):
            target = by_site.get((site, dependency)) or by_name.get(dependency)
            if target is not None and target.id != package.id:
                edges.append(Relationship(package.id, target.id, RelationshipKind.DEPENDS_ON))
    return edges


def _vendoring_edges(installed: Sequence[Package], vendored: Sequence[Package]) -> list[Relationship]:
    owner_of: dict[str, Package] = {}
    for package in installed:
        for item in package.metadata.get("files", ()):
            owner_of.setdefault(item["path"], package)
    edges: list[Relationship] = []
    for package in vendored:
        listing = package.locations[0].path
        host = owner_of.get(listing) or _host_by_name(installed, package)
        if host is not None:
            edges.append(Relationship(package.id, host.id, RelationshipKind.VENDORED_IN))
    return edges


def _host_by_name(installed: Sequence[Package], vendored: Package) -> Package | None:
    site = vendored.metadata.get("site_packages")
    module = str(vendored.metadata.get("vendored_in", ""))
    for package in installed:
        if package.metadata.get("site_packages") != site:
            continue
        if module in package.metadata.get("top_level", ()) or normalize_name(package.name) == normalize_name(
            module
        ):
            return package
    return None
