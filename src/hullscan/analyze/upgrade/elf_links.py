"""An `ldd` over a file view: resolve DT_NEEDED like the dynamic loader, and compare symbol providers.

Search order per object (glibc): DT_RPATH (when there is no DT_RUNPATH), LD_LIBRARY_PATH from the
image config, DT_RUNPATH, the directories of /etc/ld.so.conf (includes followed), then the
default directories (`/lib/<multiarch>`, `/usr/lib/<multiarch>`, `/lib`, `/usr/lib`, and
`/lib64`, `/usr/lib64` for 64-bit objects). `$ORIGIN`, `$LIB` and `$PLATFORM` are expanded. A
candidate only counts when it is an ELF object of the consumer's class and machine.

Symbol lists in the `elf` analysis are sorted and capped: a capped provider is treated as
possibly exporting every name past its last listed one, so no symbol is reported missing on
incomplete evidence.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind

LD_SO_CONF = "/etc/ld.so.conf"
MULTIARCH = {
    "EM_X86_64": ("x86_64-linux-gnu", "x86_64"),
    "EM_AARCH64": ("aarch64-linux-gnu", "aarch64"),
    "EM_386": ("i386-linux-gnu", "i686"),
    "EM_ARM": ("arm-linux-gnueabihf", "armv7l"),
    "EM_PPC64": ("powerpc64le-linux-gnu", "ppc64le"),
    "EM_S390": ("s390x-linux-gnu", "s390x"),
    "EM_RISCV": ("riscv64-linux-gnu", "riscv64"),
}
_LOADABLE_TYPES = frozenset({"ET_DYN", "ET_EXEC"})
_SKIPPED_PREFIXES = ("/usr/lib/debug/",)
_MAX_INCLUDE_DEPTH = 8
_ORIGIN = re.compile(r"\$(\{ORIGIN\}|ORIGIN)")


@dataclass(frozen=True, slots=True)
class ElfObject:
    """What resolution needs from one ELF file's `elf` analysis."""

    path: str
    machine: str
    elf_class: int
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    soname: str | None
    interpreter: str | None
    exports: frozenset[str]
    exports_capped_after: str | None
    """The last listed export when the list was capped (None when complete)."""
    imports: tuple[str, ...]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def elf_object(path: str, summary: Any) -> ElfObject | None:
    """Return the object for a loadable ELF analysis, None for other or broken files."""
    if not isinstance(summary, dict) or summary.get("type") not in _LOADABLE_TYPES:
        return None
    exports = _strings(summary.get("exports"))
    total = summary.get("exports_total")
    capped = isinstance(total, int) and total > len(exports) and bool(exports)
    soname = summary.get("soname")
    interpreter = summary.get("interpreter")
    return ElfObject(
        path=path,
        machine=str(summary.get("machine", "")),
        elf_class=int(summary.get("class", 0) or 0),
        needed=_strings(summary.get("needed")),
        rpath=_strings(summary.get("rpath")),
        runpath=_strings(summary.get("runpath")),
        soname=soname if isinstance(soname, str) else None,
        interpreter=interpreter if isinstance(interpreter, str) else None,
        exports=frozenset(exports),
        exports_capped_after=max(exports) if capped else None,
        imports=_strings(summary.get("imports")),
    )


def elf_objects(view: FileView) -> dict[str, ElfObject]:
    """Return every loadable ELF object of the view by path (regular files only)."""
    found: dict[str, ElfObject] = {}
    for record in view.files():
        if (
            not record.visible
            or record.kind is not FileKind.FILE
            or record.path.startswith(_SKIPPED_PREFIXES)
        ):
            continue
        summary = view.analysis(record.path, "elf")
        if summary is None:
            continue
        item = elf_object(record.path, summary)
        if item is not None:
            found[record.path] = item
    return found


def _read_text(view: FileView, path: str) -> str | None:
    try:
        return view.read(path).decode("utf-8", "replace")
    except (OSError, HullscanError):
        return None


def _conf_files(view: FileView, pattern: str) -> list[str]:
    if not any(ch in pattern for ch in "*?["):
        return [pattern]
    directory = posixpath.dirname(pattern)
    prefix = directory.rstrip("/") + "/"
    return sorted(
        r.path
        for r in view.files()
        if r.path.startswith(prefix) and "/" not in r.path[len(prefix) :] and fnmatch.fnmatch(r.path, pattern)
    )


def ld_so_conf_dirs(view: FileView, path: str = LD_SO_CONF, depth: int = 0) -> list[str]:
    """Return the directories /etc/ld.so.conf lists, following `include` lines (globs too)."""
    text = _read_text(view, path)
    if text is None or depth > _MAX_INCLUDE_DEPTH:
        return []
    dirs: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("hwcap "):
            continue
        if line.startswith("include"):
            for pattern in line.split()[1:]:
                absolute = (
                    pattern if pattern.startswith("/") else posixpath.join(posixpath.dirname(path), pattern)
                )
                for included in _conf_files(view, absolute):
                    dirs.extend(ld_so_conf_dirs(view, included, depth + 1))
            continue
        dirs.extend(d for d in re.split(r"[\s:,=]+", line) if d.startswith("/"))
    return list(dict.fromkeys(dirs))


