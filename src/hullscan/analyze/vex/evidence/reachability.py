"""Which ELF objects the image's entrypoint can load: DT_NEEDED closure through the image's search path.

Start: the config's entrypoint + cmd, argv[0] resolved through the config's `PATH`; `#!`
interpreters (and `/usr/bin/env NAME`) are followed. Libraries are resolved the way ld.so does:
DT_RPATH (when there is no DT_RUNPATH), `LD_LIBRARY_PATH` from the config, DT_RUNPATH,
`/etc/ld.so.conf` (with its includes), then the default and multiarch directories; `$ORIGIN` is
expanded. Objects loaded with dlopen are added where they are known to be: glibc's NSS modules,
libgcc_s and gconv modules once libc is loaded; every extension module under a Python
interpreter's library directories; every `.node` addon under node. An entrypoint that is a shell
(it can run anything) or is missing gives no answer (None) rather than a guess.
"""

from __future__ import annotations

import fnmatch
import io
import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hullscan.analyze.vex.evidence.common import read_file
from hullscan.catalog.bundled.elf import ElfAnalyzer
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.image import ImageConfig

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_LIB_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")
MULTIARCH = re.compile(r"^/(?:usr/)?lib/[a-z0-9_]+-linux-[a-z0-9_]+$")
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox", "fish", "tcsh", "csh"})
PYTHON = re.compile(r"^python(\d+(\.\d+)?)?[dmu]*$")
NODE = frozenset({"node", "nodejs"})
GLIBC_DLOPENED = ("libgcc_s.so*", "libnss_*.so*", "libidn2.so*", "gconv/*.so")
PYTHON_MODULE_DIRS = ("/lib-dynload/", "/site-packages/", "/dist-packages/")
MAX_SHEBANG_HOPS = 4
MAX_OBJECTS = 20_000
ELF = "elf"


@dataclass(slots=True)
class Reachability:
    """The outcome: the entry program, what it loads, and how the answer was found."""

    entry: str
    interpreter_kind: str
    """`elf`, `python` or `node`: what runs the entrypoint."""
    script: str | None
    arguments: tuple[str, ...]
    reachable: set[str] = field(default_factory=set)
    """Real paths of every ELF object that can be loaded."""
    unresolved: list[str] = field(default_factory=list)


def entry_argv(config: ImageConfig) -> list[str]:
    """Entrypoint + cmd, as the runtime composes them."""
    return [*config.entrypoint, *config.cmd]


def config_env(config: ImageConfig) -> dict[str, str]:
    """The config's environment as a mapping."""
    return dict(item.split("=", 1) for item in config.env if "=" in item)


def which(view: FileView, name: str, env: Mapping[str, str], workdir: str) -> FileRecord | None:
    """Resolve a command the way execvp does: a path as given, else each PATH directory."""
    if "/" in name:
        return _regular(view, posixpath.normpath(posixpath.join(workdir or "/", name)))
    for directory in env.get("PATH", DEFAULT_PATH).split(":"):
        found = _regular(view, posixpath.join(directory or workdir or "/", name))
        if found is not None:
            return found
    return None


def _regular(view: FileView, path: str) -> FileRecord | None:
    record = view.resolve(path)
    return record if record is not None and record.kind is FileKind.FILE else None


def elf_summary(view: FileView, path: str) -> dict[str, Any] | None:
    """The `elf` analysis of a file (run now if the view holds none but the file is ELF)."""
    summary = view.analysis(path, ELF)
    if isinstance(summary, dict):
        return summary
    data = read_file(view, path)
    if data is None or not data.startswith(b"\x7fELF"):
        return None
    result = ElfAnalyzer().analyze(path, io.BytesIO(data), len(data))
    return result if isinstance(result, dict) else None


def follow_entry(view: FileView, config: ImageConfig) -> tuple[FileRecord, str | None, list[str]] | None:
    """The ELF program the entrypoint runs, the script it is given (if any), and the arguments."""
    argv = entry_argv(config)
    env = config_env(config)
    if not argv:
        return None
    record = which(view, argv[0], env, config.working_dir)
    script: str | None = None
    arguments = argv[1:]
    for _ in range(MAX_SHEBANG_HOPS):
        if record is None:
            return None
        head = _head(view, record.path)
        if head.startswith(b"\x7fELF"):
            return record, script, arguments
        if not head.startswith(b"#!"):
            return None
        words = shlex.split(head[2:].split(b"\n", 1)[0].decode("utf-8", "replace"))
        if not words:
            return None
        script, interpreter, extra = record.path, words[0], words[1:]
        if posixpath.basename(interpreter) == "env" and extra:
            interpreter, extra = extra[0], extra[1:]
            record = which(view, interpreter, env, config.working_dir)
        else:
            record = _regular(view, interpreter)
        arguments = [*extra, script, *arguments]
    return None


