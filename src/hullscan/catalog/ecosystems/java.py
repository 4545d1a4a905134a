"""Java archives (jar, war, ear, Jenkins plugins): Maven coordinates from inside the zip.

Evidence, best first: `META-INF/maven/<group>/<artifact>/pom.properties`, then
`META-INF/MANIFEST.MF` (Implementation-*, Bundle-*, Jenkins plugin fields), then the file name
(`name-1.2.3.jar`). Nested archives (`WEB-INF/lib/*.jar`, fat jars) are read recursively within
depth and size bounds; shaded artifacts and nested archives hang off their container by a
CONTAINS edge.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packageurl import PackageURL

from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind, package_id

ARCHIVE_EXTENSIONS = (".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".kar", ".lpkg")
MAX_DEPTH = 3
MAX_NESTED_BYTES = 64 * 1024 * 1024
MAX_TOTAL_NESTED_BYTES = 256 * 1024 * 1024
MAX_METADATA_BYTES = 1024 * 1024
MAX_POM_PROPERTIES = 1000
MANIFEST = "META-INF/MANIFEST.MF"
POM_PROPERTIES = re.compile(r"^META-INF/maven/[^/]+/[^/]+/pom\.properties$")
CLASSIFIERS = ("sources", "javadoc", "tests", "test", "shaded", "all")
MANIFEST_KEYS = (
    "Implementation-Title",
    "Implementation-Version",
    "Implementation-Vendor",
    "Implementation-Vendor-Id",
    "Specification-Title",
    "Specification-Version",
    "Specification-Vendor",
    "Bundle-Name",
    "Bundle-SymbolicName",
    "Bundle-Version",
    "Bundle-License",
    "Automatic-Module-Name",
    "Main-Class",
    "Short-Name",
    "Plugin-Version",
    "Group-Id",
    "Extension-Name",
)


def is_java_archive(path: str) -> bool:
    """Return True for the file names this cataloger reads."""
    return path.lower().endswith(ARCHIVE_EXTENSIONS)


def _logical_lines(text: str) -> Iterator[str]:
    """Join Java properties continuation lines (trailing odd backslash)."""
    pending = ""
    for raw in text.splitlines():
        line = pending + (raw.lstrip() if pending else raw)
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending = line[:-1]
            continue
        pending = ""
        yield line
    if pending:
        yield pending


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java `.properties` text (`key=value`, `key: value`, `key value`)."""
    out: dict[str, str] = {}
    for line in _logical_lines(text):
        stripped = line.lstrip()
        if not stripped or stripped[0] in "#!":
            continue
        match = re.match(r"((?:[^=:\s\\]|\\.)*)\s*[=:]?\s*(.*)$", stripped)
        if match and match.group(1):
            out[match.group(1).replace("\\", "")] = match.group(2).strip()
    return out


def parse_manifest(text: str) -> list[dict[str, str]]:
    """Parse a JAR manifest into sections (main section first), joining continuation lines."""
    sections: list[dict[str, str]] = [{}]
    last_key: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if sections[-1]:
                sections.append({})
            last_key = None
        elif line.startswith(" ") and last_key is not None:
            sections[-1][last_key] += line[1:]
        elif ":" in line:
            key, _, value = line.partition(":")
            last_key = key.strip()
            sections[-1][last_key] = value.strip()
    return [s for s in sections if s] or [{}]


def _manifest_fields(sections: list[dict[str, str]]) -> dict[str, str]:
    """Return the main section's fields, completed from per-entry sections (opensaml style)."""
    merged = dict(sections[0])
    for section in sections[1:]:
        for key in MANIFEST_KEYS:
            if key in section:
                merged.setdefault(key, section[key])
    return {k: merged[k] for k in MANIFEST_KEYS if merged.get(k)}


def name_version_from_filename(filename: str) -> tuple[str, str | None]:
    """Split `commons-lang3-3.12.0.jar` into (`commons-lang3`, `3.12.0`); version None if absent."""
    stem = filename.rsplit("/", 1)[-1]
    for extension in ARCHIVE_EXTENSIONS:
        if stem.lower().endswith(extension):
            stem = stem[: -len(extension)]
            break
    parts = stem.split("-")
    for index, part in enumerate(parts[1:], start=1):
        if part[:1].isdigit():
            tail = parts[index:]
            while len(tail) > 1 and tail[-1].lower() in CLASSIFIERS:
                tail = tail[:-1]
            return "-".join(parts[:index]), "-".join(tail)
    return stem, None


