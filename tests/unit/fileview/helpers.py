"""Small synthetic images for file-view unit tests, written with hullscan's own tar/OCI writers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hullscan.build.oci import write_oci_layout
from hullscan.build.tarwriter import Compression, Entry, LayerBlob, write_layer
from hullscan.config import ScanOptions, Scope


def make_image(
    tmp: Path,
    layers: Sequence[Sequence[Entry]],
    compression: Compression = Compression.GZIP,
    config: dict[str, object] | None = None,
) -> tuple[Path, list[LayerBlob]]:
    """Write an OCI layout with one layer per entry list; return (layout dir, blobs)."""
    blobs = [
        write_layer(tmp / "staging" / f"layer{i}.tar", entries, compression)
        for i, entries in enumerate(layers)
    ]
    layout = tmp / "layout"
    write_oci_layout(layout, blobs, config, tag="test")
    return layout, blobs


def options(tmp: Path, scope: Scope = Scope.SQUASHED, **kwargs: object) -> ScanOptions:
    """Scan options with a private cache directory."""
    return ScanOptions(scope=scope, cache_dir=tmp / "cache", workers=2, **kwargs)  # type: ignore[arg-type]
