"""Ruby gems: installed specifications (`specifications/*.gemspec`) and `Gemfile.lock`.

Installed gemspecs are Ruby code written by RubyGems in a fixed shape (`s.name = "x".freeze`);
they are read as data, never evaluated: only the literal strings of known attributes count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from packageurl import PackageURL

from hullscan.catalog.interface import Cataloger, CatalogResult, ParseContext, ParseError, PathHints
from hullscan.model.files import FileRecord
from hullscan.model.package import Package, PackageType, Relationship, RelationshipKind

MAX_TEXT_BYTES = 8 * 1024 * 1024
ATTRIBUTE = re.compile(r"^\s*\w+\.(?P<attr>[a-z_]+)\s*=\s*(?P<expr>.*)$")
DEPENDENCY = re.compile(r"^\s*\w+\.add_(?:runtime_|development_)?dependency\s*\(?\s*(?P<args>.*)$")
STRING = re.compile(r'"(?P<dq>(?:[^"\\]|\\.)*)"|\'(?P<sq>(?:[^\'\\]|\\.)*)\'|%q<(?P<pq>[^>]*)>')
ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F ]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{1,2}|.)")
SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "s": " ", "e": "\x1b"}
SCALARS = ("name", "version", "homepage", "summary")
LISTS = ("licenses", "authors")
LOCK_SPEC = re.compile(r"^    (?P<name>\S+) \((?P<version>[^)]+)\)$")
LOCK_DEP = re.compile(r"^      (?P<name>\S+)(?: \(.*\))?$")
LOCK_SOURCES = ("GEM", "GIT", "PATH", "PLUGIN SOURCE")


def _unescape_double(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return "".join(chr(int(part, 16)) for part in code[2:-1].split())
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        if code.startswith("x") and len(code) > 1:
            return chr(int(code[1:], 16))
        return SIMPLE_ESCAPES.get(code, code)

    return ESCAPE.sub(replace, body)


def ruby_strings(expr: str) -> list[str]:
    """Return the literal strings of a Ruby expression, in order (`"a".freeze, 'b'`)."""
    out: list[str] = []
    for match in STRING.finditer(expr):
        if match.group("dq") is not None:
            out.append(_unescape_double(match.group("dq")))
        elif match.group("sq") is not None:
            out.append(re.sub(r"\\([\\'])", r"\1", match.group("sq")))
        else:
            out.append(match.group("pq"))
    return out


@dataclass(slots=True)
class GemSpec:
    """What an installed gemspec says about its gem."""

    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)


def parse_gemspec(text: str) -> GemSpec:
    """Read the literal attributes of a RubyGems-written gemspec (last assignment wins)."""
    spec = GemSpec()
    for line in text.splitlines():
        dep = DEPENDENCY.match(line)
        if dep:
            names = ruby_strings(dep.group("args"))
            if names:
                spec.dependencies.append(names[0])
            continue
        match = ATTRIBUTE.match(line)
        if not match:
            continue
        attr, values = match.group("attr"), ruby_strings(match.group("expr"))
        if attr == "license":
            attr = "licenses"
        if attr in SCALARS and values:
            spec.fields[attr] = values[0]
        elif attr in LISTS:
            spec.lists[attr] = values
    return spec


def gem_purl(name: str, version: str, platform: str | None = None) -> str:
    """Return `pkg:gem/<name>@<version>` (with a `platform` qualifier for native gems)."""
    qualifiers = {"platform": platform} if platform else None
    return str(PackageURL(type="gem", name=name, version=version, qualifiers=qualifiers).to_string())


def _text(content: bytes) -> str:
    if len(content) > MAX_TEXT_BYTES:
        raise ParseError(f"{len(content)} bytes is too large for this kind of file")
    return content.decode("utf-8", "replace")


def is_installed_gemspec(path: str) -> bool:
    """Return True for `.../specifications/[default/]NAME-VERSION.gemspec`."""
    return path.endswith(".gemspec") and "/specifications/" in path


class GemSpecificationCataloger(Cataloger):
    """`gem-specification`: gems installed by RubyGems, from their stored specifications."""

    name = "gem-specification"
    path_hints = PathHints(suffixes=(".gemspec",))
    version = "1"

    def wants(self, path: str) -> bool:
        return is_installed_gemspec(path)

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        del ctx
        spec = parse_gemspec(_text(content))
        name, version = spec.fields.get("name"), spec.fields.get("version")
        if not name or not version:
            raise ParseError("gemspec without a literal name and version")
        metadata: dict[str, object] = {
            "homepage": spec.fields.get("homepage"),
            "summary": spec.fields.get("summary"),
            "authors": spec.lists.get("authors", []),
            "dependencies": spec.dependencies,
            "default_gem": "/specifications/default/" in record.path,
        }
        package = Package(
            name=name,
            version=version,
            type=PackageType.GEM,
            purl=gem_purl(name, version),
            found_by=self.name,
            locations=(record.coordinates,),
            licenses=tuple(spec.lists.get("licenses", [])),
            metadata=metadata,
        )
        return CatalogResult(packages=[package])


@dataclass(frozen=True, slots=True)
class LockedGem:
    """One `name (version[-platform])` entry of a Gemfile.lock and the names it depends on."""

    name: str
    version: str
    platform: str | None
    source: str
    dependencies: tuple[str, ...]


def _lock_sections(text: str) -> Iterator[tuple[str, list[str]]]:
    header: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            if header is not None:
                yield header, body
            header, body = line.strip(), []
        elif header is not None:
            body.append(line.rstrip())
    if header is not None:
        yield header, body


def _split_version(raw: str) -> tuple[str, str | None]:
    version, sep, platform = raw.partition("-")
    return version, (platform if sep else None)


def parse_gemfile_lock(text: str) -> list[LockedGem]:
    """Return the locked gems of every source section (GEM, GIT, PATH)."""
    gems: list[LockedGem] = []
    for header, body in _lock_sections(text):
        if header not in LOCK_SOURCES:
            continue
        current: tuple[str, str] | None = None
        deps: list[str] = []
        for line in [*body, "    "]:
            spec = LOCK_SPEC.match(line)
            dep = LOCK_DEP.match(line)
            if dep and current:
                deps.append(dep.group("name"))
                continue
            if current:
                version, platform = _split_version(current[1])
                gems.append(LockedGem(current[0], version, platform, header, tuple(deps)))
                current, deps = None, []
            if spec:
                current = (spec.group("name"), spec.group("version"))
    return gems


class GemLockfileCataloger(Cataloger):
    """`gem-lockfile`: gems pinned by Bundler's `Gemfile.lock` (or `gems.locked`)."""

    name = "gem-lockfile"
    path_hints = PathHints(basenames=frozenset({"Gemfile.lock", "gems.locked"}))
    version = "1"

    def wants(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] in ("Gemfile.lock", "gems.locked")

    def parse(self, ctx: ParseContext, record: FileRecord, content: bytes) -> CatalogResult:
        del ctx
        text = _text(content)
        if "specs:" not in text:
            raise ParseError("no `specs:` section: not a Bundler lockfile")
        result = CatalogResult()
        by_name: dict[str, Package] = {}
        gems = parse_gemfile_lock(text)
        for gem in gems:
            package = Package(
                name=gem.name,
                version=gem.version,
                type=PackageType.GEM,
                purl=gem_purl(gem.name, gem.version, gem.platform),
                found_by=self.name,
                locations=(record.coordinates,),
                metadata={
                    "platform": gem.platform,
                    "source": gem.source,
                    "dependencies": list(gem.dependencies),
                },
            )
            result.packages.append(package)
            by_name.setdefault(gem.name, package)
        for gem, package in zip(gems, result.packages, strict=True):
            result.relationships.extend(
                Relationship(package.id, by_name[dep].id, RelationshipKind.DEPENDS_ON)
                for dep in gem.dependencies
                if dep in by_name
            )
        result.packages = list({p.id: p for p in result.packages}.values())  # one per platform
        result.relationships = list(dict.fromkeys(result.relationships))
        return result
