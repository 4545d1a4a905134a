"""Registry lookups and user-facing errors of the version schemes."""

from __future__ import annotations

import pytest

from hullscan.errors import HullscanError
from hullscan.match.versioning import (
    InvalidVersionError,
    UnknownEcosystemError,
    all_schemes,
    scheme_by_name,
    scheme_for_ecosystem,
)

# OSV ecosystem names as they appear in /work/shared/data/osv-schema/ecosystems.json and real records.
ECOSYSTEMS = {
    "Debian:12": "dpkg",
    "Ubuntu:22.04:LTS": "dpkg",
    "Ubuntu:Pro:18.04:LTS": "dpkg",
    "Alpine:v3.18": "apk",
    "PyPI": "pep440",
    "npm": "semver",
    "Go": "go",
    "crates.io": "semver",
    "RubyGems": "rubygems",
    "Maven": "maven",
    "Maven:https://maven.google.com": "maven",
    "NuGet": "nuget",
    "Packagist": "packagist",
    "AlmaLinux:9": "rpm",
    "Rocky Linux:9": "rpm",
    "Red Hat:rhel_aus:8.4::appstream": "rpm",
    "SUSE:Linux Enterprise Server 15": "rpm",
    "openSUSE:Leap 15.5": "rpm",
    "Bitnami": "semver",
    "Wolfi": "apk",
    "Chainguard": "apk",
    "Root:Alpine:3.18": "apk",
    "Root:PyPI": "pep440",
    "CRAN": "cran",
    "Hackage": "hackage",
    "Pub": "pub",
    "Hex": "semver",
}
PURL_TYPES = {
    "deb": "dpkg",
    "rpm": "rpm",
    "apk": "apk",
    "pypi": "pep440",
    "npm": "semver",
    "golang": "go",
    "cargo": "semver",
    "gem": "rubygems",
    "maven": "maven",
    "nuget": "nuget",
    "composer": "packagist",
    "pkg:deb": "dpkg",
}


@pytest.mark.parametrize(("ecosystem", "scheme"), sorted({**ECOSYSTEMS, **PURL_TYPES}.items()))
def test_scheme_for_ecosystem(ecosystem: str, scheme: str) -> None:
    assert scheme_for_ecosystem(ecosystem, strict=True).name == scheme


def test_unknown_ecosystem() -> None:
    assert scheme_for_ecosystem("NoSuchEcosystem").name == "generic"
    with pytest.raises(UnknownEcosystemError) as caught:
        scheme_for_ecosystem("NoSuchEcosystem", strict=True)
    assert "hint:" in caught.value.diagnostics()
    with pytest.raises(UnknownEcosystemError):
        scheme_by_name("nope")


@pytest.mark.parametrize("scheme", all_schemes(), ids=lambda s: s.name)
@pytest.mark.parametrize("text", ["", " 1.0", "1.0\n", "1.0\x00"])
def test_blank_or_control_characters_are_rejected(scheme: object, text: str) -> None:
    with pytest.raises(InvalidVersionError) as caught:
        scheme.parse(text)  # type: ignore[attr-defined]
    assert isinstance(caught.value, HullscanError)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("scheme", "text"),
    [
        ("dpkg", "a:1.0"),
        ("dpkg", "1:"),
        ("dpkg", "1.0-"),
        ("semver", "abc"),
        ("go", "vx"),
        ("cran", "1.a"),
        ("hackage", "1-2"),
        ("rubygems", "1..!"),
    ],
)
def test_scheme_specific_invalid_versions(scheme: str, text: str) -> None:
    with pytest.raises(InvalidVersionError, match="invalid"):
        scheme_by_name(scheme).parse(text)


def test_versions_of_different_schemes_do_not_compare() -> None:
    with pytest.raises(TypeError):
        _ = scheme_by_name("dpkg").parse("1.0") < scheme_by_name("rpm").parse("1.0")  # type: ignore[operator]


def test_generic_scheme_orders_naturally() -> None:
    generic = scheme_by_name("generic")
    assert sorted(["1.10", "1.9", "1.9a", "1.0~rc1", "1.0"], key=generic.parse) == [
        "1.0~rc1",
        "1.0",
        "1.9",
        "1.9a",
        "1.10",
    ]  # as rpm.vercmp orders them
