"""The ABI section: sonames NEW no longer resolves, symbols it no longer exports, stranded Python code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hullscan.analyze.upgrade.elf_links import (
    ElfObject,
    Resolver,
    elf_objects,
    export_index,
    resolver_for,
    soname_index,
)
from hullscan.analyze.upgrade.model import AbiReport, MissingSymbol, Severity, UnresolvedLibrary
from hullscan.analyze.upgrade.python_abi import (
    PythonLayout,
    interpreter_change,
    python_layout,
    stranded_extensions,
    stranded_site_packages,
)
from hullscan.fileview.interface import FileView


@dataclass(frozen=True, slots=True)
class _Side:
    objects: dict[str, ElfObject]
    resolver: Resolver


def _side(view: FileView, env: Sequence[str]) -> _Side:
    objects = elf_objects(view)
    return _Side(objects, resolver_for(view, objects, env))


def _unresolved(old: _Side, new: _Side) -> list[UnresolvedLibrary]:
    by_name = soname_index(new.objects)
    found: list[UnresolvedLibrary] = []
    for path in sorted(new.objects):
        consumer = new.objects[path]
        wanted = list(consumer.needed)
        if consumer.interpreter and not new.resolver.interpreter_present(consumer):
            wanted.append(consumer.interpreter)
        for soname in wanted:
            if soname == consumer.interpreter:
                if new.resolver.interpreter_present(consumer):
                    continue
            elif new.resolver.resolve(consumer, soname) is not None:
                continue
            before = old.objects.get(path)
            old_provider = _old_provider(old, before, soname)
            if before is not None and soname in (*before.needed, before.interpreter) and old_provider is None:
                continue  # broken before the upgrade too
            elsewhere = tuple(p for p in by_name.get(soname.rsplit("/", 1)[-1], []) if p != path)
            severity = _severity(consumer, elsewhere)
            found.append(UnresolvedLibrary(path, soname, elsewhere, old_provider, severity))
    return found


def _severity(consumer: ElfObject, elsewhere: tuple[str, ...]) -> Severity:
    """Breaking, unless a shared library's soname exists off its path (its host may load it first).

    An executable (PT_INTERP) is the first object of its process: nothing is loaded before it, so
    a copy outside its search path never satisfies it.
    """
    return Severity.REVIEW if elsewhere and consumer.interpreter is None else Severity.BREAKING


def _old_provider(old: _Side, before: ElfObject | None, soname: str) -> str | None:
    if before is None:
        return None
    if soname == before.interpreter:
        record = old.resolver.view.resolve(soname)
        return record.path if record is not None else None
    return old.resolver.resolve(before, soname) if soname in before.needed else None


def _missing_symbols(old: _Side, new: _Side) -> list[MissingSymbol]:
    old_exports = export_index(old.objects)
    new_exports = export_index(new.objects)
    found: list[MissingSymbol] = []
    for path in sorted(new.objects):
        consumer = new.objects[path]
        candidates = [
            s for s in consumer.imports if s in old_exports.providers and s not in new_exports.providers
        ]
        if not candidates:
            continue
        loaded = new.resolver.closure(consumer)
        missing = sorted(s for s in candidates if not new_exports.may_export(s, loaded))
        if missing:
            providers = tuple(sorted({old_exports.providers[s] for s in missing}))
            found.append(MissingSymbol(path, tuple(missing), providers))
    return found


def abi_report(
    old_view: FileView,
    new_view: FileView,
    old_env: Sequence[str],
    new_env: Sequence[str],
    layouts: tuple[PythonLayout, PythonLayout] | None = None,
) -> AbiReport:
    """Return the ABI section for an upgrade from `old_view` to `new_view`."""
    old, new = _side(old_view, old_env), _side(new_view, new_env)
    old_python, new_python = layouts or (python_layout(old_view), python_layout(new_view))
    notes: list[str] = []
    if not new.objects and not old.objects:
        notes.append("no ELF analyses in either image (was the elf analyzer run?)")
    return AbiReport(
        unresolved=tuple(_unresolved(old, new)),
        missing_symbols=tuple(_missing_symbols(old, new)),
        interpreters=interpreter_change(old_python, new_python),
        stranded_extensions=tuple(stranded_extensions(old_python, new_python)),
        stranded_site_packages=tuple(stranded_site_packages(old_python, new_python)),
        elf_objects=len(new.objects),
        notes=tuple(notes),
    )
