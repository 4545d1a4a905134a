"""apk-db cataloger: every apk fixture, read back against the database text itself.

Debian has no apk-tools, so the ground truth is the installed database read line by line here
(P/V/A/o/L per blank-line-separated block, F/R for files), independently of the cataloger.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from packageurl import PackageURL

from hullscan.catalog.ecosystems.apk import ApkDbCataloger
from hullscan.catalog.runner import CatalogOutput, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.policy import CapturePolicy
from hullscan.model.inventory import Distro
from hullscan.model.package import RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "apk"
ALPINE = Distro("alpine", "3.18.4")
DB = "lib/apk/db/installed"


def catalog_dir(root: Path, distro: Distro | None = ALPINE) -> CatalogOutput:
    cataloger = ApkDbCataloger()
    view = DirectoryView(root, "sha256:test", CapturePolicy(wants=cataloger.wants), Limits())
    return catalog_once(view, [cataloger], distro)


def truth(path: Path) -> list[dict[str, object]]:
    """Blocks of the installed database as plain dicts (first value of each key, plus files)."""
    blocks = []
    for chunk in path.read_text().split("\n\n"):
        fields: dict[str, object] = {}
        files: list[str] = []
        directory = ""
        for line in chunk.splitlines():
            key, value = line[:1], line[2:]
            if key == "F":
                directory = value
            elif key == "R":
                files.append(f"/{directory}/{value}" if directory else f"/{value}")
            fields.setdefault(key, value)
        if fields:
            fields["files"] = files
            blocks.append(fields)
    return blocks


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / DB).is_file())


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_fixture_packages_match_database(fixture: str) -> None:
    blocks = truth(FIXTURES / fixture / DB)
    complete = [b for b in blocks if b.get("P") and b.get("V")]
    out = catalog_dir(FIXTURES / fixture)
    got = sorted(
        (p.name, p.version, p.source_name, p.metadata.get("architecture"), p.licenses) for p in out.packages
    )
    want = sorted(
        (b["P"], b["V"], b.get("o") or b["P"], b.get("A"), (b["L"],) if b.get("L") else ()) for b in complete
    )
    assert got == want
    assert len(out.unknowns) == len(blocks) - len(complete)
    by_name = {p.name: p for p in out.packages}
    for block in complete:
        package = by_name[str(block["P"])]
        assert [f["path"] for f in package.metadata["files"]] == block["files"]
        purl = PackageURL.from_string(package.purl)
        assert (purl.type, purl.namespace, purl.name, purl.version) == (
            "apk",
            "alpine",
            block["P"],
            block["V"],
        )
        assert purl.qualifiers["distro"] == "alpine-3.18.4"
        assert purl.qualifiers.get("upstream") == (
            block["o"] if block.get("o") not in (None, block["P"]) else None
        )


def test_package_without_version_is_unknown() -> None:
    out = catalog_dir(FIXTURES / "trivy-alpine")
    (unknown,) = out.unknowns
    assert "invalidPackageWithoutAVersion" in unknown.reason
    assert unknown.coordinates.path == "/lib/apk/db/installed"


def test_file_checksums_decode_to_sha1_hex() -> None:
    out = catalog_dir(FIXTURES / "syft-multiple-1")
    binsh = next(p for p in out.packages if p.name == "busybox-binsh")
    # F:bin / R:sh / Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q= in the database
    expected = base64.b64decode("pcfTfDNEbNKQc2s1tia7da05M8Q=").hex()
    assert binsh.metadata["files"] == [{"path": "/bin/sh", "digest": f"sha1:{expected}"}]


def test_depends_resolve_through_provides_so_and_paths() -> None:
    # bash: D:/bin/sh so:libc.musl-x86_64.so.1 so:libreadline.so.8 — provided by busybox-binsh
    # (p:/bin/sh), musl (p:so:libc.musl-x86_64.so.1) and readline (p:so:libreadline.so.8).
    out = catalog_dir(FIXTURES / "syft-multiple-1")
    by_id = {p.id: p.name for p in out.packages}
    edges = {
        (by_id[r.source_id], by_id[r.target_id], r.note)
        for r in out.relationships
        if r.kind is RelationshipKind.DEPENDS_ON
    }
    assert {e for e in edges if e[0] == "bash"} == {
        ("bash", "busybox-binsh", "/bin/sh"),
        ("bash", "musl", "so:libc.musl-x86_64.so.1"),
        ("bash", "readline", "so:libreadline.so.8"),
    }


def test_without_distro_the_namespace_is_alpine() -> None:
    out = catalog_dir(FIXTURES / "syft-multiple-1", distro=None)
    bash = next(p for p in out.packages if p.name == "bash")
    assert bash.purl == "pkg:apk/alpine/bash@5.2.21-r0?arch=x86_64"


def write_db(root: Path, content: bytes) -> None:
    (root / "lib/apk/db").mkdir(parents=True)
    (root / DB).write_bytes(content)


def test_empty_database(tmp_path: Path) -> None:
    write_db(tmp_path, b"")
    out = catalog_dir(tmp_path)
    assert out.packages == []
    assert out.unknowns == []


def test_garbage_bytes_become_one_unknown(tmp_path: Path) -> None:
    write_db(tmp_path, bytes(range(256)) * 8)
    out = catalog_dir(tmp_path)
    assert out.packages == []
    (unknown,) = out.unknowns
    assert "not an apk installed database" in unknown.reason


def test_corrupt_and_truncated_blocks_keep_the_rest(tmp_path: Path) -> None:
    text = (FIXTURES / "syft-multiple-2" / DB).read_text()
    blocks = text.split("\n\n")
    blocks[1] = blocks[1].replace("\nA:", "\nthis line is not a key value pair\nA:", 1)
    cut = "\n\n".join(blocks)
    last_block = cut.rstrip("\n").rindex("\n\n") + 2
    cut = cut[: cut.index("\nV:", last_block) + 1]  # the file ends before the last block's V: line
    write_db(tmp_path, cut.encode())
    complete = [b for b in truth(FIXTURES / "syft-multiple-2" / DB) if b.get("V")]
    out = catalog_dir(tmp_path)
    assert len(out.packages) == len(complete) - 2
    reasons = sorted(u.reason for u in out.unknowns)
    assert len(reasons) == 2
    assert any("not a 'K:value' line" in r for r in reasons)
    assert any("no V (version)" in r for r in reasons)


def test_wants() -> None:
    cataloger = ApkDbCataloger()
    assert cataloger.wants("/lib/apk/db/installed")
    assert cataloger.wants("/usr/lib/apk/db/installed")
    assert not cataloger.wants("/lib/apk/db/triggers")
    assert not cataloger.wants("/etc/apk/world")