def _head(view: FileView, path: str) -> bytes:
    summary = view.analysis(path, ELF)
    if isinstance(summary, dict):
        return b"\x7fELF"
    data = read_file(view, path)
    return data[:512] if data is not None else b""


def interpreter_kind(program: str) -> str:
    """`shell`, `python`, `node` or `elf` from the program's file name."""
    name = posixpath.basename(program)
    if name in SHELLS:
        return "shell"
    if PYTHON.match(name):
        return "python"
    if name in NODE:
        return "node"
    return "elf"


class LibraryResolver:
    """ld.so's search order over the image's files."""

    def __init__(self, view: FileView, env: Mapping[str, str]) -> None:
        self.view = view
        self.ld_library_path = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d]
        paths = [r.path for r in view.files() if r.visible]
        self.all_paths = paths
        self.configured = self._ld_so_conf(paths)
        multiarch = sorted({posixpath.dirname(p) for p in paths if MULTIARCH.match(posixpath.dirname(p))})
        self.defaults = [*self.configured, *multiarch, *DEFAULT_LIB_DIRS]

    def _ld_so_conf(self, paths: list[str]) -> list[str]:
        directories: list[str] = []
        pending = ["/etc/ld.so.conf"]
        seen: set[str] = set()
        while pending:
            conf = pending.pop(0)
            if conf in seen or len(seen) > 64:
                continue
            seen.add(conf)
            text = (read_file(self.view, conf) or b"").decode("utf-8", "replace")
            for raw in text.splitlines():
                line = raw.split("#", 1)[0].strip()
                if line.startswith("include "):
                    pattern = line.removeprefix("include ").strip()
                    pending += sorted(p for p in paths if fnmatch.fnmatch(p, pattern))
                elif line.startswith("/"):
                    directories.append(line.rstrip("/"))
        return directories

    def resolve(self, needed: str, loader: str, summary: Mapping[str, Any]) -> FileRecord | None:
        """The library a DT_NEEDED entry of `loader` names, or None when the image has none."""
        if "/" in needed:
            return _regular(self.view, needed)
        origin = posixpath.dirname(loader)
        runpath = [self._expand(d, origin) for d in summary.get("runpath") or ()]
        rpath = [] if runpath else [self._expand(d, origin) for d in summary.get("rpath") or ()]
        for directory in (*rpath, *self.ld_library_path, *runpath, *self.defaults):
            found = _regular(self.view, posixpath.join(directory, needed))
            if found is not None:
                return found
        return None

    @staticmethod
    def _expand(directory: str, origin: str) -> str:
        return directory.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)


def _glibc_dlopened(path: str) -> bool:
    name = posixpath.basename(path)
    return any(fnmatch.fnmatch(name, g) or fnmatch.fnmatch(path, "*/" + g) for g in GLIBC_DLOPENED)


def _interpreter_module(path: str, kind: str) -> bool:
    name = posixpath.basename(path)
    if kind == "python":
        return ".so" in name and any(d in path for d in PYTHON_MODULE_DIRS)
    return kind == "node" and name.endswith(".node")


def _dlopen_roots(all_paths: Iterable[str], kind: str, reachable: set[str]) -> Iterator[str]:
    """Objects loaded with dlopen from known places: glibc's, and the interpreter's modules."""
    libc_loaded = any(posixpath.basename(p).startswith("libc.so") for p in reachable)
    for path in all_paths:
        if (libc_loaded and _glibc_dlopened(path)) or _interpreter_module(path, kind):
            yield path


def reachable_objects(view: FileView, config: ImageConfig) -> Reachability | None:
    """Every ELF object the entrypoint can load, or None when that cannot be known."""
    entry = follow_entry(view, config)
    if entry is None:
        return None
    program, script, arguments = entry
    kind = interpreter_kind(program.path)
    if kind == "shell":
        return None
    result = Reachability(program.path, kind, script, tuple(arguments))
    resolver = LibraryResolver(view, config_env(config))
    pending = [program.path]
    while pending:
        _close(view, resolver, pending, result)
        pending = [
            r.path
            for p in _dlopen_roots(resolver.all_paths, kind, result.reachable)
            if (r := _regular(view, p)) is not None and r.path not in result.reachable
        ]
        if len(result.reachable) >= MAX_OBJECTS:
            return None
    return result


def _close(view: FileView, resolver: LibraryResolver, pending: list[str], result: Reachability) -> None:
    while pending and len(result.reachable) < MAX_OBJECTS:
        path = pending.pop()
        if path in result.reachable:
            continue
        summary = elf_summary(view, path)
        if summary is None:
            continue
        result.reachable.add(path)
        interpreter = summary.get("interpreter")
        if interpreter and (found := _regular(view, str(interpreter))) is not None:
            pending.append(found.path)
        for needed in summary.get("needed") or ():
            library = resolver.resolve(str(needed), path, summary)
            if library is None:
                result.unresolved.append(f"{path}: {needed}")
            elif library.path not in result.reachable:
                pending.append(library.path)
