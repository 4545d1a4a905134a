"""Static import graph of a Python entrypoint over the image's installed files (bounded).

Given the script (or `-m module`, or `-c code`) a Python entrypoint runs, follow `import` and
`from ... import` statements (parsed with `ast`, never executed) through the image's `sys.path`
directories: the script's directory, the interpreter's standard library and every site-packages
directory the inventory knows. Files are read one level at a time, each level in one pass per
layer, after one prefetch pass of every `.py` file under those directories. Dynamic imports
(`__import__`, `importlib.import_module`) with a constant name are followed; the others (and
entry-point loading) cannot be, and are reported as `dynamic_sites` so callers can say so. The
answer is None (unknown) when the entry runs an interactive interpreter or a bound is hit.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hullscan.analyze.vex.evidence.batch import read_many
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind

MAX_FILES = 4000
MAX_LEVELS = 60
MAX_SOURCE_BYTES = 4 * 1024 * 1024
MAX_PREFETCH_BYTES = 256 * 1024 * 1024
_DYNAMIC_CALLS = frozenset(
    {"__import__", "import_module", "entry_points", "iter_entry_points", "load_entry_point"}
)
_STDLIB_DIR = re.compile(r"^/usr(?:/local)?/lib/python3(?:\.\d+)?$")
_FLAGS_WITH_VALUE = frozenset({"-W", "-X", "-Q"})
STARTUP_MODULES = ("site", "sitecustomize", "usercustomize")
"""Imported by every interpreter start (unless `-S`), before the entry's own code."""


@dataclass(slots=True)
class ImportGraph:
    """The files the entry can import (paths in the image)."""

    reached: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)
    dynamic_sites: list[str] = field(default_factory=list)
    """`path:line` of reached non-stdlib code importing by a computed name (not followed)."""


@dataclass(frozen=True, slots=True)
class _Start:
    path: str | None
    module: str | None
    code: str | None


def parse_python_args(arguments: Sequence[str]) -> _Start | None:
    """What `python [options] (script | -m module | -c code)` runs; None for an interactive shell."""
    items = list(arguments)
    while items:
        item = items.pop(0)
        if item == "-m" and items:
            return _Start(None, items[0], None)
        if item == "-c" and items:
            return _Start(None, None, items[0])
        if item in _FLAGS_WITH_VALUE:
            items = items[1:]
            continue
        if item.startswith("-"):
            continue
        return _Start(item, None, None)
    return None


