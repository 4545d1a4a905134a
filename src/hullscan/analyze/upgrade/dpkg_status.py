"""Read the relation fields dpkg-status does not keep (Breaks, Conflicts, Replaces, versioned Provides).

The dpkg-status cataloger records Depends and Pre-Depends as clause strings and Provides as names
only; dependency checks need versioned Provides and Breaks/Conflicts/Replaces too, so the raw
status file is read here from the view (distroless `status.d/` files included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hullscan.catalog.ecosystems.dpkg import STATUS_DIR, STATUS_PATH, parse_stanzas
from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind

_RELATION = re.compile(
    r"^\s*(?P<name>[^\s(\[<>=|,:]+)(?::(?P<arch>[a-z0-9-]+))?\s*"
    r"(?:\(\s*(?P<op><<|<=|=|>=|>>|<|>)\s*(?P<version>[^)\s]+)\s*\))?\s*(?:\[(?P<archs>[^]]*)\])?"
)


@dataclass(frozen=True, slots=True)
class Relation:
    """One alternative of a relation field: `name[:arch] [(op version)]`."""

    name: str
    op: str | None = None
    version: str | None = None
    arch_qualifier: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class DpkgEntry:
    """An installed package with every relation field parsed."""

    name: str
    version: str
    architecture: str
    multi_arch: str
    depends: tuple[tuple[Relation, ...], ...]
    pre_depends: tuple[tuple[Relation, ...], ...]
    breaks: tuple[Relation, ...]
    conflicts: tuple[Relation, ...]
    provides: tuple[Relation, ...]
    replaces: tuple[Relation, ...]
    source: str


def parse_relations(value: str | None) -> tuple[tuple[Relation, ...], ...]:
    """Parse a Depends-style field into OR-groups of relations (architecture lists are ignored)."""
    groups: list[tuple[Relation, ...]] = []
    for clause in (value or "").replace("\n", " ").split(","):
        alternatives = []
        for alternative in clause.split("|"):
            found = _RELATION.match(alternative)
            if found is None or not found.group("name"):
                continue
            op = found.group("op")
            op = {"<": "<=", ">": ">="}.get(op, op) if op else None  # obsolete forms
            alternatives.append(
                Relation(
                    found.group("name"), op, found.group("version"), found.group("arch"), alternative.strip()
                )
            )
        if alternatives:
            groups.append(tuple(alternatives))
    return tuple(groups)


def _flat(value: str | None) -> tuple[Relation, ...]:
    return tuple(relation for group in parse_relations(value) for relation in group)


def _installed(status: str | None, *, required: bool) -> bool:
    if status is None:
        return not required
    words = status.split()
    return len(words) == 3 and words[0] in ("install", "hold") and words[2] == "installed"


def _status_texts(view: FileView) -> list[tuple[str, bool]]:
    texts: list[tuple[str, bool]] = []
    paths = [(STATUS_PATH, True)]
    paths += [
        (r.path, False)
        for r in view.files()
        if r.path.startswith(STATUS_DIR)
        and r.kind is FileKind.FILE
        and "/" not in r.path[len(STATUS_DIR) :]
        and not r.path.endswith(".md5sums")
    ]
    for path, required in paths:
        if view.get(path) is None:
            continue
        try:
            texts.append((view.read(path).decode("utf-8", "replace"), required))
        except (OSError, HullscanError):
            continue
    return texts


def read_dpkg_status(view: FileView) -> list[DpkgEntry]:
    """Return every installed package of the image's dpkg database (empty when there is none)."""
    entries: list[DpkgEntry] = []
    for text, required in _status_texts(view):
        for stanza in parse_stanzas(text):
            name, version = stanza.get("package"), stanza.get("version")
            if stanza.problem or not name or not version:
                continue
            if not _installed(stanza.get("status"), required=required):
                continue
            source = (stanza.get("source") or name).split("(")[0].strip() or name
            entries.append(
                DpkgEntry(
                    name=name,
                    version=version,
                    architecture=stanza.get("architecture") or "all",
                    multi_arch=stanza.get("multi-arch") or "no",
                    depends=parse_relations(stanza.get("depends")),
                    pre_depends=parse_relations(stanza.get("pre-depends")),
                    breaks=_flat(stanza.get("breaks")),
                    conflicts=_flat(stanza.get("conflicts")),
                    provides=_flat(stanza.get("provides")),
                    replaces=_flat(stanza.get("replaces")),
                    source=source,
                )
            )
    return entries
