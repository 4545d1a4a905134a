"""Pure readers for Python packaging files: METADATA/PKG-INFO, RECORD, requires.txt, vendor.txt.

Nothing here touches a file view; every function takes text or bytes and returns values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # email and packaging load on first use (see `PARSE_MODULES`)
    import email.message

    from packaging.markers import Marker

PARSE_MODULES = ("email.parser", "email.policy", "packaging.markers", "packaging.requirements")
"""What the readers below import on first use: a warm scan never needs them, a cold one can
import them while layers are read (`hullscan.catalog.registry.warm_up`)."""

_NORMALIZE = re.compile(r"[-_.]+")
_PYTHON_IN_PATH = re.compile(r"/python(\d+\.\d+)t?/")
_HASH = re.compile(r"^[A-Za-z0-9_]+=[A-Za-z0-9_\-=+/]*$")
_VENDOR_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s#;]+)")
_MAX_LICENSE_FIELD = 100
"""Longer `License:` values are the licence's full text, not a name."""
CANDIDATE_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
"""Versions tried when the image's Python is unknown: a marker true for any of them counts."""


def normalize_name(name: str) -> str:
    """Return the PEP 503 normalized form of a project name.

    >>> normalize_name("Foo.Bar__baz")
    'foo-bar-baz'
    """
    return _NORMALIZE.sub("-", name).lower()


def python_version_from_path(path: str) -> str | None:
    """Return `X.Y` when the path sits under a `pythonX.Y` directory.

    >>> python_version_from_path("/usr/lib/python3.11/site-packages/a.dist-info/METADATA")
    '3.11'
    """
    match = _PYTHON_IN_PATH.search(path)
    return match.group(1) if match else None


