"""Bundled-component savings of `dedup_images`, checked against a count made here with hashlib."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from hullscan.analyze.dedup.engine import ComponentRef, ImageInput, components_of, dedup_images
from hullscan.model.files import Coordinates
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, PackageType
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


def test_libraries_an_os_package_owns_label_files_but_are_not_bundled_duplicates(tmp_path: Path) -> None:
    content = os.urandom(100_000)
    roots = [tmp_path / "one", tmp_path / "two"]
    images = []
    for root in roots:
        image = _image(root, content, ("zlib",))
        owned = tuple(dataclasses.replace(ref, os_owned=True) for ref in image.components)
        images.append(dataclasses.replace(image, components=owned))
    report = dedup_images(images)
    assert report.components == ()
    assert report.bundled_duplicate_bytes == 0
    assert [f.label for f in report.top_files] == ["zlib 1.0"]  # still named in the file list


def test_components_of_marks_copies_owned_by_os_packages() -> None:
    def copy(path: str, host: dict[str, str] | None) -> Package:
        metadata = {"component": "zlib", "host_path": path, "host": host}
        location = (Coordinates(path, "sha256:" + "c" * 64),)
        return Package("zlib", "1.2.13", PackageType.BINARY, "pkg:generic/zlib@1.2.13", "elf-bundled", locations=location, metadata=metadata)

    inventory = Inventory(
        image=ImageDescription(reference="dir:/x", source_kind="directory"),
        packages=(
            copy("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", {"type": "deb", "name": "zlib1g"}),
            copy("/opt/venv/lib/python3.11/site-packages/numpy.libs/libz.so", {"type": "python", "name": "numpy"}),
            copy("/opt/app/libz.so", None),
        ),
    )
    assert [ref.os_owned for ref in components_of(inventory)] == [True, False, False]