def default_dirs(machine: str, elf_class: int) -> tuple[str, ...]:
    """Return the loader's built-in directories for a machine (Debian multiarch first)."""
    triplet = MULTIARCH.get(machine, ("", ""))[0]
    dirs = [f"/lib/{triplet}", f"/usr/lib/{triplet}"] if triplet else []
    dirs += ["/lib", "/usr/lib"]
    if elf_class == 64:
        dirs += ["/lib64", "/usr/lib64"]
    return tuple(dirs)


def _expand(entry: str, consumer: ElfObject) -> str:
    triplet, platform = MULTIARCH.get(consumer.machine, ("", ""))
    expanded = _ORIGIN.sub(posixpath.dirname(consumer.path), entry)
    expanded = expanded.replace("${LIB}", f"lib/{triplet}").replace("$LIB", f"lib/{triplet}")
    return expanded.replace("${PLATFORM}", platform).replace("$PLATFORM", platform)


@dataclass(slots=True)
class Resolver:
    """Resolves sonames of the objects of one view (memoized per directory and machine)."""

    view: FileView
    objects: dict[str, ElfObject]
    ld_library_path: tuple[str, ...] = ()
    conf_dirs: tuple[str, ...] = ()
    _memo: dict[tuple[str, str, str, int], str | None] = field(default_factory=dict)

    def search_path(self, consumer: ElfObject) -> list[str]:
        """Return the directories searched for the consumer's DT_NEEDED entries, in order."""
        own = () if consumer.runpath else consumer.rpath
        dirs = [*own, *self.ld_library_path, *consumer.runpath]
        expanded = [_expand(d, consumer) for d in dirs if d]
        return [*expanded, *self.conf_dirs, *default_dirs(consumer.machine, consumer.elf_class)]

    def resolve(self, consumer: ElfObject, soname: str) -> str | None:
        """Return the path the loader would load for `soname`, or None."""
        if "/" in soname:
            return self._candidate(_expand(soname, consumer), consumer)
        for directory in self.search_path(consumer):
            key = (directory, soname, consumer.machine, consumer.elf_class)
            if key not in self._memo:
                self._memo[key] = self._candidate(posixpath.join(directory, soname), consumer)
            if self._memo[key] is not None:
                return self._memo[key]
        return None

    def _candidate(self, path: str, consumer: ElfObject) -> str | None:
        record = self.view.resolve(path)
        if record is None or record.kind is not FileKind.FILE:
            return None
        target = self.objects.get(record.path)
        if target is None or target.machine != consumer.machine or target.elf_class != consumer.elf_class:
            return None
        return record.path

    def closure(self, consumer: ElfObject) -> set[str]:
        """Return the paths of every object the consumer loads, transitively (itself included)."""
        seen = {consumer.path}
        pending = [consumer]
        while pending:
            current = pending.pop()
            for soname in current.needed:
                found = self.resolve(current, soname)
                if found is not None and found not in seen:
                    seen.add(found)
                    pending.append(self.objects[found])
        return seen

    def interpreter_present(self, consumer: ElfObject) -> bool:
        """Return True when the object has no PT_INTERP or the interpreter exists."""
        return consumer.interpreter is None or self.view.resolve(consumer.interpreter) is not None


def resolver_for(view: FileView, objects: dict[str, ElfObject], env: Sequence[str]) -> Resolver:
    """Return a resolver using the image's ld.so.conf and its config's LD_LIBRARY_PATH."""
    ld_path: tuple[str, ...] = ()
    for item in env:
        name, _, value = item.partition("=")
        if name == "LD_LIBRARY_PATH":
            ld_path = tuple(d for d in value.split(":") if d)
    return Resolver(view, objects, ld_path, tuple(ld_so_conf_dirs(view)))


@dataclass(frozen=True, slots=True)
class ExportIndex:
    """Which symbols some object of an image exports (capped lists handled conservatively)."""

    providers: dict[str, str]
    """Symbol → first object (by path) exporting it."""
    capped_after: dict[str, str]
    """Capped provider path → its last listed name: any later name may be exported by it."""

    def may_export(self, symbol: str, loaded: set[str] | None = None) -> bool:
        """Return True unless no object can be exporting `symbol`.

        Capped providers count only when `loaded` (the consumer's closure) holds them, or when
        `loaded` is None.
        """
        if symbol in self.providers:
            return True
        return any(
            symbol > last for path, last in self.capped_after.items() if loaded is None or path in loaded
        )


def export_index(objects: dict[str, ElfObject]) -> ExportIndex:
    """Return the export index of the given objects."""
    providers: dict[str, str] = {}
    capped: dict[str, str] = {}
    for path in sorted(objects):
        item = objects[path]
        for symbol in item.exports:
            providers.setdefault(symbol, path)
        if item.exports_capped_after is not None:
            capped[path] = item.exports_capped_after
    return ExportIndex(providers, capped)


def soname_index(objects: dict[str, ElfObject]) -> dict[str, list[str]]:
    """Return soname (or file name) → paths of objects carrying it."""
    index: dict[str, list[str]] = {}
    for path in sorted(objects):
        names = {posixpath.basename(path)}
        if objects[path].soname:
            names.add(str(objects[path].soname))
        for name in names:
            index.setdefault(name, []).append(path)
    return index


def needed_pairs(objects: dict[str, ElfObject]) -> Iterator[tuple[ElfObject, str]]:
    """Yield (consumer, soname) for every DT_NEEDED entry, consumers sorted by path."""
    for path in sorted(objects):
        for soname in objects[path].needed:
            yield objects[path], soname