@dataclass(frozen=True, slots=True)
class Coordinates:
    """Maven coordinates of one artifact and where they were read."""

    group: str | None
    artifact: str
    version: str
    evidence: str
    """`pom.properties`, `manifest` or `filename`."""
    pom_path: str | None = None


def maven_purl(group: str | None, artifact: str, version: str) -> str:
    """Return `pkg:maven/<group>/<artifact>@<version>`."""
    return str(PackageURL(type="maven", namespace=group or None, name=artifact, version=version).to_string())


def _group_from_manifest(fields: Mapping[str, str], name: str) -> str | None:
    for key in ("Implementation-Vendor-Id", "Group-Id"):
        if fields.get(key):
            return fields[key]
    symbolic = fields.get("Bundle-SymbolicName", "").split(";", 1)[0].strip()
    if symbolic.endswith(f".{name}"):
        return symbolic[: -len(name) - 1]
    return None


def _from_manifest(fields: Mapping[str, str], filename: str) -> Coordinates | None:
    file_name, file_version = name_version_from_filename(filename)
    title = fields.get("Implementation-Title") or fields.get("Bundle-Name")
    # A Jenkins plugin's Short-Name is its artifactId; otherwise a versioned file name is best.
    name = fields.get("Short-Name") or (file_name if file_version else (title or file_name))
    version = (
        fields.get("Plugin-Version")
        or fields.get("Implementation-Version")
        or fields.get("Bundle-Version")
        or fields.get("Specification-Version")
        or file_version
    )
    if not name or not version:
        return None
    evidence = "manifest" if version != file_version or not file_version else "filename"
    return Coordinates(_group_from_manifest(fields, name), name, version, evidence)


@dataclass(slots=True)
class _Budget:
    """Bytes of nested archives still allowed to be inflated for one top-level file."""

    remaining: int = MAX_TOTAL_NESTED_BYTES


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    if info.file_size > cap:
        return None
    with archive.open(info) as member:
        data = member.read(cap + 1)
    return data if len(data) <= cap else None


