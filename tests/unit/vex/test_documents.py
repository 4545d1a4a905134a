"""Reading VEX documents: hand-written OpenVEX, CSAF and CycloneDX per their specs, and bad input."""

from __future__ import annotations

import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from vex_support import FIXTURES, csaf_errors, openvex_errors

from hullscan.analyze.vex import DocumentError, read_document
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification


def test_handwritten_fixtures_follow_their_specs() -> None:
    assert openvex_errors(json.loads((FIXTURES / "openvex-handwritten.json").read_text())) == []
    assert csaf_errors(json.loads((FIXTURES / "csaf-vex-handwritten.json").read_text())) == []


def test_cyclonedx_fixture_is_valid_cyclonedx_1_6() -> None:
    text = (FIXTURES / "cyclonedx-vex-handwritten.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_openvex_statements_products_and_times() -> None:
    document = read_document(FIXTURES / "openvex-handwritten.json")
    assert document.format == "openvex"
    assert document.warnings == ()
    by_vulnerability = {s.vulnerability: s for s in document.statements}
    idna = by_vulnerability["CVE-2024-3651"]
    assert (idna.product, idna.status, idna.justification) == (
        "pkg:pypi/idna@2.10", FindingStatus.NOT_AFFECTED, Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH
    )
    assert idna.timestamp == "2026-11-02T10:00:00Z"  # the document's time, since the statement has none
    assert idna.author == "Example Maintainers <security@example.com>"
    assert idna.source == "openvex-handwritten.json"
    node_fetch = by_vulnerability["CVE-2022-0235"]
    assert node_fetch.timestamp == "2026-11-03T07:30:00Z"  # +01:00 normalized to UTC
    assert node_fetch.action_statement == "Upgrade node-fetch to 2.6.7 or later."
    minimist = by_vulnerability["CVE-2021-44906"]
    assert (minimist.product, minimist.subcomponent) == ("image:example", "pkg:npm/minimist")


def test_bad_openvex_statements_are_warned_about_and_left_out() -> None:
    document = read_document(FIXTURES / "openvex-bad.json")
    assert document.statements == ()
    text = "\n".join(document.warnings)
    assert len(document.warnings) == 5
    assert "unknown product 'my-internal-product'" in text
    assert "'yesterday at noon' is missing or not RFC 3339" in text
    assert "unknown justification 'we_checked_it'" in text
    assert "not_affected without a justification or impact statement" in text
    assert "unknown status 'probably_fine'" in text


def test_invalid_json_and_unknown_formats_raise_clear_errors(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(DocumentError, match="not valid JSON"):
        read_document(FIXTURES / "not-json.json")
    other = FIXTURES.parent / "match" / "sarif-schema-2.1.0.json"
    with pytest.raises(DocumentError, match="not an OpenVEX, CycloneDX or CSAF document"):
        read_document(other)
    with pytest.raises(DocumentError, match="cannot read"):
        read_document(FIXTURES / "missing.json")


def test_csaf_product_tree_relationships_flags_and_unknown_products() -> None:
    document = read_document(FIXTURES / "csaf-vex-handwritten.json")
    assert document.format == "csaf"
    got = {(s.vulnerability, s.product, s.subcomponent, s.status) for s in document.statements}
    assert got == {
        ("CVE-2024-3651", "pkg:pypi/idna@2.10", None, FindingStatus.NOT_AFFECTED),
        ("CVE-2022-0235", "pkg:npm/node-fetch@2.6.0", None, FindingStatus.AFFECTED),
        ("CVE-2023-37920", "image:example", "pkg:pypi/certifi", FindingStatus.FIXED),
    }
    idna = next(s for s in document.statements if s.vulnerability == "CVE-2024-3651")
    assert idna.justification is Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH
    assert idna.author == "Example Corp"
    node_fetch = next(s for s in document.statements if s.vulnerability == "CVE-2022-0235")
    assert node_fetch.action_statement == "vendor_fix: Upgrade node-fetch to 2.6.7."
    text = "\n".join(document.warnings)
    assert "'APPLIANCE' has no purl" in text
    assert "unknown product id 'NOT-IN-TREE'" in text


def test_cyclonedx_analysis_states_and_refs() -> None:
    document = read_document(FIXTURES / "cyclonedx-vex-handwritten.json")
    assert document.format == "cyclonedx"
    got = {(s.vulnerability, s.product, s.subcomponent, s.status) for s in document.statements}
    assert got == {
        ("CVE-2024-3651", "pkg:pypi/idna@2.10", None, FindingStatus.NOT_AFFECTED),
        ("CVE-2023-43804", "pkg:pypi/urllib3@1.26.4", None, FindingStatus.AFFECTED),
        ("CVE-2021-44906", "image:example", "pkg:npm/minimist", FindingStatus.NOT_AFFECTED),
    }
    idna = next(s for s in document.statements if s.vulnerability == "CVE-2024-3651")
    assert idna.justification is Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH
    assert idna.impact_statement == "idna.encode() never sees untrusted input."
    assert idna.author == "Example Security Team"
    minimist = next(s for s in document.statements if s.vulnerability == "CVE-2021-44906")
    assert minimist.impact_statement == "false positive: minimist is only a build tool here."
    text = "\n".join(document.warnings)
    assert "affects unknown component 'urn:cdx:" in text
    assert "no id or no analysis.state" in text
