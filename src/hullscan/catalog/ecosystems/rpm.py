"""RPM packages from the rpm database (SQLite, BerkeleyDB hash or NDB), read without rpm.

Each stored header becomes one package: name, `[EPOCH:]VERSION-RELEASE`, arch, licence, the
source rpm (→ source name and version), vendor, size, file list (with digests) and the
Requires/Provides names used to draw `depends-on` edges in `finish()`. A header that cannot
be decoded (truncated blob, broken overflow chain) becomes an Unknown; the others are still
cataloged. When one directory holds several databases (a leftover `Packages` next to
`rpmdb.sqlite`), only the newest format is read: sqlite, then ndb, then bdb.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from packageurl import PackageURL

from hullscan.catalog.ecosystems.rpmdb import Header, HeaderError, RpmDbError, Tag, read_headers
from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.model.files import FileRecord
from hullscan.model.inventory import Distro
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

DB_DIRECTORIES = ("/var/lib/rpm", "/usr/lib/sysimage/rpm", "/usr/share/rpm")
DB_NAMES_BY_PRECEDENCE = ("rpmdb.sqlite", "Packages.db", "Packages")
DB_PATHS = frozenset(f"{d}/{n}" for d in DB_DIRECTORIES for n in DB_NAMES_BY_PRECEDENCE)
DIGEST_ALGORITHMS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}
SOURCE_SUFFIXES = (".src.rpm", ".nosrc.rpm")
IGNORED_REQUIREMENT_PREFIXES = ("rpmlib(",)


@dataclass(frozen=True, slots=True)
class SourceRpm:
    """The source package named by a SOURCERPM file name."""

    name: str
    version: str
    release: str


def parse_source_rpm(filename: str) -> SourceRpm | None:
    """Split `util-linux-2.32.1-42.el8.src.rpm` into name, version and release."""
    for suffix in SOURCE_SUFFIXES:
        if filename.endswith(suffix):
            parts = filename.removesuffix(suffix).rsplit("-", 2)
            if len(parts) == 3 and all(parts):
                return SourceRpm(*parts)
    return None


def _file_entries(header: Header) -> list[dict[str, str | None]]:
    names = header.strings(Tag.BASENAMES)
    if names:
        directories = header.strings(Tag.DIRNAMES)
        indexes = header.integers(Tag.DIRINDEXES)
        if len(indexes) != len(names) or any(i >= len(directories) for i in indexes):
            raise HeaderError("file list tags disagree (BASENAMES, DIRNAMES, DIRINDEXES)")
        paths = [directories[i] + name for i, name in zip(indexes, names, strict=True)]
    else:
        paths = header.strings(Tag.OLDFILENAMES)
    digests = header.strings(Tag.FILEDIGESTS)
    algorithm = DIGEST_ALGORITHMS.get(header.integer(Tag.FILEDIGESTALGO) or 1, "unknown")
    if len(digests) != len(paths):
        digests = [""] * len(paths)
    return [
        {"path": path, "digest": f"{algorithm}:{digest}" if digest else None}
        for path, digest in zip(paths, digests, strict=True)
    ]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _purl(header: Header, distro: Distro | None, version: str, epoch: int | None) -> str:
    qualifiers: dict[str, str] = {}
    arch = header.string(Tag.ARCH)
    if arch:
        qualifiers["arch"] = arch
    if epoch is not None:
        qualifiers["epoch"] = str(epoch)
    if distro is not None:
        qualifiers["distro"] = distro.purl_qualifier
    source = header.string(Tag.SOURCERPM)
    if source:
        qualifiers["upstream"] = source
    namespace = distro.id if distro is not None else None
    name = header.string(Tag.NAME) or ""
    return str(PackageURL("rpm", namespace, name, version, qualifiers or None).to_string())


def package_from_header(header: Header, record: FileRecord, distro: Distro | None, found_by: str) -> Package:
    """Build the package one header describes; raises HeaderError when it is unusable."""
    name, version, release = (header.string(t) for t in (Tag.NAME, Tag.VERSION, Tag.RELEASE))
    if not name or version is None or release is None:
        raise HeaderError("header has no NAME, VERSION or RELEASE")
    epoch = header.integer(Tag.EPOCH)
    plain = f"{version}-{release}"
    full = f"{epoch}:{plain}" if epoch is not None else plain
    source_rpm = header.string(Tag.SOURCERPM)
    source = parse_source_rpm(source_rpm) if source_rpm else None
    source_version = None
    if source is not None:
        source_version = f"{source.version}-{source.release}"
        source_version = f"{epoch}:{source_version}" if epoch is not None else source_version
    licence = header.string(Tag.LICENSE)
    metadata: dict[str, Any] = {
        "epoch": epoch,
        "release": release,
        "architecture": header.string(Tag.ARCH),
        "vendor": header.string(Tag.VENDOR),
        "supplier": header.string(Tag.VENDOR),
        "size": header.integer(Tag.LONGSIZE) or header.integer(Tag.SIZE),
        "source_rpm": source_rpm,
        "modularity_label": header.string(Tag.MODULARITYLABEL),
        "url": header.string(Tag.URL),
        "requires": _unique(header.strings(Tag.REQUIRENAME)),
        "provides": _unique(header.strings(Tag.PROVIDENAME)),
        "files": _file_entries(header),
    }
    return Package(
        name=name,
        version=full,
        type=PackageType.RPM,
        purl=_purl(header, distro, plain, epoch),
        found_by=found_by,
        visible=record.visible,
        locations=(record.coordinates,),
        licenses=(licence,) if licence else (),
        source_name=source.name if source else None,
        source_version=source_version,
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


class RpmDbCataloger(Cataloger):
    """Installed RPM packages from `/var/lib/rpm` or `/usr/lib/sysimage/rpm` databases."""

    name = "rpm-db"
    path_hints = PathHints(basenames=frozenset(DB_NAMES_BY_PRECEDENCE))
    version = "1"

    def wants(self, path: str) -> bool:
        return path in DB_PATHS

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        if self._superseded(ctx, record.path):
            return CatalogResult()
        try:
            stored = list(read_headers(content))
        except RpmDbError as exc:
            raise ParseError(str(exc)) from exc
        result = CatalogResult()
        for entry in stored:
            if entry.blob is None:
                result.unknowns.append(self.unknown(record, f"{entry.key}: {entry.problem}"))
                continue
            try:
                header = Header(entry.blob)
                result.packages.append(package_from_header(header, record, ctx.distro, self.name))
            except HeaderError as exc:
                result.unknowns.append(self.unknown(record, f"{entry.key}: {exc}"))
        return result

    @staticmethod
    def _superseded(ctx: ParseContext, path: str) -> bool:
        directory, name = posixpath.split(path)
        newer = DB_NAMES_BY_PRECEDENCE[: DB_NAMES_BY_PRECEDENCE.index(name)]
        return any(ctx.view.get(f"{directory}/{other}") is not None for other in newer)

    def finish(self, ctx: ParseContext, packages: Sequence[Package]) -> list[Relationship]:
        del ctx
        return requirement_edges(packages)


def requirement_edges(packages: Sequence[Package]) -> list[Relationship]:
    """Return a `depends-on` edge for each Requires name some other package provides.

    A capability provided by several packages links to the first by name; file requirements
    (`/bin/sh`) resolve through the file lists.
    """
    ordered = sorted(packages, key=lambda p: (p.name, p.version, p.id))
    providers: dict[str, str] = {}
    for package in ordered:
        for capability in (package.name, *package.metadata.get("provides", ())):
            providers.setdefault(capability, package.id)
    wanted_paths = {r for p in ordered for r in p.metadata.get("requires", ()) if r.startswith("/")}
    for package in ordered:
        for entry in package.metadata.get("files", ()):
            if entry["path"] in wanted_paths:
                providers.setdefault(entry["path"], package.id)
    edges: dict[tuple[str, str], Relationship] = {}
    for package in ordered:
        for requirement in package.metadata.get("requires", ()):
            target = providers.get(requirement)
            if target is None or target == package.id or requirement.startswith(IGNORED_REQUIREMENT_PREFIXES):
                continue
            edges.setdefault(
                (package.id, target),
                Relationship(package.id, target, RelationshipKind.DEPENDS_ON, note=requirement),
            )
    return list(edges.values())
