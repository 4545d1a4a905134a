"""Which look-ups each matcher family asks for: names, versions, ecosystems and releases."""

from __future__ import annotations

import pytest
from match_support import package

from hullscan.match.matchers import ApkMatcher, BundledMatcher, DpkgMatcher, LanguageMatcher, RpmMatcher
from hullscan.match.matchers.language import go_toolchain_version
from hullscan.model.finding import Confidence
from hullscan.model.inventory import Distro
from hullscan.model.package import PackageType

DEBIAN_12 = Distro("debian", "12", "bookworm")


def test_dpkg_looks_up_source_name_and_version_in_debian_12_only() -> None:
    libssl = package(
        "libssl3", "3.0.11-1~deb12u2", PackageType.DEB, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12",
        source=("openssl", "3.0.11-1~deb12u2+b1"),
    )
    (query,) = DpkgMatcher().queries(libssl, DEBIAN_12)
    assert (query.ecosystem, query.name, query.version) == ("Debian:12", "openssl", "3.0.11-1~deb12u2+b1")
    assert query.scheme.name == "dpkg"
    assert query.accepts_release("12")
    assert not query.accepts_release("13")
    assert not query.accepts_release("")


def test_dpkg_falls_back_to_binary_name_and_purl_distro() -> None:
    bash = package("bash", "5.2.15-2+b2", PackageType.DEB, "pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12")
    (query,) = DpkgMatcher().queries(bash, None)
    assert (query.ecosystem, query.name, query.version) == ("Debian:12", "bash", "5.2.15-2+b2")


def test_dpkg_ubuntu_accepts_plain_and_lts_but_not_pro() -> None:
    curl = package("curl", "7.81.0-1ubuntu1.15", PackageType.DEB, "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15")
    (query,) = DpkgMatcher().queries(curl, Distro("ubuntu", "22.04"))
    assert query.ecosystem == "Ubuntu"
    assert query.accepts_release("22.04:LTS")
    assert query.accepts_release("22.04")
    assert not query.accepts_release("Pro:22.04:LTS")
    assert not query.accepts_release("20.04:LTS")


def test_dpkg_ignores_unknown_debian_derivatives_and_other_types() -> None:
    deb = package("bash", "5.2", PackageType.DEB, "pkg:deb/kali/bash@5.2")
    assert DpkgMatcher().queries(deb, Distro("kali", "2024.1")) == []
    wheel = package("bash", "5.2", PackageType.PYTHON, "pkg:pypi/bash@5.2")
    assert DpkgMatcher().queries(wheel, DEBIAN_12) == []


def test_apk_uses_origin_and_minor_branch() -> None:
    libcrypto = package(
        "libcrypto3", "3.1.4-r5", PackageType.APK, "pkg:apk/alpine/libcrypto3@3.1.4-r5", source=("openssl", "3.1.4-r5")
    )
    (query,) = ApkMatcher().queries(libcrypto, Distro("alpine", "3.18.6"))
    assert (query.ecosystem, query.name, query.scheme.name) == ("Alpine:v3.18", "openssl", "apk")
    assert query.accepts_release("v3.18")
    assert not query.accepts_release("v3.19")


def test_rpm_looks_up_binary_and_source_rpm() -> None:
    libs = package(
        "openssl-libs", "1:3.0.7-24.el9", PackageType.RPM, "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9",
        source=("openssl", "1:3.0.7-24.el9"),
    )
    queries = RpmMatcher().queries(libs, Distro("almalinux", "9.3"))
    assert [(q.ecosystem, q.name, q.version) for q in queries] == [
        ("AlmaLinux:9", "openssl-libs", "1:3.0.7-24.el9"),
        ("AlmaLinux:9", "openssl", "1:3.0.7-24.el9"),
    ]
    assert all(q.scheme.name == "rpm" for q in queries)


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name"),
    [
        ("pkg:pypi/pyyaml@5.3.1", "PyPI", "pyyaml"),
        ("pkg:npm/%40babel/traverse@7.0.0", "npm", "@babel/traverse"),
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Maven", "org.apache.logging.log4j:log4j-core"),
        ("pkg:golang/golang.org/x/net@v0.7.0", "Go", "golang.org/x/net"),
        ("pkg:cargo/smallvec@1.6.0", "crates.io", "smallvec"),
        ("pkg:gem/rack@2.2.3", "RubyGems", "rack"),
        ("pkg:composer/drupal/core@10.1.0", "Packagist", "drupal/core"),
        ("pkg:nuget/Newtonsoft.Json@12.0.1", "NuGet", "Newtonsoft.Json"),
    ],
)
def test_language_names_follow_osv_spelling(purl: str, ecosystem: str, name: str) -> None:
    item = package("whatever", "1.0", PackageType.JAVA, purl)
    (query,) = LanguageMatcher().queries(item, DEBIAN_12)
    assert (query.ecosystem, query.name) == (ecosystem, name)


def test_go_stdlib_version_drops_the_go_prefix() -> None:
    stdlib = package("stdlib", "go1.21.3", PackageType.GO, "pkg:golang/stdlib@1.21.3")
    (query,) = LanguageMatcher().queries(stdlib, None)
    assert (query.name, query.version) == ("stdlib", "1.21.3")
    assert go_toolchain_version("go1.22rc1") == "1.22.0-rc.1"
    assert go_toolchain_version("go1.21") == "1.21.0"
    assert go_toolchain_version("(devel)") == "(devel)"


def test_bundled_skips_os_hosted_copies_and_flags_low_confidence() -> None:
    cpe = "cpe:2.3:a:sqlite:sqlite:3.40.1:*:*:*:*:*:*:*"
    hosted = package(
        "sqlite", "3.40.1", PackageType.BINARY, "pkg:generic/sqlite@3.40.1",
        metadata={"cpe": cpe, "host": {"type": "deb", "name": "libsqlite3-0"}},
    )
    assert BundledMatcher().queries(hosted, DEBIAN_12) == []
    vendored = package(
        "sqlite", "3.40.1", PackageType.BINARY, "pkg:generic/sqlite@3.40.1",
        metadata={"cpe": cpe, "host": {"type": "python", "name": "somewheel"}},
    )
    (query,) = BundledMatcher().queries(vendored, DEBIAN_12)
    assert (query.ecosystem, query.name, query.confidence) == ("Bitnami", "sqlite", Confidence.LOW)
