"""Python interpreters, site-packages directories and compiled extension modules across an upgrade.

A directory `<prefix>/lib/pythonX.Y/{site,dist}-packages` is read only by Python X.Y: in a
virtual environment (a `pyvenv.cfg` next to `lib/`) by whatever `<prefix>/bin/python` resolves
to, elsewhere by the image's interpreters. `/usr/lib/python3/dist-packages` is read by every
Debian `python3.X`. An extension module tagged `cpython-3XY` loads only in Python 3.XY.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from hullscan.analyze.upgrade.model import InterpreterChange, StrandedExtension, StrandedSitePackages
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind, FileRecord

_INTERPRETER = re.compile(r"/bin/python(\d+\.\d+)$")
_VERSIONED_SITE = re.compile(
    r"^(?P<prefix>.*)/lib(?:64)?/python(?P<version>\d+\.\d+)t?/(?:site|dist)-packages$"
)
_VERSION_IN_PATH = re.compile(r"/python(\d+\.\d+)t?/")
_EXTENSION = re.compile(r"\.cpython-(\d)(\d+)[a-z]*(?:-[^./]+)?\.so$")
_SITE_NAMES = ("site-packages", "dist-packages")
_DEFAULT_LAUNCHERS = ("/usr/local/bin/python3", "/usr/bin/python3")


def _version_of(record: FileRecord | None) -> str | None:
    if record is None or record.kind is not FileKind.FILE:
        return None
    found = _INTERPRETER.search(record.path)
    return found.group(1) if found else None


@dataclass(frozen=True, slots=True)
class PythonLayout:
    """Where one image's Python lives."""

    versions: tuple[str, ...]
    default: str | None
    site_dirs: dict[str, tuple[str, ...]]
    """Site directory → interpreter versions that read it."""
    distributions: dict[str, int]
    """Site directory → number of installed distributions (dist-info / egg-info) in it."""
    extensions: tuple[str, ...]


def _site_dirs(records: Iterable[FileRecord]) -> tuple[dict[str, int], list[str]]:
    dirs: dict[str, int] = {}
    extensions: list[str] = []
    for record in records:
        path = record.path
        base = posixpath.basename(path)
        if record.kind is FileKind.DIR and base in _SITE_NAMES:
            dirs.setdefault(path, 0)
        parent = posixpath.dirname(path)
        if base.endswith((".dist-info", ".egg-info")) and posixpath.basename(parent) in _SITE_NAMES:
            dirs[parent] = dirs.get(parent, 0) + 1
        if record.kind is FileKind.FILE and _EXTENSION.search(base):
            extensions.append(path)
    return dirs, extensions


def python_layout(view: FileView) -> PythonLayout:
    """Return the interpreters, site directories (with their readers) and extension modules."""
    records = [r for r in view.files() if r.visible]
    versions: set[str] = set()
    for record in records:
        if _INTERPRETER.search(record.path):
            version = _version_of(view.resolve(record.path))
            if version is not None and view.analysis(_resolved_path(view, record.path), "elf") is not None:
                versions.add(version)
    default = next((v for v in (_version_of(view.resolve(p)) for p in _DEFAULT_LAUNCHERS) if v), None)
    counts, extensions = _site_dirs(records)
    ordered = tuple(sorted(versions, key=_version_key))
    readers = {d: _readers(view, d, ordered) for d in counts}
    return PythonLayout(ordered, default, readers, counts, tuple(sorted(extensions)))


def _resolved_path(view: FileView, path: str) -> str:
    record = view.resolve(path)
    return record.path if record is not None else path


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _readers(view: FileView, site_dir: str, versions: tuple[str, ...]) -> tuple[str, ...]:
    found = _VERSIONED_SITE.match(site_dir)
    if found is not None and view.get(f"{found.group('prefix')}/pyvenv.cfg") is not None:
        prefix = found.group("prefix")
        for launcher in ("python", "python3"):
            version = _version_of(view.resolve(f"{prefix}/bin/{launcher}"))
            if version is not None:
                return (version,)
        return ()
    return versions


def _dir_version(site_dir: str) -> str | None:
    found = _VERSION_IN_PATH.search(site_dir + "/")
    return found.group(1) if found else None


def _is_stranded(layout: PythonLayout, site_dir: str) -> bool:
    version = _dir_version(site_dir)
    return version is not None and version not in layout.site_dirs.get(site_dir, ())


def interpreter_change(old: PythonLayout, new: PythonLayout) -> InterpreterChange:
    """Return the interpreters before and after."""
    return InterpreterChange(old.versions, new.versions, old.default, new.default)


def stranded_site_packages(old: PythonLayout, new: PythonLayout) -> list[StrandedSitePackages]:
    """Return NEW site directories no interpreter reads, unless OLD had the same problem."""
    found: list[StrandedSitePackages] = []
    for site_dir in sorted(new.site_dirs):
        if not _is_stranded(new, site_dir) or (site_dir in old.site_dirs and _is_stranded(old, site_dir)):
            continue
        if not new.distributions.get(site_dir):
            continue
        version = _dir_version(site_dir) or ""
        found.append(
            StrandedSitePackages(
                site_dir, version, new.site_dirs[site_dir], new.distributions.get(site_dir, 0)
            )
        )
    return found


def _module_readers(layout: PythonLayout, path: str) -> tuple[str, ...]:
    owner = max((d for d in layout.site_dirs if path.startswith(d + "/")), key=len, default=None)
    if owner is not None:
        return layout.site_dirs[owner]
    version = _dir_version(path)
    if version is not None:
        return tuple(v for v in layout.versions if v == version)
    return layout.versions


def _module_version(path: str) -> tuple[str, str] | None:
    found = _EXTENSION.search(path)
    if found is None:
        return None
    return f"cpython-{found.group(1)}{found.group(2)}", f"{found.group(1)}.{found.group(2)}"


def _loadable(layout: PythonLayout, path: str) -> bool:
    tagged = _module_version(path)
    return tagged is None or tagged[1] in _module_readers(layout, path)


def stranded_extensions(old: PythonLayout, new: PythonLayout) -> list[StrandedExtension]:
    """Return NEW extension modules whose ABI tag no reading interpreter has (loadable in OLD, or new)."""
    old_modules = set(old.extensions)
    found: list[StrandedExtension] = []
    for path in new.extensions:
        tagged = _module_version(path)
        if tagged is None or _loadable(new, path):
            continue
        if path in old_modules and not _loadable(old, path):
            continue
        found.append(StrandedExtension(path, tagged[0], _module_readers(new, path)))
    return found
