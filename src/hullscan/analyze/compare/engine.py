"""Put several images' facts side by side and find the layers they share (same diff_id)."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.analyze.compare.facts import unique_names
from hullscan.analyze.compare.model import Comparison, ImageFacts, SharedLayer
from hullscan.analyze.dedup.model import DedupReport
from hullscan.errors import HullscanError


def shared_layers(images: Sequence[ImageFacts]) -> tuple[SharedLayer, ...]:
    """Return the layers held by more than one image, in first-seen order."""
    holders: dict[str, list[tuple[str, int]]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for image in images:
        for layer in image.layers:
            positions = holders.setdefault(layer.diff_id, [])
            if all(name != image.name for name, _ in positions):
                positions.append((image.name, layer.index))
            sizes.setdefault(layer.diff_id, (layer.file_bytes, layer.blob_bytes))
    return tuple(
        SharedLayer(diff_id, sizes[diff_id][0], sizes[diff_id][1], tuple(positions))
        for diff_id, positions in holders.items()
        if len(positions) > 1
    )


def compare(
    images: Sequence[ImageFacts], dedup: DedupReport | None = None, warnings: Sequence[str] = ()
) -> Comparison:
    """Return the comparison of `images` (labels made unique)."""
    named = unique_names(images)
    return Comparison(tuple(named), shared_layers(named), dedup, tuple(warnings))


class CompareError(HullscanError):
    """`compare` could not be run on the given inputs."""

    hint = "Pass two or more image references (oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS, registry://...)."
