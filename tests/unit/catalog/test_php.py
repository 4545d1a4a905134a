"""Composer: installed.json (v1 list and v2 object) and composer.lock, on real fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullscan.catalog.ecosystems.php import ComposerInstalledCataloger, ComposerLockCataloger
from hullscan.catalog.interface import ParseContext, ParseError
from hullscan.catalog.runner import capture_policy, catalog_once
from hullscan.config import Limits
from hullscan.fileview.directory import DirectoryView
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.package import PackageType, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "php"
CTX = ParseContext(view=None, distro=None)  # type: ignore[arg-type]


def _record(path: str) -> FileRecord:
    return FileRecord(
        path=path, kind=FileKind.FILE, size=0, mode=0o644, layer_index=0, layer_digest="sha256:p"
    )


@pytest.mark.parametrize("fixture", ["composer-installed-v1", "composer-installed-v2"])
def test_installed_json_both_layouts(fixture: str) -> None:
    catalogers = [ComposerInstalledCataloger(), ComposerLockCataloger()]
    view = DirectoryView(FIXTURES / fixture, "sha256:" + "4" * 64, capture_policy(catalogers), Limits())
    output = catalog_once(view, catalogers, None)
    assert output.unknowns == []
    # As the shared data set's README lists them.
    assert {(p.name, p.version) for p in output.packages} == {
        ("asm89/stack-cors", "1.3.0"),
        ("behat/mink", "v1.8.1"),
    }
    cors = next(p for p in output.packages if p.name == "asm89/stack-cors")
    assert cors.purl == "pkg:composer/asm89/stack-cors@1.3.0"
    assert cors.licenses == ("MIT",)
    assert cors.type is PackageType.COMPOSER
    assert cors.locations[0].path == "/vendor/composer/installed.json"


def test_composer_lock_packages_dev_and_edges() -> None:
    raw = (FIXTURES / "composer-happy" / "composer.lock").read_bytes()
    document = json.loads(raw)
    result = ComposerLockCataloger().parse(CTX, _record("/app/composer.lock"), raw)
    got = {(p.name, p.version, p.metadata["dev"]) for p in result.packages}
    truth = {(e["name"], e["version"], False) for e in document["packages"]}
    truth |= {(e["name"], e["version"], True) for e in document["packages-dev"]}
    assert got == truth
    assert len([p for p in result.packages if not p.metadata["dev"]]) == 8  # README: 8 packages, 2 dev
    assert ("guzzlehttp/guzzle", "6.5.8", False) in got
    by_id = {p.id: p for p in result.packages}
    edges = {
        (by_id[r.source_id].name, by_id[r.target_id].name)
        for r in result.relationships
        if r.kind is RelationshipKind.DEPENDS_ON
    }
    names = {e["name"] for e in document["packages"] + document["packages-dev"]}
    expected = {
        (e["name"], dep)
        for e in document["packages"] + document["packages-dev"]
        for dep in e.get("require", {})
        if dep in names
    }
    assert edges == expected
    assert ("guzzlehttp/guzzle", "guzzlehttp/psr7") in edges


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b'"text"', b'{"packages": 3}', b'{"packages": [{"name": "a/b"}]}', b'{"packages": [1]}'],
)
def test_bad_documents_raise_parse_error(content: bytes) -> None:
    for cataloger in (ComposerInstalledCataloger(), ComposerLockCataloger()):
        with pytest.raises(ParseError):
            cataloger.parse(CTX, _record("/vendor/composer/installed.json"), content)


def test_wants() -> None:
    assert ComposerInstalledCataloger().wants("/srv/app/vendor/composer/installed.json")
    assert not ComposerInstalledCataloger().wants("/srv/app/composer.json")
    assert ComposerLockCataloger().wants("/srv/app/composer.lock")
