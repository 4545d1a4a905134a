"""Parse the Debian security tracker's `data/CVE/list` (triage) and `data/DSA|DLA/list` (advisories).

CVE/list entries become `distro_triage` rows (one per CVE x release x source package; the
unstable line is stored as release `sid`). DSA/DLA entries become OSV-shaped records
(`Debian:<N>` ECOSYSTEM ranges `introduced 0` -> `fixed <version>`, CVEs as aliases), the same
shape osv.dev derives from these lines, so they flow through the normal OSV import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hullscan.match.db.ecosystems import DEBIAN_RELEASES

CVE_HEADER = re.compile(r"^(CVE-\d{4}-(?:\d{4,}|X{4}))(?:\s+(.*))?$")
ADVISORY_HEADER = re.compile(r"^\[(\d{1,2} \w{3} \d{4})\]\s+((?:DSA|DLA|DTSA)-\d+(?:-\d+)?)\s*(.*)$")
PACKAGE_LINE = re.compile(r"^\s+(?:\[([a-z][a-z0-9-]*)\]\s+)?-\s+(\S+)\s*(.*)$")
_STATUS_AND_NOTE = re.compile(r"^(?:<([a-z-]+)>|(\S+))?\s*(?:\((.*)\))?\s*$")
_BUG = re.compile(r"^bug\s*#?(\d+)$")
URGENCIES = frozenset({"unimportant", "low", "medium", "high", "not yet assigned", "end-of-life"})
KNOWN_STATUSES = frozenset(
    {
        "unfixed", "not-affected", "no-dsa", "ignored", "postponed", "end-of-life", "undetermined",
        "removed", "itp",
    }
)
_EXTRA_CODENAMES = {"hamm": "2.0", "slink": "2.1", "potato": "2.2"}

Row = dict[str, Any]


@dataclass(slots=True)
class TrackerParse:
    """What one tracker file yielded."""

    triage: list[Row] = field(default_factory=list)
    aliases: list[Row] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[tuple[str | None, str]] = field(default_factory=list)


def sniff_format(first_lines: Iterable[str]) -> str | None:
    """Return `cve-list`, `advisory-list` or None from the first non-empty lines of a file."""
    for line in first_lines:
        if not line.strip():
            continue
        if CVE_HEADER.match(line.rstrip()):
            return "cve-list"
        if ADVISORY_HEADER.match(line.rstrip()):
            return "advisory-list"
        return None
    return None


def _entries(
    lines: Iterable[str], header: re.Pattern[str]
) -> Iterator[tuple[int, re.Match[str] | None, list[str]]]:
    """Group lines into (line number, header match, indented body lines); None for a stray header."""
    current: tuple[int, re.Match[str]] | None = None
    body: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n").rstrip()
        if not line:
            continue
        if not line[0].isspace():
            if current is not None:
                yield current[0], current[1], body
            match = header.match(line)
            current = (number, match) if match else None
            body = []
            if match is None:
                yield number, None, [line]
        elif current is not None:
            body.append(line)
    if current is not None:
        yield current[0], current[1], body


def parse_cve_list(lines: Iterable[str]) -> TrackerParse:
    """Parse `data/CVE/list` text into triage rows and CVE -> DSA/DLA alias rows."""
    result = TrackerParse()
    for number, match, body in _entries(lines, CVE_HEADER):
        if match is None:
            result.warnings.append((None, f"line {number}: not a CVE header: {body[0][:80]!r}"))
            continue
        cve = match.group(1)
        if cve.endswith("XXXX"):
            result.warnings.append((cve, f"line {number}: placeholder id {cve} skipped"))
            continue
        _parse_cve_entry(cve, body, result)
    return result


def _parse_cve_entry(cve: str, body: list[str], result: TrackerParse) -> None:
    rows: list[Row] = []
    notes: list[str] = []
    for line in body:
        stripped = line.strip()
        if stripped.startswith("NOTE:"):
            notes.append(stripped.removeprefix("NOTE:").strip())
        elif stripped.startswith("NOT-FOR-US:"):
            rows.append(_cve_level_row(cve, "not-for-us", stripped.removeprefix("NOT-FOR-US:").strip()))
        elif stripped in {"RESERVED", "REJECTED"}:
            rows.append(_cve_level_row(cve, stripped.lower(), None))
        elif stripped.startswith("{") and stripped.endswith("}"):
            result.aliases.extend({"advisory_id": cve, "alias": ref} for ref in stripped[1:-1].split())
        elif package_match := PACKAGE_LINE.match(line):
            row = _package_row(cve, package_match, result)
            if row is not None:
                rows.append(row)
    _inherit_urgency(rows)
    note = "\n".join(notes) or None
    unique: dict[tuple[str, str, str], Row] = {}
    for row in rows:
        row["note"] = note
        unique[(row["cve"], row["release"], row["package"])] = row
    result.triage.extend(unique.values())


def _cve_level_row(cve: str, status: str, reason: str | None) -> Row:
    return {
        "cve": cve, "release": "", "package": "", "status": status, "fixed_version": None,
        "urgency": None, "reason": reason, "bug": None,
    }


def _package_row(cve: str, match: re.Match[str], result: TrackerParse) -> Row | None:
    release, package, rest = match.group(1) or "sid", match.group(2), match.group(3)
    parsed = _STATUS_AND_NOTE.match(rest)
    if parsed is None or (parsed.group(1) is None and parsed.group(2) is None):
        result.warnings.append((cve, f"cannot read the line for {package} in {release}: {rest!r}"))
        return None
    status_word, version, annotation = parsed.group(1), parsed.group(2), parsed.group(3)
    if status_word is not None and status_word not in KNOWN_STATUSES:
        result.warnings.append((cve, f"unknown status <{status_word}> for {package} in {release}; kept"))
    urgency, bug, reason = _annotation(annotation)
    return {
        "cve": cve,
        "release": release,
        "package": package,
        "status": status_word or "fixed",
        "fixed_version": version,
        "urgency": urgency,
        "reason": reason,
        "bug": bug,
    }


def _annotation(text: str | None) -> tuple[str | None, str | None, str | None]:
    """Split `(low; bug #990901)` / `(Minor issue)` into urgency, bug number and free-text reason."""
    if not text:
        return None, None, None
    urgency: str | None = None
    bug: str | None = None
    reasons: list[str] = []
    for part in (piece.strip() for piece in text.split(";")):
        bug_match = _BUG.match(part)
        if part.lower().rstrip("*") in URGENCIES:
            urgency = part.lower().rstrip("*")
        elif bug_match:
            bug = bug_match.group(1)
        elif part:
            reasons.append(part)
    return urgency, bug, "; ".join(reasons) or None


def _inherit_urgency(rows: list[Row]) -> None:
    """Release lines without an urgency take the one of the same package's unstable (sid) line."""
    sid = {row["package"]: row["urgency"] for row in rows if row["release"] == "sid"}
    for row in rows:
        if row["urgency"] is None and row["release"] != "sid":
            row["urgency"] = sid.get(row["package"])


