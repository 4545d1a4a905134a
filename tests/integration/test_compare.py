"""`compare` and `dedup` on three real builds of one Python application (debs / wheels / scratch).

Ground truth comes from outside hullscan: dpkg's `.list` files and pip's `RECORD` files read from
the squashed roots, and every layer blob re-read with `tarfile` and hashed with `hashlib`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hullscan import api
from hullscan.analyze.compare.model import Comparison
from hullscan.cli.app import app
from hullscan.config import ScanOptions
from hullscan.encode import compare_html, compare_json, compare_markdown
from images.patchability_images import PatchabilityImages, patchability_images


@pytest.fixture(scope="module")
def built() -> PatchabilityImages:
    return patchability_images()


@pytest.fixture(scope="module")
def layer_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One layer cache for the module, so the CLI runs reuse the indexed layers."""
    return tmp_path_factory.mktemp("compare-cache")


@pytest.fixture(scope="module")
def comparison(built: PatchabilityImages, layer_cache: Path) -> Comparison:
    options = ScanOptions(cache_dir=layer_cache)
    return api.compare([image.reference for image in built.all], options, db=None, with_dedup=True)


def _inside(root: Path, listed: str) -> Path | None:
    """Return where `listed` really is under `root`, parents resolved inside the root (usrmerge)."""
    parts = [p for p in listed.split("/") if p and p != "."]
    current = root
    for part in parts[:-1]:
        candidate = current / part
        hops = 0
        while candidate.is_symlink() and hops < 40:
            target = os.readlink(candidate)
            candidate = (root / target.lstrip("/")) if target.startswith("/") else (candidate.parent / target)
            hops += 1
        current = Path(os.path.normpath(candidate))
    return current / parts[-1] if parts else None


def _regular(path: Path | None) -> bool:
    return path is not None and path.is_file() and not path.is_symlink()


def _dpkg_owned(root: Path) -> dict[str, int]:
    """Return owned regular files and their sizes; a hard-linked inode's bytes count once (as in a tar)."""
    owned: dict[str, int] = {}
    inodes: set[int] = set()
    for listing in sorted((root / "var/lib/dpkg/info").glob("*.list")):
        for line in listing.read_text().splitlines():
            real = _inside(root, line)
            if not _regular(real) or str(real) in owned:
                continue
            info = real.stat()  # type: ignore[union-attr]
            owned[str(real)] = 0 if info.st_ino in inodes else info.st_size
            inodes.add(info.st_ino)
    return owned


def _record_owned(site_packages: Path) -> dict[str, int]:
    owned: dict[str, int] = {}
    for record in site_packages.glob("*.dist-info/RECORD"):
        with record.open(newline="") as handle:
            for row in csv.reader(handle):
                if not row:
                    continue
                path = Path(os.path.normpath(site_packages / row[0]))
                if _regular(path):
                    owned[str(path)] = path.stat().st_size
    return owned


def _facts(comparison: Comparison, name: str):
    return next(image for image in comparison.images if image.name == name)


def test_os_ownership_matches_dpkg_lists(built: PatchabilityImages, comparison: Comparison) -> None:
    for image in (built.debs, built.wheels):
        expected = _dpkg_owned(image.rootfs)
        row = _facts(comparison, image.name).owned("os")
        assert (row.files, row.bytes) == (len(expected), sum(expected.values())), image.name


def test_language_and_bundled_match_record_files(built: PatchabilityImages, comparison: Comparison) -> None:
    for image in (built.wheels, built.scratch):
        site = image.rootfs / "opt/venv/lib/python3.11/site-packages"
        expected = _record_owned(site)
        facts = _facts(comparison, image.name)
        language, bundled = facts.owned("language"), facts.owned("bundled")
        assert language.files + bundled.files == len(expected), image.name
        assert language.bytes + bundled.bytes == sum(expected.values()), image.name
        libs = {p for p in expected if "/Pillow.libs/" in p}
        assert libs, "Pillow's wheel should carry Pillow.libs"
        found = {str(image.rootfs) + copy.path for copy in facts.bundled}
        assert found <= set(expected), "bundled copies are files the wheels' RECORDs list"
        assert len(found & libs) >= len(libs) - 2, "nearly every Pillow.libs library is identified"
        assert (bundled.files, bundled.bytes) == (len(found), sum(expected[p] for p in found))


def test_scratch_has_no_os_packages_and_debs_has_no_language_files(comparison: Comparison) -> None:
    scratch, debs = _facts(comparison, "scratch-venv"), _facts(comparison, "debian-debs")
    assert scratch.owned("os").files == 0
    assert dict(scratch.packages).get("deb", 0) == 0
    assert debs.owned("language").files == 0
    assert dict(debs.packages)["deb"] > 100


