"""changelog_backport parsing on a real Debian changelog, checked against dpkg-parsechangelog."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

from hullscan.analyze.vex.evidence.changelog import fixing_mention, parse_mentions
from images.tools import ensure_tool

from .helpers import FIXTURES

ZLIB = FIXTURES / "changelog" / "zlib1g.changelog.Debian.gz"


def _dpkg_entries(path: Path, tmp: Path) -> list[tuple[str, str]]:
    """(version, changes text) for every entry, as dpkg-parsechangelog reads them."""
    plain = tmp / "changelog"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    out = subprocess.run(
        [ensure_tool("dpkg-parsechangelog", "dpkg-dev"), "-l", str(plain), "--all", "--format", "rfc822"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    entries = []
    for stanza in out.strip().split("\n\n"):
        version = re.search(r"^Version: (.*)$", stanza, re.MULTILINE)
        assert version is not None
        entries.append((version.group(1), stanza.split("\nChanges:", 1)[1]))
    return entries


def test_every_cve_is_attributed_to_the_entry_dpkg_sees(tmp_path: Path) -> None:
    expected: dict[str, set[str]] = {}
    for version, changes in _dpkg_entries(ZLIB, tmp_path):
        for cve in re.findall(r"CVE-\d{4}-\d{4,}", changes):
            expected.setdefault(cve, set()).add(version)
    mentions = parse_mentions(gzip.decompress(ZLIB.read_bytes()).decode())
    assert expected  # the real changelog names CVEs
    assert {cve: {m.version for m in found} for cve, found in mentions.items()} == expected


def test_fix_wording_spans_the_whole_item_and_versions_bound_it(tmp_path: Path) -> None:
    mentions = parse_mentions(gzip.decompress(ZLIB.read_bytes()).decode())
    versions = {v for v, _ in _dpkg_entries(ZLIB, tmp_path)}
    for cve, found in mentions.items():
        entry_version = found[0].version
        assert entry_version in versions
        mention = fixing_mention(found, entry_version)
        assert mention is not None, cve
        assert mention.says_fixed, mention.bullet
        assert fixing_mention(found, "0.1-1") is None
