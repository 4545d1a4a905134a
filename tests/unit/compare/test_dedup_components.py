"""Bundled-component savings of `dedup_images`, checked against a count made here with hashlib."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hullscan.analyze.dedup.engine import ComponentRef, ImageInput, dedup_images
from hullscan.source.directory import DirectorySource

LIBRARY = "opt/app/lib/libbundle.so"


def _image(root: Path, content: bytes, components: tuple[str, ...]) -> ImageInput:
    target = root / LIBRARY
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    source = DirectorySource(root)
    refs = tuple(ComponentRef(source.pseudo_digest, "/" + LIBRARY, name, "1.0") for name in components)
    return ImageInput(f"dir:{root}", source, refs)


def _saved_by_one_copy_per_content(roots: list[Path]) -> int:
    """Bytes a store saves by keeping each distinct library content once (independent count)."""
    sizes: dict[str, list[int]] = {}
    for root in roots:
        data = (root / LIBRARY).read_bytes()
        sizes.setdefault(hashlib.sha256(data).hexdigest(), []).append(len(data))
    return sum(sum(found) - found[0] for found in sizes.values())


def test_a_file_holding_two_components_is_saved_once(tmp_path: Path) -> None:
    """One library carries two statically linked components; two images hold the same library."""
    content = os.urandom(200_000)
    roots = [tmp_path / "one", tmp_path / "two"]
    images = [_image(root, content, ("openssl", "zlib")) for root in roots]
    report = dedup_images(images)
    assert {c.component for c in report.components} == {"openssl", "zlib"}
    assert report.bundled_duplicate_bytes == _saved_by_one_copy_per_content(roots)


def test_different_contents_save_nothing(tmp_path: Path) -> None:
    roots = [tmp_path / "one", tmp_path / "two"]
    images = [_image(root, os.urandom(50_000), ("zlib",)) for root in roots]
    report = dedup_images(images)
    assert report.components == ()
    assert report.bundled_duplicate_bytes == _saved_by_one_copy_per_content(roots) == 0