def test_totals_and_layers_match_the_root_and_the_blobs(
    built: PatchabilityImages, comparison: Comparison
) -> None:
    for image in built.all:
        facts = _facts(comparison, image.name)
        assert [layer.diff_id for layer in facts.layers] == [layer.diff_id for layer in image.layers]
        assert facts.blob_bytes == sum(layer.size for layer in image.layers)
        owned = sum(row.bytes for row in facts.ownership)
        assert owned == facts.total_bytes
    base = built.debs.layers[0].diff_id
    shared = {layer.diff_id: layer for layer in comparison.shared_layers}
    assert shared[base].is_base
    assert {name for name, _ in shared[base].positions} == {"debian-debs", "debian-wheels"}


def test_freshness_and_findings_say_unknown_without_a_database(comparison: Comparison) -> None:
    for image in comparison.images:
        assert image.freshness.status == "unknown"
        assert image.findings.status == "not computed"


# ---- dedup -------------------------------------------------------------------------------------


def _layer_files(oci_dir: Path) -> Iterator[tuple[str, list[tuple[str, int, bytes]]]]:
    """Yield (diff_id, [(path, size, sha256)]) per layer of the image, read with tarfile."""
    index = json.loads((oci_dir / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((oci_dir / "blobs/sha256" / manifest_digest).read_text())
    config = json.loads((oci_dir / "blobs/sha256" / manifest["config"]["digest"].split(":")[1]).read_text())
    for descriptor, diff_id in zip(manifest["layers"], config["rootfs"]["diff_ids"], strict=True):
        blob = oci_dir / "blobs/sha256" / descriptor["digest"].split(":")[1]
        files = []
        with tarfile.open(blob, mode="r:*") as tar:
            for member in tar:
                if member.isreg():
                    handle = tar.extractfile(member)
                    assert handle is not None
                    files.append((member.name, member.size, hashlib.sha256(handle.read()).digest()))
        yield diff_id, files


def test_dedup_levels_match_an_independent_count(built: PatchabilityImages, comparison: Comparison) -> None:
    report = comparison.dedup
    assert report is not None
    logical = 0
    layer_bytes: dict[str, int] = {}
    unique: dict[bytes, int] = {}
    for image in built.all:
        for diff_id, files in _layer_files(image.oci_dir):
            size = sum(s for _, s, _ in files)
            logical += size
            layer_bytes[diff_id] = size
            unique.update({digest: s for _, s, digest in files})
    assert report.logical_bytes == logical
    assert report.level("layers").stored_bytes == sum(layer_bytes.values())
    assert report.level("files").stored_bytes == sum(unique.values())
    assert report.level("files").units == len(unique)
    chunks = report.level("chunks")
    assert chunks.stored_bytes <= report.level("files").stored_bytes
    assert chunks.units >= len([s for s in unique.values() if s])
    assert report.streamed_bytes == sum(layer_bytes.values())


def test_duplicated_components_are_really_identical(
    built: PatchabilityImages, comparison: Comparison
) -> None:
    report = comparison.dedup
    assert report is not None
    roots = {image.reference: image.rootfs for image in built.all}
    pillow_libs = [c for c in report.components if any("Pillow.libs" in loc.path for loc in c.locations)]
    assert pillow_libs, "the same Pillow.libs copies are in the wheels and scratch images"
    copies: dict[str, set[tuple[str, str]]] = {}
    sizes: dict[str, int] = {}
    for component in report.components:
        for loc in component.locations:
            data = (roots[loc.image] / loc.path.lstrip("/")).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            assert digest == component.digest
            copies.setdefault(digest, set()).add((loc.image, loc.path))
            sizes[digest] = len(data)
    saved = sum((len(where) - 1) * sizes[digest] for digest, where in copies.items())
    assert report.bundled_duplicate_bytes == saved


# ---- output ------------------------------------------------------------------------------------


def test_html_is_self_contained_and_has_charts(comparison: Comparison) -> None:
    page = compare_html.encode(comparison)
    assert page.count("<svg") >= 3
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "<script" not in page
    for image in comparison.images:
        assert image.name in page


def test_json_and_markdown_carry_the_figures(comparison: Comparison) -> None:
    document = json.loads(compare_json.encode(comparison))
    assert [i["name"] for i in document["images"]] == [i.name for i in comparison.images]
    assert document["dedup"]["logical_bytes"] == comparison.dedup.logical_bytes  # type: ignore[union-attr]
    markdown = compare_markdown.encode(comparison)
    assert "| bundled in language packages |" in markdown
    assert "## Deduplication" in markdown


def test_cli_compare_and_dedup(built: PatchabilityImages, comparison: Comparison, layer_cache: Path) -> None:
    del comparison  # indexed the layers into layer_cache already
    runner = CliRunner()
    refs = [built.wheels.reference, built.scratch.reference]
    result = runner.invoke(app, ["compare", *refs, "-o", "json", "--cache-dir", str(layer_cache)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["images"]) == 2
    result = runner.invoke(
        app, ["dedup", built.scratch.reference, "-o", "json", "--cache-dir", str(layer_cache)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["levels"][1]["name"] == "files"


def test_cli_compare_needs_two_images(built: PatchabilityImages, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compare", built.scratch.reference, "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "at least two images" in result.output


def test_bad_reference_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["dedup", f"oci:{tmp_path}/missing", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "error" in result.output
