"""Applying statements: product matching, version ranges, policy, conflicts, suppression bookkeeping."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from vex_support import FIXTURES, finding, package, report

from hullscan.analyze.vex import (
    PolicyError,
    apply_statements,
    load_policy,
    read_document,
    registered_producers,
)
from hullscan.model.finding import FindingStatus
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification, StatementConfidence, VexStatement

IDNA = package("idna", "2.10", PackageType.PYTHON, "pkg:pypi/idna@2.10")
OPENSSL = package("libssl3", "3.0.11-1~deb12u2", PackageType.DEB, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12")


def _not_affected(product: str, **extra: object) -> VexStatement:
    fields: dict[str, object] = {
        "justification": Justification.VULNERABLE_CODE_NOT_PRESENT, "author": "alice", "source": "human",
        "timestamp": "2026-11-01T00:00:00Z",
    }
    fields.update(extra)
    return VexStatement("CVE-2024-3651", product, FindingStatus.NOT_AFFECTED, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("product", "extra", "applies"),
    [
        ("pkg:pypi/idna", {}, True),
        ("pkg:pypi/IDNA@2.10", {}, True),
        ("pkg:pypi/idna@3.7", {}, False),
        ("pkg:pypi/requests", {}, False),
        ("pkg:npm/idna", {}, False),
        ("pkg:pypi/idna", {"version_range": "<3.7"}, True),
        ("pkg:pypi/idna", {"version_range": ">=2.11,<3.7"}, False),
        ("image:example", {"subcomponent": "pkg:pypi/idna"}, True),
        ("image:example", {}, True),
        ("image:other", {"subcomponent": "pkg:pypi/idna"}, False),
    ],
)
def test_which_products_cover_a_package(product: str, extra: dict[str, object], applies: bool) -> None:
    result = apply_statements(report(finding("CVE-2024-3651", IDNA)), [_not_affected(product, **extra)],
                              image_repository="example")
    assert result.findings[0].suppressed is applies
    assert (result.findings[0].status is FindingStatus.NOT_AFFECTED) is applies


def test_debian_version_ranges_use_dpkg_order() -> None:
    found = report(finding("CVE-2024-3651", OPENSSL))
    inside = _not_affected("pkg:deb/debian/libssl3", version_range="<3.0.11-1~deb12u3")
    outside = _not_affected("pkg:deb/debian/libssl3", version_range="<3.0.11-1~deb12u2")  # ~ sorts before
    assert apply_statements(found, [inside]).findings[0].suppressed
    assert not apply_statements(found, [outside]).findings[0].suppressed


def test_qualifiers_given_must_match() -> None:
    found = report(finding("CVE-2024-3651", OPENSSL))
    assert apply_statements(found, [_not_affected("pkg:deb/debian/libssl3?arch=amd64")]).findings[0].suppressed
    assert not apply_statements(found, [_not_affected("pkg:deb/debian/libssl3?arch=arm64")]).findings[0].suppressed


LIBSSL_FROM_SOURCE = dataclasses.replace(OPENSSL, source_name="openssl", source_version="3.0.11-1~deb12u2")


@pytest.mark.parametrize(
    ("product", "extra", "applies"),
    [
        ("pkg:deb/debian/openssl", {}, True),
        ("pkg:deb/debian/openssl@3.0.11-1~deb12u2", {}, True),
        ("pkg:deb/debian/openssl@3.0.11-1~deb12u1", {}, False),
        ("pkg:deb/debian/openssl?distro=debian-12", {}, True),
        ("pkg:deb/debian/openssl?distro=debian-13", {}, False),
        ("pkg:deb/ubuntu/openssl", {}, False),
        ("pkg:rpm/debian/openssl", {}, False),
        ("pkg:deb/debian/openssl", {"version_range": "<3.0.11-1~deb12u3"}, True),
        ("pkg:deb/debian/openssl", {"version_range": "<3.0.11-1~deb12u2"}, False),
        ("pkg:deb/debian/gnutls28", {}, False),
    ],
)
def test_a_source_package_product_covers_the_binaries_built_from_it(
    product: str, extra: dict[str, object], applies: bool
) -> None:
    found = report(finding("CVE-2024-3651", LIBSSL_FROM_SOURCE))
    assert apply_statements(found, [_not_affected(product, **extra)]).findings[0].suppressed is applies


def test_a_source_product_never_covers_a_binary_without_a_known_source() -> None:
    found = report(finding("CVE-2024-3651", OPENSSL))  # no source recorded
    assert not apply_statements(found, [_not_affected("pkg:deb/debian/openssl")]).findings[0].suppressed


def test_aliases_match_and_bad_ranges_warn() -> None:
    found = report(finding("CVE-2024-3651", IDNA, aliases=("PYSEC-2024-60",)))
    by_alias = VexStatement("PYSEC-2024-60", "pkg:pypi/idna", FindingStatus.FIXED, source="human", timestamp="2026-01-01T00:00:00Z")
    assert apply_statements(found, [by_alias]).findings[0].status is FindingStatus.FIXED
    bad = _not_affected("pkg:pypi/idna", version_range="~~nonsense~~ <<")
    result = apply_statements(found, [bad])
    assert not result.findings[0].suppressed
    assert any("bad version range" in warning for warning in result.warnings)


def test_default_policy_suppresses_high_confidence_evidence_and_humans_only() -> None:
    found = report(finding("CVE-2024-3651", IDNA))
    for confidence, expected in ((StatementConfidence.HIGH, True), (StatementConfidence.MEDIUM, False), (StatementConfidence.LOW, False)):
        automated = _not_affected("pkg:pypi/idna", source="hullscan", author="hullscan", confidence=confidence)
        triaged = apply_statements(found, [automated]).findings[0]
        assert triaged.suppressed is expected
        assert triaged.considered[0].accepted is expected
    human_low = _not_affected("pkg:pypi/idna", confidence=StatementConfidence.LOW)
    assert apply_statements(found, [human_low]).findings[0].suppressed


def test_policy_file_changes_what_suppresses(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        '[suppress]\nmin_confidence = "medium"\nhuman = false\njustifications = ["component_not_present"]\n'
    )
    policy = load_policy(policy_file)
    found = report(finding("CVE-2024-3651", IDNA))
    medium = _not_affected("pkg:pypi/idna", source="hullscan", confidence=StatementConfidence.MEDIUM,
                           justification=Justification.COMPONENT_NOT_PRESENT)
    assert apply_statements(found, [medium], policy).findings[0].suppressed
    other_reason = _not_affected("pkg:pypi/idna", source="hullscan")
    assert not apply_statements(found, [other_reason], policy).findings[0].suppressed
    human = _not_affected("pkg:pypi/idna", justification=Justification.COMPONENT_NOT_PRESENT)
    assert not apply_statements(found, [human], policy).findings[0].suppressed


@pytest.mark.parametrize(
    "text", ["[suppress\n", "[suppress]\nmin_confidence = 'certain'\n", "[suppress]\nbogus = 1\n", "[other]\n"]
)
def test_bad_policy_files_are_errors(tmp_path: Path, text: str) -> None:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(text)
    with pytest.raises(PolicyError):
        load_policy(policy_file)


def test_conflicts_latest_wins_with_a_warning() -> None:
    document = read_document(FIXTURES / "openvex-conflict.json")
    result = apply_statements(report(finding("CVE-2024-3651", IDNA)), document.statements)
    triaged = result.findings[0]
    assert triaged.status is FindingStatus.AFFECTED  # 2026-11-05 beats 2026-11-04
    assert not triaged.suppressed
    assert triaged.conflict is not None
    assert any("conflicting statements for CVE-2024-3651" in warning for warning in result.warnings)


def test_effective_report_hides_suppressed_unless_asked_and_counts_reasons() -> None:
    requests = package("requests", "2.25.1", PackageType.PYTHON, "pkg:pypi/requests@2.25.1")
    found = report(finding("CVE-2024-3651", IDNA), finding("CVE-2023-32681", requests))
    result = apply_statements(found, [_not_affected("pkg:pypi/idna")])
    assert [f.id for f in result.effective_report().findings] == ["CVE-2023-32681"]
    assert any("1 finding(s) suppressed" in w for w in result.effective_report().warnings)
    shown = result.effective_report(show_suppressed=True).findings
    assert {(f.id, f.status) for f in shown} == {
        ("CVE-2024-3651", FindingStatus.NOT_AFFECTED), ("CVE-2023-32681", FindingStatus.AFFECTED)
    }
    summary = result.summary()
    assert (summary.total, summary.affected, summary.suppressed) == (2, 1, 1)
    assert summary.not_affected == {"vulnerable_code_not_present": 1}


def test_registered_producers_are_the_evidence_producers() -> None:
    from hullscan.analyze.vex.evidence import default_producers  # noqa: PLC0415 - compared below

    names = [getattr(p, "__name__", type(p).__name__) for p in registered_producers()]
    assert names == [getattr(p, "__name__", type(p).__name__) for p in default_producers()]
    assert "go_symbols" in names


def test_a_broken_evidence_package_is_an_error_not_zero_producers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hullscan.analyze.vex.evidence", None)
    with pytest.raises(ImportError):
        registered_producers()