class JavaArchiveCataloger(Cataloger):
    """`java-archive`: Maven artifacts in jar/war/ear files, nested archives included."""

    name = "java-archive"
    path_hints = PathHints(suffixes=ARCHIVE_EXTENSIONS)
    version = "1"

    def wants(self, path: str) -> bool:
        return is_java_archive(path)

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        del ctx
        result = CatalogResult()
        if record.kind is FileKind.SYMLINK:
            return result  # the link's target is cataloged under its own path
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
            raise ParseError(f"not a readable zip archive: {exc}") from exc
        with archive:
            self._archive(archive, record, record.path.rsplit("/", 1)[-1], 0, None, _Budget(), result)
        result.packages = list({p.id: p for p in result.packages}.values())
        result.relationships = list(dict.fromkeys(result.relationships))
        return result

    def _archive(
        self,
        archive: zipfile.ZipFile,
        record: FileRecord,
        virtual_path: str,
        depth: int,
        parent: Package | None,
        budget: _Budget,
        result: CatalogResult,
    ) -> None:
        try:
            infos = archive.infolist()
            main = self._own_packages(archive, infos, record, virtual_path, parent, result)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
            if depth == 0:
                raise ParseError(f"damaged archive: {exc}") from exc
            result.unknowns.append(self.unknown(record, f"{virtual_path}: damaged nested archive: {exc}"))
            return
        if depth >= MAX_DEPTH:
            return
        for info in infos:
            if info.is_dir() or not is_java_archive(info.filename):
                continue
            where = f"{virtual_path}:{info.filename}"
            self._nested(archive, info, record, where, depth, main or parent, budget, result)

    def _nested(
        self,
        archive: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        record: FileRecord,
        virtual_path: str,
        depth: int,
        parent: Package | None,
        budget: _Budget,
        result: CatalogResult,
    ) -> None:
        cap = min(MAX_NESTED_BYTES, budget.remaining)
        try:
            data = _read_member(archive, info, cap)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
            result.unknowns.append(self.unknown(record, f"{virtual_path}: unreadable nested archive: {exc}"))
            return
        if data is None:
            result.unknowns.append(
                self.unknown(record, f"{virtual_path}: nested archive over the size budget")
            )
            return
        budget.remaining -= len(data)
        try:
            nested = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            result.unknowns.append(self.unknown(record, f"{virtual_path}: not a zip archive: {exc}"))
            return
        with nested:
            self._archive(nested, record, virtual_path, depth + 1, parent, budget, result)

    def _own_packages(
        self,
        archive: zipfile.ZipFile,
        infos: list[zipfile.ZipInfo],
        record: FileRecord,
        virtual_path: str,
        parent: Package | None,
        result: CatalogResult,
    ) -> Package | None:
        filename = virtual_path.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        fields = self._manifest(archive, infos)
        poms = self._poms(archive, infos)
        own = _pick_own(poms, filename) or _from_manifest(fields, filename)
        main = self._package(record, virtual_path, own, fields) if own else None
        holder = main or parent
        if main is not None:
            result.packages.append(main)
            if parent is not None:
                result.relationships.append(Relationship(parent.id, main.id, RelationshipKind.CONTAINS))
        for pom in poms:
            if own is not None and pom == own:
                continue
            shaded = self._package(record, virtual_path, pom, {})
            result.packages.append(shaded)
            if holder is not None:
                result.relationships.append(Relationship(holder.id, shaded.id, RelationshipKind.CONTAINS))
        return main

    @staticmethod
    def _manifest(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, str]:
        info = next((i for i in infos if i.filename == MANIFEST), None)
        data = _read_member(archive, info, MAX_METADATA_BYTES) if info else None
        return _manifest_fields(parse_manifest(data.decode("utf-8", "replace"))) if data else {}

    @staticmethod
    def _poms(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[Coordinates]:
        found: list[Coordinates] = []
        for info in infos:
            if len(found) >= MAX_POM_PROPERTIES or not POM_PROPERTIES.match(info.filename):
                continue
            data = _read_member(archive, info, MAX_METADATA_BYTES)
            props = parse_properties(data.decode("utf-8", "replace")) if data else {}
            if props.get("artifactId") and props.get("version"):
                group = props.get("groupId") or None
                evidence = "pom.properties"
                found.append(
                    Coordinates(group, props["artifactId"], props["version"], evidence, info.filename)
                )
        return found

    def _package(
        self, record: FileRecord, virtual_path: str, coords: Coordinates, fields: Mapping[str, str]
    ) -> Package:
        metadata: dict[str, object] = {
            "virtual_path": virtual_path,
            "group_id": coords.group,
            "artifact_id": coords.artifact,
            "evidence": coords.evidence,
        }
        if coords.pom_path:
            metadata["pom_properties"] = coords.pom_path
        if fields:
            metadata["manifest"] = dict(fields)
        licenses = (fields["Bundle-License"],) if fields.get("Bundle-License") else ()
        return Package(
            name=coords.artifact,
            version=coords.version,
            type=PackageType.JAVA,
            purl=maven_purl(coords.group, coords.artifact, coords.version),
            found_by=self.name,
            locations=(record.coordinates,),
            licenses=licenses,
            metadata=metadata,
            id=_package_id(coords, record.path, virtual_path),
        )


def _package_id(coords: Coordinates, path: str, virtual_path: str) -> str:
    """Return an id that tells apart same-named artifacts nested at different places."""
    name = f"{coords.group or ''}:{coords.artifact}"
    return package_id(PackageType.JAVA, name, coords.version, f"{path}|{virtual_path}")


def _pick_own(poms: list[Coordinates], filename: str) -> Coordinates | None:
    """Return the pom.properties describing the archive itself (not a shaded dependency)."""
    if len(poms) == 1:
        return poms[0]
    file_name, _ = name_version_from_filename(filename)
    for pom in poms:
        if pom.artifact == file_name:
            return pom
    return None
