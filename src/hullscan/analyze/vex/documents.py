"""Read VEX documents into statements: OpenVEX 0.2.0, CycloneDX (`vulnerabilities[].analysis`), CSAF 2.0 VEX.

Everything questionable becomes a warning and the statement is left out (never applied on a
guess): unknown products, statements without a usable timestamp, unknown statuses or
justifications, `not_affected` without a reason. A file that is not JSON or not a known VEX format
raises `DocumentError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullscan.analyze.vex.errors import DocumentError
from hullscan.analyze.vex.mapping import (
    HULLSCAN_PROPERTY,
    JUSTIFICATION_OF_CDX,
    STATUS_OF_CDX_STATE,
    product_from_purl,
)
from hullscan.analyze.vex.products import IMAGE_PREFIX
from hullscan.analyze.vex.timestamps import format_time, parse_time
from hullscan.model.finding import FindingStatus
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_STATUSES = {status.value: status for status in FindingStatus}
_JUSTIFICATIONS = {item.value: item for item in Justification}


@dataclass(frozen=True, slots=True)
class VexDocument:
    """The statements read from one document and what was wrong with the rest."""

    name: str
    format: str
    """`openvex`, `cyclonedx` or `csaf`."""
    statements: tuple[VexStatement, ...]
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class _Collector:
    name: str
    statements: list[VexStatement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{self.name}: {where}: {message}; statement ignored")


def read_document(path: Path) -> VexDocument:
    """Read one VEX document from disk (format detected from content)."""
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"{path} is larger than {MAX_DOCUMENT_BYTES} bytes")
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise DocumentError(f"cannot read VEX document {path}: {error.strerror}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DocumentError(f"{path} is not valid JSON: {error}") from error
    return parse_document(data, path.name)


def parse_document(data: Any, name: str) -> VexDocument:
    """Statements from parsed JSON; `name` names the document in sources and warnings."""
    if not isinstance(data, dict):
        raise DocumentError(f"{name}: a VEX document is a JSON object")
    collector = _Collector(name)
    if str(data.get("@context", "")).startswith("https://openvex.dev/ns"):
        kind = "openvex"
        _openvex(data, collector)
    elif data.get("bomFormat") == "CycloneDX":
        kind = "cyclonedx"
        _cyclonedx(data, collector)
    elif isinstance(data.get("document"), dict) and "csaf_version" in data["document"]:
        kind = "csaf"
        _csaf(data, collector)
    else:
        raise DocumentError(f"{name}: not an OpenVEX, CycloneDX or CSAF document")
    return VexDocument(name, kind, tuple(collector.statements), tuple(dict.fromkeys(collector.warnings)))


# ----- shared ------------------------------------------------------------------------------------


def _timestamp(*candidates: Any) -> str | None:
    """The first candidate that is present; None when it is present but not a valid date-time."""
    for candidate in candidates:
        if candidate is None or candidate == "":
            continue
        parsed = parse_time(candidate) if isinstance(candidate, str) else None
        return format_time(parsed) if parsed else None
    return None


def _object(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _array(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _first_present(*candidates: Any) -> Any:
    return next((candidate for candidate in candidates if candidate not in (None, "")), None)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _complete(
    collector: _Collector,
    where: str,
    status_text: Any,
    *,
    justification_text: Any = None,
    impact: str | None = None,
) -> tuple[FindingStatus, Justification | None, str | None] | None:
    """Check status and reason; warn and return None when the statement cannot be applied safely."""
    status = _STATUSES.get(status_text) if isinstance(status_text, str) else None
    if status is None:
        collector.warn(where, f"unknown status {status_text!r}")
        return None
    justification = None
    if justification_text not in (None, ""):
        justification = (
            _JUSTIFICATIONS.get(justification_text) if isinstance(justification_text, str) else None
        )
        if justification is None:
            collector.warn(where, f"unknown justification {justification_text!r}")
            return None
    if status is FindingStatus.NOT_AFFECTED and justification is None and not impact:
        collector.warn(where, "not_affected without a justification or impact statement")
        return None
    return status, (justification if status is FindingStatus.NOT_AFFECTED else None), impact


# ----- OpenVEX -----------------------------------------------------------------------------------


def _openvex(data: Mapping[str, Any], collector: _Collector) -> None:
    author = _text(data.get("author")) or "unknown"
    document_time = _first_present(data.get("last_updated"), data.get("timestamp"))
    statements = data.get("statements")
    if not isinstance(statements, list):
        collector.warn("statements", "missing or not a list")
        return
    for index, item in enumerate(statements):
        where = f"statements[{index}]"
        if not isinstance(item, dict):
            collector.warn(where, "not an object")
            continue
        _openvex_statement(item, where, author, document_time, collector)


def _openvex_statement(
    item: Mapping[str, Any], where: str, author: str, document_time: Any, collector: _Collector
) -> None:
    vulnerability = item.get("vulnerability")
    name = _text(vulnerability.get("name")) if isinstance(vulnerability, dict) else _text(vulnerability)
    if name is None:
        collector.warn(where, "no vulnerability name")
        return
    raw_time = _first_present(item.get("last_updated"), item.get("timestamp"), document_time)
    timestamp = _timestamp(raw_time)
    if timestamp is None:
        collector.warn(where, f"timestamp {raw_time!r} is missing or not RFC 3339")
        return
    impact = _text(item.get("impact_statement"))
    checked = _complete(
        collector, where, item.get("status"), justification_text=item.get("justification"), impact=impact
    )
    if checked is None:
        return
    status, justification, impact = checked
    notes = _text(item.get("status_notes"))
    targets = list(_openvex_products(item.get("products"), where, collector))
    if not targets:
        if item.get("products") == []:
            collector.warn(where, "empty products list")
        return
    for product, subcomponent, version_range in targets:
        collector.statements.append(
            VexStatement(
                vulnerability=name,
                product=product,
                status=status,
                justification=justification,
                impact_statement=impact,
                action_statement=_text(item.get("action_statement")),
                author=author,
                timestamp=timestamp,
                confidence=StatementConfidence.HIGH,
                evidence=(
                    StatementEvidence(
                        "openvex",
                        notes or f"{status.value} per {collector.name}",
                        f"{collector.name}#{where}",
                    ),
                ),
                subcomponent=subcomponent,
                version_range=version_range,
                source=collector.name,
            )
        )


def _identifier(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if not isinstance(entry, dict):
        return None
    identifiers = entry.get("identifiers")
    if isinstance(identifiers, dict) and isinstance(identifiers.get("purl"), str):
        return str(identifiers["purl"])
    return _text(entry.get("@id"))


def _openvex_products(
    products: Any, where: str, collector: _Collector
) -> Iterator[tuple[str, str | None, str | None]]:
    if not isinstance(products, list):
        collector.warn(where, "products missing or not a list")
        return
    for entry in products:
        identifier = _identifier(entry)
        mapped = product_from_purl(identifier) if identifier else None
        if mapped is None:
            collector.warn(where, f"unknown product {identifier or entry!r} (not a purl)")
            continue
        product, version_range = mapped
        subcomponents = entry.get("subcomponents") if isinstance(entry, dict) else None
        if not subcomponents:
            yield product, None, version_range
            continue
        yield from _subcomponents(product, subcomponents, where, collector)


def _subcomponents(
    product: str, subcomponents: Iterable[Any], where: str, collector: _Collector
) -> Iterator[tuple[str, str | None, str | None]]:
    for sub in subcomponents:
        identifier = _identifier(sub)
        mapped = product_from_purl(identifier) if identifier else None
        if mapped is None or mapped[0].startswith(IMAGE_PREFIX):
            collector.warn(where, f"unknown subcomponent {identifier or sub!r} (not a package purl)")
            continue
        sub_purl, version_range = mapped
        if product.startswith(IMAGE_PREFIX):
            yield product, sub_purl, version_range
        else:
            yield sub_purl, None, version_range


_Target = tuple[str, str | None, str | None]
"""(product, subcomponent, version range)."""


# ----- CycloneDX ---------------------------------------------------------------------------------


def _cyclonedx(data: Mapping[str, Any], collector: _Collector) -> None:
    refs = _cdx_refs(data)
    metadata = _object(data.get("metadata"))
    author = _cdx_author(metadata)
    vulnerabilities = data.get("vulnerabilities")
    if not isinstance(vulnerabilities, list) or not vulnerabilities:
        collector.warn("vulnerabilities", "no vulnerabilities[] in this CycloneDX document")
        return
    for index, item in enumerate(vulnerabilities):
        where = f"vulnerabilities[{index}]"
        if isinstance(item, dict):
            _cdx_vulnerability(item, where, refs, author, metadata.get("timestamp"), collector)
        else:
            collector.warn(where, "not an object")


def _cdx_author(metadata: Mapping[str, Any]) -> str:
    for key in ("authors", "manufacturer", "supplier"):
        value = metadata.get(key)
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, dict) and _text(first.get("name")):
            return str(first["name"]).strip()
    return "unknown"


def _cdx_refs(data: Mapping[str, Any]) -> dict[str, _Target]:
    """bom-ref -> (product, subcomponent): components inside a container are subcomponents of its image."""
    found: dict[str, _Target] = {}
    metadata = data.get("metadata")
    roots = (
        [metadata["component"]]
        if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict)
        else []
    )
    components = data.get("components")
    roots += [item for item in components if isinstance(item, dict)] if isinstance(components, list) else []
    for component in roots:
        _cdx_walk(component, None, found)
    return found


def _cdx_walk(component: Mapping[str, Any], image: str | None, found: dict[str, _Target]) -> None:
    purl = component.get("purl")
    mapped = product_from_purl(purl) if isinstance(purl, str) else None
    product = mapped[0] if mapped else None
    version_range = mapped[1] if mapped else None
    ref = component.get("bom-ref")
    if isinstance(ref, str) and product:
        if product.startswith(IMAGE_PREFIX) or image is None:
            found[ref] = (product, None, version_range)
        else:
            found[ref] = (image, product, version_range)
    inner = product if product and product.startswith(IMAGE_PREFIX) else image
    for child in component.get("components") or ():
        if isinstance(child, dict):
            _cdx_walk(child, inner, found)


def _cdx_properties(item: Mapping[str, Any]) -> dict[str, str]:
    properties = item.get("properties")
    if not isinstance(properties, list):
        return {}
    return {
        str(entry["name"]).removeprefix(HULLSCAN_PROPERTY): str(entry.get("value", ""))
        for entry in properties
        if isinstance(entry, dict) and str(entry.get("name", "")).startswith(HULLSCAN_PROPERTY)
    }


def _cdx_vulnerability(
    item: Mapping[str, Any],
    where: str,
    refs: Mapping[str, _Target],
    author: str,
    document_time: Any,
    collector: _Collector,
) -> None:
    vulnerability = _text(item.get("id"))
    analysis = item.get("analysis")
    if vulnerability is None or not isinstance(analysis, dict) or "state" not in analysis:
        collector.warn(where, "no id or no analysis.state (a vulnerability listing, not a VEX statement)")
        return
    state = analysis.get("state")
    status = STATUS_OF_CDX_STATE.get(state) if isinstance(state, str) else None
    if status is None:
        collector.warn(where, f"unknown analysis.state {state!r}")
        return
    extra = _cdx_properties(item)
    detail = _text(analysis.get("detail"))
    impact = detail if status is FindingStatus.NOT_AFFECTED else None
    if state == "false_positive":
        impact = f"false positive: {detail}" if detail else "false positive"
    justification_text = extra.get("justification") or _cdx_justification(analysis.get("justification"))
    checked = _complete(collector, where, status.value, justification_text=justification_text, impact=impact)
    raw_time = _first_present(
        analysis.get("lastUpdated"),
        analysis.get("firstIssued"),
        item.get("updated"),
        item.get("published"),
        document_time,
    )
    timestamp = _timestamp(raw_time)
    if timestamp is None:
        collector.warn(where, f"timestamp {raw_time!r} is missing or not a date-time")
        return
    if checked is None:
        return
    action = _cdx_action(item, analysis) if status is FindingStatus.AFFECTED else None
    for target in item.get("affects") or ():
        ref = target.get("ref") if isinstance(target, dict) else None
        if not isinstance(ref, str) or ref not in refs:
            collector.warn(where, f"affects unknown component {ref!r}")
            continue
        product, subcomponent, version_range = refs[ref]
        collector.statements.append(
            VexStatement(
                vulnerability=vulnerability,
                product=product,
                status=checked[0],
                justification=checked[1],
                impact_statement=checked[2],
                action_statement=action,
                author=extra.get("author") or author,
                timestamp=extra.get("timestamp") or timestamp,
                evidence=(
                    StatementEvidence("cyclonedx", f"analysis.state {state}", f"{collector.name}#{where}"),
                ),
                subcomponent=subcomponent,
                version_range=version_range,
                source=collector.name,
            )
        )


def _cdx_justification(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    mapped = JUSTIFICATION_OF_CDX.get(value)
    return mapped.value if mapped else value


def _cdx_action(item: Mapping[str, Any], analysis: Mapping[str, Any]) -> str | None:
    parts = [_text(item.get("recommendation")), _text(item.get("workaround")), _text(analysis.get("detail"))]
    responses = analysis.get("response")
    if isinstance(responses, list) and responses:
        parts.append("response: " + ", ".join(str(response) for response in responses))
    return "; ".join(part for part in parts if part) or None


# ----- CSAF 2.0 ----------------------------------------------------------------------------------

_CSAF_STATUS = {
    "known_affected": FindingStatus.AFFECTED,
    "first_affected": FindingStatus.AFFECTED,
    "last_affected": FindingStatus.AFFECTED,
    "known_not_affected": FindingStatus.NOT_AFFECTED,
    "fixed": FindingStatus.FIXED,
    "first_fixed": FindingStatus.FIXED,
    "under_investigation": FindingStatus.UNDER_INVESTIGATION,
}


def _csaf(data: Mapping[str, Any], collector: _Collector) -> None:
    document = data["document"]
    publisher = _object(document.get("publisher"))
    author = _text(publisher.get("name")) or "unknown"
    tracking = _object(document.get("tracking"))
    document_time = tracking.get("current_release_date")
    tree = _object(data.get("product_tree"))
    products = _csaf_products(tree)
    groups = {
        group["group_id"]: list(group.get("product_ids") or ())
        for group in tree.get("product_groups") or ()
        if isinstance(group, dict) and "group_id" in group
    }
    vulnerabilities = data.get("vulnerabilities")
    if not isinstance(vulnerabilities, list):
        collector.warn("vulnerabilities", "missing or not a list")
        return
    for index, item in enumerate(vulnerabilities):
        if isinstance(item, dict):
            _csaf_vulnerability(
                item, f"vulnerabilities[{index}]", products, groups, author, document_time, collector
            )


def _csaf_products(tree: Mapping[str, Any]) -> dict[str, _Target | None]:
    """product_id -> (product, subcomponent, range), or None when the product has no purl."""
    found: dict[str, _Target | None] = {}
    for full in _csaf_full_names(tree):
        helper = full.get("product_identification_helper") or {}
        purl = helper.get("purl") if isinstance(helper, dict) else None
        mapped = product_from_purl(purl) if isinstance(purl, str) else None
        found[str(full.get("product_id"))] = (mapped[0], None, mapped[1]) if mapped else None
    for relation in tree.get("relationships") or ():
        if not isinstance(relation, dict) or not isinstance(relation.get("full_product_name"), dict):
            continue
        component = found.get(str(relation.get("product_reference")))
        parent = found.get(str(relation.get("relates_to_product_reference")))
        product_id = str(relation["full_product_name"].get("product_id"))
        if component and parent and parent[0].startswith(IMAGE_PREFIX):
            found[product_id] = (parent[0], component[0], component[2])
        else:
            found[product_id] = component
    return found


def _csaf_full_names(tree: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for full in tree.get("full_product_names") or ():
        if isinstance(full, dict):
            yield full
    stack = list(tree.get("branches") or ())
    while stack:
        branch = stack.pop()
        if not isinstance(branch, dict):
            continue
        if isinstance(branch.get("product"), dict):
            yield branch["product"]
        stack.extend(branch.get("branches") or ())


def _by_product(entries: Any, groups: Mapping[str, list[str]]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries or ():
        if not isinstance(entry, dict):
            continue
        ids = list(entry.get("product_ids") or ())
        for group in entry.get("group_ids") or ():
            ids += groups.get(group, [])
        for product_id in ids:
            found.setdefault(product_id, []).append(entry)
    return found


def _csaf_vulnerability(
    item: Mapping[str, Any],
    where: str,
    products: Mapping[str, _Target | None],
    groups: Mapping[str, list[str]],
    author: str,
    document_time: Any,
    collector: _Collector,
) -> None:
    ids = _array(item.get("ids"))
    vulnerability = _text(item.get("cve")) or next(
        (_text(entry.get("text")) for entry in ids if isinstance(entry, dict) and _text(entry.get("text"))),
        None,
    )
    if vulnerability is None:
        collector.warn(where, "no cve and no ids")
        return
    product_status = _object(item.get("product_status"))
    flags = _by_product(item.get("flags"), groups)
    threats = _by_product(
        [t for t in item.get("threats") or () if isinstance(t, dict) and t.get("category") == "impact"],
        groups,
    )
    remediations = _by_product(item.get("remediations"), groups)
    for category, product_ids in product_status.items():
        status = _CSAF_STATUS.get(category)
        if status is None:
            continue
        for product_id in product_ids or ():
            _csaf_statement(
                _CsafInput(vulnerability, status, product_id, f"{where}.product_status.{category}"),
                products,
                flags,
                threats,
                remediations,
                (author, document_time),
                collector,
            )


@dataclass(frozen=True, slots=True)
class _CsafInput:
    vulnerability: str
    status: FindingStatus
    product_id: str
    where: str


def _csaf_statement(
    given: _CsafInput,
    products: Mapping[str, _Target | None],
    flags: Mapping[str, list[Mapping[str, Any]]],
    threats: Mapping[str, list[Mapping[str, Any]]],
    remediations: Mapping[str, list[Mapping[str, Any]]],
    document: tuple[str, Any],
    collector: _Collector,
) -> None:
    if given.product_id not in products:
        collector.warn(given.where, f"unknown product id {given.product_id!r} (not in the product tree)")
        return
    target = products[given.product_id]
    if target is None:
        collector.warn(given.where, f"product {given.product_id!r} has no purl to match packages by")
        return
    flag = next(iter(flags.get(given.product_id, [])), {})
    threat = next(iter(threats.get(given.product_id, [])), {})
    impact = _text(threat.get("details"))
    checked = _complete(
        collector, given.where, given.status.value, justification_text=flag.get("label"), impact=impact
    )
    raw_time = _first_present(flag.get("date"), threat.get("date"), document[1])
    timestamp = _timestamp(raw_time)
    if timestamp is None:
        collector.warn(given.where, f"timestamp {raw_time!r} is missing or not a date-time")
        return
    if checked is None:
        return
    actions = [
        f"{entry.get('category', 'remediation')}: {entry.get('details', '')}".strip()
        for entry in remediations.get(given.product_id, [])
    ]
    collector.statements.append(
        VexStatement(
            vulnerability=given.vulnerability,
            product=target[0],
            status=checked[0],
            justification=checked[1],
            impact_statement=checked[2],
            action_statement="; ".join(actions) or None,
            author=document[0],
            timestamp=timestamp,
            evidence=(StatementEvidence("csaf", f"{given.where} lists {given.product_id}", collector.name),),
            subcomponent=target[1],
            version_range=target[2],
            source=collector.name,
        )
    )