class _Walker:
    def __init__(self, view: FileView, search: Sequence[str], stdlib: Sequence[str]) -> None:
        self.view = view
        self.search = list(search)
        self.stdlib = tuple(d.rstrip("/") + "/" for d in stdlib)
        self.graph = ImportGraph()
        self.sources: dict[str, bytes] = {}

    def module_files(self, module: str, extra: Sequence[str] = ()) -> list[str]:
        """The files importing `module` loads: each parent package's `__init__` and the module itself."""
        files: list[str] = []
        parts = module.split(".")
        for directory in (*extra, *self.search):
            found = self._in(directory, parts)
            if found:
                files += found
                break
        return files

    def _in(self, directory: str, parts: list[str]) -> list[str]:
        found: list[str] = []
        for depth in range(1, len(parts) + 1):
            stem = posixpath.join(directory, *parts[:depth])
            hit = self._file(stem + "/__init__.py") or self._file(stem + ".py") or self._extension(stem)
            if hit is None:
                if depth == 1 and self._is_dir(stem):  # namespace package
                    continue
                return found if depth > 1 else []
            found.append(hit)
        return found

    def _file(self, path: str) -> str | None:
        record = self.view.resolve(path)
        return record.path if record is not None and record.kind is FileKind.FILE else None

    def _is_dir(self, path: str) -> bool:
        record = self.view.resolve(path)
        return record is not None and record.kind is FileKind.DIR

    def _extension(self, stem: str) -> str | None:
        directory, name = posixpath.split(stem)
        prefix = f"{directory}/{name}."
        for path in self._listing(directory):
            if path.startswith(prefix) and path.endswith((".so", ".pyd")):
                return path
        return None

    def _listing(self, directory: str) -> list[str]:
        cache = self.__dict__.setdefault("_listings", {})
        if not cache:
            for record in self.view.files():
                if record.visible:
                    cache.setdefault(posixpath.dirname(record.path), []).append(record.path)
        result: list[str] = cache.get(directory, [])
        return result

    def imports_of(self, path: str, source: bytes) -> list[tuple[str, str | None]]:
        """(module, origin directory for relative imports) pairs a source file imports."""
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError):
            return []
        package_dir = posixpath.dirname(path)
        wanted: list[tuple[str, str | None]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                wanted += [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                wanted += self._from_import(node, package_dir)
            elif isinstance(node, ast.Call) and _called_name(node) in _DYNAMIC_CALLS:
                wanted += self._dynamic(path, node)
        return wanted

    def _dynamic(self, path: str, node: ast.Call) -> list[tuple[str, str | None]]:
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
            return [(first.value, None)]
        if not path.startswith(self.stdlib):
            self.graph.dynamic_sites.append(f"{path}:{node.lineno}")
        return []

    @staticmethod
    def _from_import(node: ast.ImportFrom, package_dir: str) -> list[tuple[str, str | None]]:
        base = node.module or ""
        if node.level:
            directory = package_dir
            for _ in range(node.level - 1):
                directory = posixpath.dirname(directory)
            names = [base] if base else []
            names += [f"{base}.{a.name}" if base else a.name for a in node.names if a.name != "*"]
            return [(n, directory) for n in names]
        return [(base, None), *((f"{base}.{a.name}", None) for a in node.names if a.name != "*")]

    def prefetch(self) -> None:
        """Read every `.py` file under the search directories in one pass per layer (size-capped)."""
        roots = tuple(d.rstrip("/") + "/" for d in self.search)
        wanted, total = [], 0
        for record in self.view.files():
            if record.visible and record.path.endswith(".py") and record.path.startswith(roots):
                total += record.size
                wanted.append(record.path)
        if total <= MAX_PREFETCH_BYTES:
            self.sources = read_many(self.view, wanted, MAX_SOURCE_BYTES)

    def walk(self, start_files: Iterable[str]) -> ImportGraph | None:
        level = [f for f in start_files if f]
        for _ in range(MAX_LEVELS):
            level = [f for f in dict.fromkeys(level) if f not in self.graph.reached]
            if not level:
                return self.graph
            self.graph.reached.update(level)
            if len(self.graph.reached) > MAX_FILES:
                return None
            missing = [f for f in level if f.endswith(".py") and f not in self.sources]
            sources = {f: self.sources[f] for f in level if f in self.sources}
            sources.update(read_many(self.view, missing, MAX_SOURCE_BYTES))
            following: list[str] = []
            for path, source in sorted(sources.items()):
                for module, origin in self.imports_of(path, source):
                    self.graph.modules.add(module)
                    following += self.module_files(module, [origin] if origin else [])
            level = following
        return None


def import_graph(
    view: FileView,
    arguments: Sequence[str],
    site_dirs: Sequence[str],
    stdlib_dirs: Sequence[str],
) -> ImportGraph | None:
    """The files the Python entry reaches through imports; None when that cannot be known."""
    start = parse_python_args(arguments)
    if start is None:
        return None
    search = [*stdlib_dirs, *site_dirs]
    if start.path is not None:
        search.insert(0, posixpath.dirname(start.path))
    startup = _startup(view, site_dirs)
    search += startup.paths
    walker = _Walker(view, search, stdlib_dirs)
    walker.prefetch()
    if start.code is not None:
        first = [
            f
            for m, o in walker.imports_of("<-c>", start.code.encode())
            for f in walker.module_files(m, [o] if o else [])
        ]
        walker.graph.reached.add("<-c>")
    elif start.module is not None:
        first = walker.module_files(start.module) + walker.module_files(start.module + ".__main__")
    else:
        first = [start.path] if start.path else []
    for module in STARTUP_MODULES:
        first += walker.module_files(module)
    for code in startup.code:
        first += [
            f
            for m, o in walker.imports_of("<.pth>", code.encode())
            for f in walker.module_files(m, [o] if o else [])
        ]
    return walker.walk(first)


@dataclass(frozen=True, slots=True)
class _Startup:
    code: tuple[str, ...]
    """`import` lines of `.pth` files (run by `site` at start-up)."""
    paths: tuple[str, ...]


def _startup(view: FileView, site_dirs: Sequence[str]) -> _Startup:
    """What `site` does at start-up: `.pth` files add directories and run their `import` lines."""
    pth_files = [
        r.path
        for r in view.files()
        if r.visible and r.path.endswith(".pth") and posixpath.dirname(r.path) in set(site_dirs)
    ]
    modules: list[str] = []
    paths: list[str] = []
    for path, content in sorted(read_many(view, pth_files, MAX_SOURCE_BYTES).items()):
        for raw in content.decode("utf-8", "replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("import ", "import\t")):
                modules.append(line)
            else:
                paths.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), line)))
    return _Startup(tuple(modules), tuple(paths))


def _called_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return node.func.id if isinstance(node.func, ast.Name) else ""


def stdlib_directories(view: FileView, interpreter: str) -> list[str]:
    """The standard-library directories of the interpreter (`/usr/lib/python3.11` and lib-dynload)."""
    name = posixpath.basename(interpreter)
    version = name.removeprefix("python")
    candidates = {posixpath.dirname(r.path) for r in view.files() if r.visible and r.path.endswith("/os.py")}
    exact = "." in version
    found = sorted(d for d in candidates if _STDLIB_DIR.match(d) and (not exact or d.endswith(version)))
    return [*found, *(f"{d}/lib-dynload" for d in found)]
