"""VEX outputs: valid against their schemas, and read back they give the same statuses (round trip)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from vex_support import FIXTURES, csaf_errors, finding, openvex_errors, package, report

from hullscan.analyze.vex import apply_statements, parse_document, read_document, statements_for_scan
from hullscan.encode import csaf, cyclonedx_vex, openvex
from hullscan.model.finding import FindingStatus
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification, VexStatement

IDNA = package("idna", "2.10", PackageType.PYTHON, "pkg:pypi/idna@2.10")
REQUESTS = package("requests", "2.25.1", PackageType.PYTHON, "pkg:pypi/requests@2.25.1")
NODE_FETCH = package("node-fetch", "2.6.0", PackageType.NPM, "pkg:npm/node-fetch@2.6.0")
MINIMIST = package("minimist", "1.2.0", PackageType.NPM, "pkg:npm/minimist@1.2.0")
CERTIFI = package("certifi", "2020.12.5", PackageType.PYTHON, "pkg:pypi/certifi@2020.12.5")
TIME = "2026-12-01T09:00:00Z"

Encoder = Callable[..., str]
ENCODERS: dict[str, Encoder] = {"openvex": openvex.encode, "cyclonedx": cyclonedx_vex.encode, "csaf": csaf.encode}


def _stored() -> list[VexStatement]:
    """Statements as a store holds them: every status, image and package products, a version range."""
    return [
        VexStatement("CVE-2024-3651", "image:example", FindingStatus.NOT_AFFECTED,
                     justification=Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH, subcomponent="pkg:pypi/idna",
                     author="alice", timestamp="2026-11-01T00:00:00Z", statement_id="vex-aaaaaaaaaaaa", source="human"),
        VexStatement("CVE-2023-32681", "pkg:pypi/requests", FindingStatus.UNDER_INVESTIGATION, author="bob",
                     timestamp="2026-11-02T00:00:00Z", source="human"),
        VexStatement("CVE-2022-0235", "pkg:npm/node-fetch", FindingStatus.AFFECTED, action_statement="Upgrade to 2.6.7.",
                     author="bob", timestamp="2026-11-03T00:00:00Z", source="human", version_range="<2.6.7"),
        VexStatement("CVE-2021-44906", "pkg:npm/minimist@1.2.0", FindingStatus.NOT_AFFECTED,
                     impact_statement="Only used by the build, not shipped at run time.", author="carol",
                     timestamp="2026-11-04T00:00:00Z", source="human"),
        VexStatement("GHSA-43fp-rhv2-5gv8", "pkg:pypi/certifi", FindingStatus.FIXED, author="carol",
                     timestamp="2026-11-05T00:00:00Z", source="human"),
    ]


def _scan() -> object:
    return report(
        finding("CVE-2024-3651", IDNA), finding("CVE-2023-32681", REQUESTS), finding("CVE-2022-0235", NODE_FETCH),
        finding("CVE-2021-44906", MINIMIST), finding("CVE-2023-37920", CERTIFI, aliases=("GHSA-43fp-rhv2-5gv8",)),
        reference="oci:/images/example:2",
    )


def _statuses(statements: list[VexStatement]) -> dict[str, FindingStatus]:
    result = apply_statements(_scan(), statements, image_repository="example")  # type: ignore[arg-type]
    return {item.finding.id: item.status for item in result.findings}


def test_schemas_reject_what_they_should() -> None:
    """The validators used below are not vacuous."""
    good = json.loads(openvex.encode(_stored(), author="alice", timestamp=TIME))
    broken = json.loads(json.dumps(good))
    broken["statements"][0]["status"] = "maybe"
    assert openvex_errors(good) == []
    assert openvex_errors(broken)
    document = csaf.document(_stored(), author="alice", timestamp=TIME)
    del document["document"]["tracking"]["id"]
    assert csaf_errors(document)


def test_openvex_is_valid() -> None:
    assert openvex_errors(json.loads(openvex.encode(_stored(), author="alice", timestamp=TIME))) == []


def test_csaf_is_valid_and_meets_the_vex_profile() -> None:
    document = csaf.document(_stored(), author="alice", timestamp=TIME)
    assert csaf_errors(document) == []
    assert document["document"]["category"] == "csaf_vex"
    for vulnerability in document["vulnerabilities"]:
        status = vulnerability["product_status"]
        flagged = {p for f in vulnerability.get("flags", []) for p in f["product_ids"]}
        impacts = {p for t in vulnerability.get("threats", []) if t["category"] == "impact" for p in t["product_ids"]}
        remediated = {p for r in vulnerability.get("remediations", []) for p in r["product_ids"]}
        assert set(status.get("known_not_affected", [])) <= flagged | impacts  # CSAF 6.1.27.9
        assert set(status.get("known_affected", [])) <= remediated  # CSAF 6.1.27.10
        assert vulnerability["notes"]  # the VEX profile requires vulnerability notes


def test_cyclonedx_is_valid_1_6() -> None:
    text = cyclonedx_vex.encode(_stored(), author="alice", timestamp=TIME)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_round_trip_gives_the_same_statuses(name: str) -> None:
    text = ENCODERS[name](_stored(), author="alice", timestamp=TIME)
    document = parse_document(json.loads(text), f"export.{name}.json")
    assert document.warnings == ()
    assert _statuses(list(document.statements)) == _statuses(_stored())
    assert _statuses(_stored()) == {
        "CVE-2024-3651": FindingStatus.NOT_AFFECTED,
        "CVE-2023-32681": FindingStatus.UNDER_INVESTIGATION,
        "CVE-2022-0235": FindingStatus.AFFECTED,
        "CVE-2021-44906": FindingStatus.NOT_AFFECTED,
        "CVE-2023-37920": FindingStatus.FIXED,
    }


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_version_ranges_survive_the_round_trip(name: str) -> None:
    newer = package("node-fetch", "2.6.7", PackageType.NPM, "pkg:npm/node-fetch@2.6.7")
    text = ENCODERS[name](_stored(), author="alice", timestamp=TIME)
    statements = parse_document(json.loads(text), "x.json").statements
    result = apply_statements(report(finding("CVE-2022-0235", newer)), statements)
    assert result.findings[0].decided_by is None  # 2.6.7 is outside "<2.6.7"


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_scan_outputs_round_trip(name: str) -> None:
    """`scan -o FORMAT` then `scan --vex` on the same findings: the same effective statuses."""
    hand = read_document(FIXTURES / "openvex-handwritten.json").statements
    first = apply_statements(_scan(), hand, image_repository="example")  # type: ignore[arg-type]
    text = ENCODERS[name](statements_for_scan(first, TIME), author="hullscan", timestamp=TIME)
    again = apply_statements(_scan(), parse_document(json.loads(text), "scan.json").statements)  # type: ignore[arg-type]
    assert {i.finding.id: i.status for i in again.findings} == {i.finding.id: i.status for i in first.findings}
    assert {i.finding.id: i.status for i in first.findings}["CVE-2024-3651"] is FindingStatus.NOT_AFFECTED
    assert {i.finding.id: i.status for i in first.findings}["CVE-2021-44906"] is FindingStatus.UNDER_INVESTIGATION
