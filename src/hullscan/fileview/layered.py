"""Squashed and all-layers views over indexed layers, with whiteouts, links and loop guards."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hullscan.config import Limits, Scope
from hullscan.fileview.interface import FileView
from hullscan.fileview.layer import LayerIndex, read_member
from hullscan.model.files import FileKind, FileRecord
from hullscan.pathnames import join_link, parent
from hullscan.source.interface import BlobOpener

_MARKERS = (FileKind.WHITEOUT, FileKind.OPAQUE)


class _Tree:
    """The merged file tree: path → record, with a children index for subtree deletion.

    The children index is built only when something is deleted (whiteouts, opaque dirs, a file
    replacing a directory): most layers only add files, and then it is never needed.
    """

    def __init__(self) -> None:
        self.records: dict[str, FileRecord] = {}
        self._children: dict[str, set[str]] | None = None

    @property
    def children(self) -> dict[str, set[str]]:
        if self._children is None:
            index: dict[str, set[str]] = {}
            for path in self.records:
                _link(index, path)
            self._children = index
        return self._children

    def remove_subtree(self, path: str, *, keep_layer: int | None = None) -> None:
        children = self.children
        for child in list(children.get(path, ())):
            self.remove_subtree(child, keep_layer=keep_layer)
        record = self.records.get(path)
        if record is not None and record.layer_index != keep_layer:
            del self.records[path]
            children.get(parent(path), set()).discard(path)
            if not children.get(path):
                children.pop(path, None)

    def remove_children(self, path: str, keep_layer: int) -> None:
        for child in list(self.children.get(path, ())):
            self.remove_subtree(child, keep_layer=keep_layer)

    def put(self, record: FileRecord) -> None:
        path = record.path
        previous = self.records.get(path)
        if previous is not None and previous.kind is FileKind.DIR and record.kind is not FileKind.DIR:
            self.remove_children(path, keep_layer=record.layer_index)
        self.records[path] = record
        if self._children is not None:
            _link(self._children, path)


def _link(index: dict[str, set[str]], path: str) -> None:
    """Index `path` under its parent, and every ancestor under its own, up to one already linked.

    Tar layers often omit parent directory entries: a whiteout of `/a` must still reach `/a/b/c`
    when no `/a/b` entry exists, so implicit directories are linked too.
    """
    while path != "/":
        head = path.rpartition("/")[0] or "/"
        siblings = index.get(head)
        if siblings is None:
            index[head] = {path}
        elif path in siblings:
            return
        else:
            siblings.add(path)
        path = head


def _apply(tree: _Tree, layer: LayerIndex) -> None:
    for record in layer.records:
        if record.kind is FileKind.OPAQUE:
            tree.remove_children(record.path, keep_layer=layer.index)
    for record in layer.records:
        if record.kind is FileKind.WHITEOUT:
            tree.remove_subtree(record.path, keep_layer=layer.index)
    for record in layer.records:
        if record.kind not in _MARKERS:
            tree.put(record)


def squash(layers: Sequence[LayerIndex]) -> dict[str, FileRecord]:
    """Return the visible file tree after applying every layer in order."""
    tree = _Tree()
    for layer in layers:
        _apply(tree, layer)
    return tree.records


def squash_prefixes(layers: Sequence[LayerIndex]) -> list[dict[str, FileRecord]]:
    """Return the visible tree after each layer, applying every layer once."""
    tree = _Tree()
    snapshots = []
    for layer in layers:
        _apply(tree, layer)
        snapshots.append(dict(tree.records))
    return snapshots


class LayeredView(FileView):
    """A view of an image's layers: squashed (what runs) or all-layers (everything)."""

    def __init__(
        self,
        layers: Sequence[LayerIndex],
        scope: Scope = Scope.SQUASHED,
        openers: Sequence[BlobOpener] | None = None,
        limits: Limits | None = None,
        squashed: dict[str, FileRecord] | None = None,
    ) -> None:
        self.layers = list(layers)
        self.scope = scope
        self._openers = list(openers) if openers else None
        self._limits = limits or Limits()
        self._visible = squashed if squashed is not None else squash(self.layers)
        self._sorted: list[FileRecord] | None = None
        self._prefixes: list[dict[str, FileRecord]] | None = None
        self._warnings = tuple(w for layer in self.layers for w in layer.warnings)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._warnings

    def files(self) -> Iterator[FileRecord]:
        if self.scope is Scope.SQUASHED:
            if self._sorted is None:
                self._sorted = [self._visible[path] for path in sorted(self._visible)]
            yield from self._sorted
            return
        everything: list[FileRecord] = []
        for layer in self.layers:
            for record in layer.records:
                if record.kind in _MARKERS:
                    continue
                current = self._visible.get(record.path)
                visible = current is not None and current.layer_index == record.layer_index
                everything.append(record if visible else _hidden(record))
        everything.sort(key=lambda r: (r.path, r.layer_index))
        yield from everything

    def deleted(self) -> Iterator[FileRecord]:
        """Yield records that some layer holds but the squashed view does not show."""
        for record in self.files() if self.scope is Scope.ALL_LAYERS else ():
            if not record.visible:
                yield record

    def get(self, path: str) -> FileRecord | None:
        return self._visible.get(path)

    def resolve(self, path: str) -> FileRecord | None:
        resolved = resolve_path(self._visible, path, self._limits.max_symlink_hops)
        if resolved is None:
            return None
        record = self._visible.get(resolved)
        if record is not None and record.kind is FileKind.HARDLINK and record.link_target:
            return self._hardlink_target(record)
        return record

    def _hardlink_target(self, record: FileRecord) -> FileRecord | None:
        target = record.link_target or ""
        for layer in reversed(self.layers[: record.layer_index + 1]):
            if layer.index != record.layer_index:
                continue
            for candidate in layer.records:
                if candidate.path == target and candidate.kind is FileKind.FILE:
                    return candidate
        return self._visible.get(target)

    def read(self, path: str) -> bytes:
        record = self.resolve(path)
        if record is None or record.kind is not FileKind.FILE:
            raise FileNotFoundError(path)
        return self.read_record(record)

    def read_record(self, record: FileRecord) -> bytes:
        """Return the content of a specific layer's copy of a file."""
        layer = self.layers[record.layer_index]
        data = layer.contents.get(record.path)
        if data is not None:
            return data
        if self._openers is None:
            raise FileNotFoundError(record.path)
        fetched = read_member(self._openers[record.layer_index], record.path, self._limits)
        if fetched is None:
            raise FileNotFoundError(record.path)
        return fetched

    def analyses(self, analyzer: str) -> Iterator[tuple[FileRecord, Any]]:
        for record in self.files():
            if not record.visible or record.kind is not FileKind.FILE:
                continue
            found = self.layers[record.layer_index].analyses.get(record.path)
            if found is not None and analyzer in found:
                yield record, found[analyzer]

    def analysis(self, path: str, analyzer: str) -> Any:
        record = self._visible.get(path)
        if record is None or record.kind is not FileKind.FILE:
            record = self.resolve(path)  # only links need the walk
        if record is None:
            return None
        return self.layers[record.layer_index].analyses.get(record.path, {}).get(analyzer)

    def all_paths(self) -> Iterable[str]:
        return {record.path for layer in self.layers for record in layer.records}

    def layer_records(self, index: int) -> Iterable[FileRecord]:
        return self.layers[index].records

    @property
    def layer_count(self) -> int:
        return len(self.layers)

    def layer_digest(self, index: int) -> str | None:
        return self.layers[index].digest

    def at_layer(self, index: int) -> LayeredView:
        """Return the squashed view of layers 0..index (what the image looked like then)."""
        if index == len(self.layers) - 1 and self.scope is Scope.SQUASHED:
            return self
        if self._prefixes is None:
            self._prefixes = squash_prefixes(self.layers)
        return LayeredView(
            self.layers[: index + 1], Scope.SQUASHED, self._openers, self._limits, self._prefixes[index]
        )


def _hidden(record: FileRecord) -> FileRecord:
    return FileRecord(
        path=record.path,
        kind=record.kind,
        size=record.size,
        mode=record.mode,
        layer_index=record.layer_index,
        layer_digest=record.layer_digest,
        link_target=record.link_target,
        mtime=record.mtime,
        uid=record.uid,
        gid=record.gid,
        visible=False,
    )


def resolve_path(tree: dict[str, FileRecord], path: str, max_hops: int) -> str | None:
    """Resolve every symlink in `path` inside the tree; None when missing or looping.

    Absolute targets are re-rooted at the image root and `..` never climbs above it.
    """
    pending = [p for p in path.split("/") if p]
    resolved = "/"
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = parent(resolved)
            continue
        candidate = posixpath.join(resolved, part)
        record = tree.get(candidate)
        if record is None:
            if not pending:
                return None
            resolved = candidate  # an implicit parent directory (tar without dir entries)
            continue
        if record.kind is FileKind.SYMLINK:
            hops += 1
            if hops > max_hops:
                return None
            target = record.link_target or ""
            restart = join_link(resolved, target) if target else resolved
            pending = [p for p in restart.split("/") if p] + pending
            resolved = "/"
            continue
        resolved = candidate
    return resolved
