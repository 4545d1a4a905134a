"""squash() agrees with a plain dictionary model of OCI layer semantics on random layer stacks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hullscan.fileview.layer import LayerIndex
from hullscan.fileview.layered import squash
from hullscan.model.files import FileKind, FileRecord

PATHS = ["/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f"]
KINDS = [FileKind.FILE, FileKind.DIR, FileKind.SYMLINK, FileKind.WHITEOUT, FileKind.OPAQUE]
layer_strategy = st.lists(
    st.tuples(st.sampled_from(PATHS), st.sampled_from(KINDS)), max_size=6, unique_by=lambda t: t[0]
)


def _under(path: str, root: str) -> bool:
    return path.startswith(root.rstrip("/") + "/")


def _drop(tree: dict[str, tuple[int, FileKind]], index: int, matches: object) -> None:
    for other in [p for p in tree if matches(p) and tree[p][0] != index]:  # type: ignore[operator]
        del tree[other]


def _model(layers: list[list[tuple[str, FileKind]]]) -> dict[str, tuple[int, FileKind]]:
    """Per layer: opaque markers, then whiteouts, then additions (a file replacing a directory
    hides what was below it); deletions never touch the layer's own entries."""
    tree: dict[str, tuple[int, FileKind]] = {}
    for index, entries in enumerate(layers):
        for path in (p for p, kind in entries if kind is FileKind.OPAQUE):
            _drop(tree, index, lambda p, root=path: _under(p, root))
        for path in (p for p, kind in entries if kind is FileKind.WHITEOUT):
            _drop(tree, index, lambda p, root=path: p == root or _under(p, root))
        for path, kind in entries:
            if kind in (FileKind.WHITEOUT, FileKind.OPAQUE):
                continue
            previous = tree.get(path)
            if previous is not None and previous[1] is FileKind.DIR and kind is not FileKind.DIR:
                _drop(tree, index, lambda p, root=path: _under(p, root))
            tree[path] = (index, kind)
    return tree


@settings(max_examples=300, deadline=None)
@given(st.lists(layer_strategy, min_size=1, max_size=4))
def test_squash_matches_the_model(layers: list[list[tuple[str, FileKind]]]) -> None:
    indexes = [
        LayerIndex(
            digest=f"sha256:{i}",
            index=i,
            records=[FileRecord(path, kind, 0, 0o644, i, f"sha256:{i}") for path, kind in sorted(entries)],
        )
        for i, entries in enumerate(layers)
    ]
    got = {path: (r.layer_index, r.kind) for path, r in squash(indexes).items()}
    assert got == _model(layers)