def decode_text(content: bytes) -> str:
    """Decode packaging text: UTF-8 when valid, else Latin-1 (never fails)."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("latin-1")


@dataclass(frozen=True, slots=True)
class CoreMetadata:
    """The fields of a METADATA / PKG-INFO file that an inventory needs."""

    name: str
    version: str
    licenses: tuple[str, ...] = ()
    supplier: str | None = None
    requires_dist: tuple[str, ...] = ()
    summary: str | None = None
    home_page: str | None = None


class MetadataError(ValueError):
    """A METADATA/PKG-INFO file lacks what identifies a distribution."""


def parse_core_metadata(content: bytes) -> CoreMetadata:
    """Parse the RFC 822 headers of a METADATA or PKG-INFO file."""
    import email.parser  # noqa: PLC0415 - see PARSE_MODULES
    import email.policy  # noqa: PLC0415

    parser = email.parser.Parser(policy=email.policy.compat32)
    message = parser.parsestr(decode_text(content), headersonly=True)
    name = _header(message.get("Name"))
    version = _header(message.get("Version"))
    if not name:
        raise MetadataError("no Name header")
    if not version:
        raise MetadataError(f"{name}: no Version header")
    return CoreMetadata(
        name=name,
        version=version,
        licenses=_licenses(message),
        supplier=_supplier(message),
        requires_dist=tuple(_header(v) for v in message.get_all("Requires-Dist") or () if _header(v)),
        summary=_header(message.get("Summary")) or None,
        home_page=_header(message.get("Home-page")) or None,
    )


def _header(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _licenses(message: email.message.Message) -> tuple[str, ...]:
    found: list[str] = []
    expression = _header(message.get("License-Expression"))
    if expression:
        found.append(expression)
    free_text = _header(message.get("License"))
    short = bool(free_text) and "\n" not in free_text and len(free_text) <= _MAX_LICENSE_FIELD
    if short and free_text.upper() not in ("UNKNOWN", "NONE"):
        found.append(free_text)
    for classifier in message.get_all("Classifier") or ():
        parts = [p.strip() for p in _header(classifier).split("::")]
        if len(parts) >= 2 and parts[0] == "License" and parts[-1] != "OSI Approved":
            found.append(parts[-1])
    return tuple(dict.fromkeys(found))


def _supplier(message: email.message.Message) -> str | None:
    for name_field, email_field in (("Maintainer", "Maintainer-email"), ("Author", "Author-email")):
        name = _header(message.get(name_field))
        mail = _header(message.get(email_field))
        if name and name.upper() != "UNKNOWN":
            return f"{name} <{mail}>" if mail and "<" not in mail else name
        if mail and mail.upper() != "UNKNOWN":
            return mail
    return None


@dataclass(frozen=True, slots=True)
class RecordEntry:
    """One row of a RECORD / installed-files list, as the file states it."""

    path: str
    algorithm: str | None = None
    digest: str | None = None
    size: int | None = None


@dataclass(slots=True)
class RecordListing:
    """The rows of a RECORD file and how many lines had to be skipped."""

    entries: list[RecordEntry] = field(default_factory=list)
    skipped: int = 0


def parse_record(content: bytes) -> RecordListing:
    """Parse RECORD (csv: path, algo=digest, size); malformed lines are counted, not fatal."""
    listing = RecordListing()
    for line in decode_text(content).splitlines():
        if not line.strip():
            continue
        entry = _record_row(line)
        if entry is None:
            listing.skipped += 1
        else:
            listing.entries.append(entry)
    return listing


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f]")
"""Control characters other than tab: binary garbage, not a RECORD row."""


def _record_fields(line: str) -> list[str] | None:
    """Split a RECORD row as csv would; csv itself only when the row uses quoting."""
    if '"' not in line:
        return line.split(",")
    try:
        rows = list(csv.reader(io.StringIO(line)))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _record_row(line: str) -> RecordEntry | None:
    if _CONTROL_CHARACTERS.search(line):
        return None
    fields = _record_fields(line)
    if fields is None or len(fields) != 3:
        return None
    path, hash_field, size_field = fields
    if not path or (hash_field and not _HASH.match(hash_field)):
        return None
    if size_field and not size_field.isdigit():
        return None
    algorithm, _, digest = hash_field.partition("=")
    return RecordEntry(
        path=path,
        algorithm=algorithm or None,
        digest=digest or None,
        size=int(size_field) if size_field else None,
    )


def parse_installed_files(content: bytes) -> RecordListing:
    """Parse an egg-info `installed-files.txt` (one path per line, relative to the egg-info)."""
    listing = RecordListing()
    for line in decode_text(content).splitlines():
        if line.strip():
            listing.entries.append(RecordEntry(path=line.strip()))
    return listing


def requires_txt_to_requirements(content: bytes) -> list[str]:
    """Turn an egg-info `requires.txt` into Requires-Dist strings (sections become markers)."""
    requirements: list[str] = []
    section = ""
    for raw in decode_text(content).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        requirements.append(_with_section(line, section))
    return requirements


def _with_section(requirement: str, section: str) -> str:
    extra, _, marker = section.partition(":")
    clauses = []
    if extra.strip():
        clauses.append(f'extra == "{extra.strip()}"')
    if marker.strip():
        clauses.append(f"({marker.strip()})")
    return f"{requirement}; {' and '.join(clauses)}" if clauses else requirement


def runtime_dependencies(requires_dist: Iterable[str], python_version: str | None) -> list[str]:
    """Return normalized names of requirements that apply without extras on that Python.

    With no known Python, a requirement counts when its marker holds for any candidate version.
    """
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - see PARSE_MODULES

    versions = (python_version,) if python_version else CANDIDATE_PYTHONS
    names: list[str] = []
    for text in requires_dist:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if _applies(requirement.marker, versions):
            names.append(normalize_name(requirement.name))
    return list(dict.fromkeys(names))


def _applies(marker: Marker | None, versions: Iterable[str]) -> bool:
    from packaging.markers import InvalidMarker, UndefinedEnvironmentName  # noqa: PLC0415

    if marker is None:
        return True
    for version in versions:
        try:
            if marker.evaluate(_environment(version)):
                return True
        except (InvalidMarker, UndefinedEnvironmentName, ValueError):
            return False
    return False


def _environment(python_version: str) -> dict[str, str]:
    from packaging.markers import default_environment  # noqa: PLC0415

    env = {key: str(value) for key, value in default_environment().items()}
    env.update(
        {
            "python_version": python_version,
            "python_full_version": f"{python_version}.0",
            "implementation_name": "cpython",
            "implementation_version": f"{python_version}.0",
            "platform_python_implementation": "CPython",
            "os_name": "posix",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "extra": "",
        }
    )
    return env


@dataclass(frozen=True, slots=True)
class VendoredPin:
    """One `name==version` line of a `_vendor/vendor.txt`."""

    name: str
    version: str
    nested: bool
    """True for indented lines (a vendored package's own vendored dependencies)."""


def parse_vendor_txt(content: bytes) -> Iterator[VendoredPin]:
    """Yield the pins of a vendor.txt; other lines (comments, URLs) are ignored."""
    for line in decode_text(content).splitlines():
        match = _VENDOR_LINE.match(line)
        if match:
            yield VendoredPin(match.group(1), match.group(2), nested=line[:1].isspace())


_WHEEL_NAME = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-(?P<build>\d[^-]*))?-[^-]+-[^-]+-[^-]+\.whl$"
)


def wheel_filename_identity(filename: str) -> tuple[str, str] | None:
    """Return (name, version) from a wheel file name, or None if it is not one.

    >>> wheel_filename_identity("pip-23.0.1-py3-none-any.whl")
    ('pip', '23.0.1')
    """
    match = _WHEEL_NAME.match(filename)
    if not match:
        return None
    return match.group("name"), match.group("version")