def parse_advisory_list(lines: Iterable[str], list_name: str) -> TrackerParse:
    """Parse `data/DSA/list` or `data/DLA/list` into OSV-shaped records."""
    result = TrackerParse()
    for number, match, body in _entries(lines, ADVISORY_HEADER):
        if match is None:
            result.warnings.append((None, f"line {number}: not an advisory header: {body[0][:80]!r}"))
            continue
        record = _advisory_record(match, body, list_name, result)
        if record is not None:
            result.records.append(record)
    return result


def _advisory_record(
    match: re.Match[str], body: list[str], list_name: str, result: TrackerParse
) -> dict[str, Any] | None:
    date_text, advisory_id, title = match.groups()
    try:
        published = datetime.strptime(date_text, "%d %b %Y").replace(tzinfo=UTC)
    except ValueError:
        result.warnings.append((advisory_id, f"bad date {date_text!r}"))
        return None
    cves: list[str] = []
    affected: list[dict[str, Any]] = []
    other: list[dict[str, str]] = []
    notes: list[str] = []
    for line in body:
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            cves.extend(stripped[1:-1].split())
        elif stripped.startswith("NOTE:"):
            notes.append(stripped.removeprefix("NOTE:").strip())
        elif package_match := PACKAGE_LINE.match(line):
            _advisory_line(advisory_id, package_match, affected, other, result)
    timestamp = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": advisory_id,
        "modified": timestamp,
        "published": timestamp,
        "aliases": cves,
        "summary": title,
        "affected": affected,
        "references": [
            {"type": "ADVISORY", "url": f"https://security-tracker.debian.org/tracker/{advisory_id}"}
        ],
        "database_specific": {"source": f"debian security tracker {list_name}", "other_releases": other,
                              "notes": notes},
    }


def _advisory_line(
    advisory_id: str,
    match: re.Match[str],
    affected: list[dict[str, Any]],
    other: list[dict[str, str]],
    result: TrackerParse,
) -> None:
    codename, package, rest = match.group(1), match.group(2), match.group(3).strip()
    if codename is None:
        result.warnings.append((advisory_id, f"package line without a release: {package} {rest}"))
        return
    number = DEBIAN_RELEASES.get(codename) or _EXTRA_CODENAMES.get(codename)
    if number is None:
        result.warnings.append((advisory_id, f"unknown Debian release {codename!r}; line skipped"))
        return
    status = _STATUS_AND_NOTE.match(rest)
    version = status.group(2) if status else None
    if version is None:
        other.append({"release": codename, "package": package, "status": rest})
        return
    affected.append(
        {
            "package": {"ecosystem": f"Debian:{number}", "name": package,
                        "purl": f"pkg:deb/debian/{package.replace('+', '%2B')}?arch=source"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": version}]}],
        }
    )
