"""`changelog_backport`: a Debian package's own changelog names the CVE as fixed at or below its version.

Debian fixes many CVEs by backporting a patch without changing the upstream version, so a record
whose range is written in upstream terms (or a bundled-copy identification) can flag a package
that is already fixed. The changelog (`/usr/share/doc/PKG/changelog.Debian.gz`) is not captured
by the catalogers; only the changelogs of packages with findings are read, one pass per layer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.batch import read_many
from hullscan.analyze.vex.evidence.common import cve_ids, findings_of_type, gunzip, statement
from hullscan.match.versioning.dpkg import compare_dpkg
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import Package, PackageType
from hullscan.model.vex import StatementConfidence, StatementEvidence, VexStatement

DOC_DIR = "/usr/share/doc"
CHANGELOG_NAMES = ("changelog.Debian.gz", "changelog.gz")
_HEADER = re.compile(r"^(\S+) \(([^()\s]+)\) [^;]*;")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_FIX_WORDS = re.compile(
    r"\b(fix\w*|patch\w*|security|backport\w*|address\w*|CVE-\d{4}-\d+\.(?:patch|diff))", re.IGNORECASE
)
_DOUBT_WORDS = re.compile(
    r"\b(not affected|does not affect|revert\w*|regression|partial\w*|incomplete)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ChangelogMention:
    """One changelog line naming a CVE, in the entry of `version`, with its whole bullet."""

    version: str
    line: str
    line_number: int
    bullet: str = ""
    """The change item (`* ...` and its continuation lines) the line belongs to."""

    @property
    def says_fixed(self) -> bool:
        """True when the item reads like a fix (fix/patch/security words, no revert/not-affected)."""
        text = self.bullet or self.line
        return bool(_FIX_WORDS.search(text)) and not _DOUBT_WORDS.search(text)


def _bullets(text: str) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """(entry version, [(line number, line)] of one change item) for every item of every entry."""
    version: str | None = None
    item: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        stripped = line.strip()
        starts_item = header is not None or stripped.startswith(("* ", "- ", "+ ", "[")) or not stripped
        if starts_item or stripped.startswith("-- "):
            if version is not None and item:
                yield version, item
            item = []
        if header is not None:
            version = header.group(2)
        elif stripped and not stripped.startswith("-- "):
            item.append((number, stripped))
    if version is not None and item:
        yield version, item


def parse_mentions(text: str) -> dict[str, list[ChangelogMention]]:
    """CVE id (upper case) -> the lines naming it, each with the version of its entry."""
    mentions: dict[str, list[ChangelogMention]] = defaultdict(list)
    for version, item in _bullets(text):
        bullet = " ".join(line for _, line in item)
        for number, line in item:
            for cve in dict.fromkeys(m.upper() for m in _CVE.findall(line)):
                mentions[cve].append(ChangelogMention(version, line, number, bullet))
    return mentions


def changelog_paths(package: Package) -> list[str]:
    """Where the package's Debian changelog may be (its own doc dir, then its source's)."""
    names = dict.fromkeys([package.name, package.source_name or package.name])
    return [f"{DOC_DIR}/{name}/{file}" for name in names for file in CHANGELOG_NAMES]


def _installed_version(package: Package) -> str:
    return package.source_version or package.version


def fixing_mention(mentions: Sequence[ChangelogMention], installed: str) -> ChangelogMention | None:
    """The first line naming the CVE in an entry at or below `installed`, fix-worded lines first."""
    eligible = [m for m in mentions if _at_or_below(m.version, installed)]
    worded = [m for m in eligible if m.says_fixed]
    chosen = worded or eligible
    return chosen[0] if chosen else None


def _at_or_below(version: str, installed: str) -> bool:
    try:
        return compare_dpkg(version, installed) <= 0
    except ValueError:
        return False


def _statement(finding: Finding, cve: str, mention: ChangelogMention, path: str) -> VexStatement:
    evidence = StatementEvidence(
        "changelog", f"{mention.version}: {mention.line}", f"{path}:{mention.line_number}"
    )
    return statement(
        finding, FindingStatus.FIXED, (evidence,),
        confidence=StatementConfidence.HIGH if mention.says_fixed else StatementConfidence.MEDIUM,
        impact=f"the package's changelog names {cve} in version {mention.version}, "
        f"at or below the installed {_installed_version(finding.package)}",
    )  # fmt: skip


def changelog_backport(context: TriageContext) -> Iterator[VexStatement]:
    """Producer: `fixed` for Debian findings whose CVE the installed package's changelog names."""
    if context.view is None:
        return
    findings = [f for f in findings_of_type(context.findings, PackageType.DEB)
                if f.status is FindingStatus.AFFECTED and cve_ids(f)]  # fmt: skip
    if not findings:
        return
    wanted = {path for f in findings for path in changelog_paths(f.package)}
    contents = read_many(context.view, wanted)
    parsed: dict[str, tuple[str, dict[str, list[ChangelogMention]]]] = {}
    for finding in findings:
        found = _changelog_for(finding.package, contents, parsed)
        if found is None:
            continue
        path, mentions = found
        for cve in cve_ids(finding):
            mention = fixing_mention(mentions.get(cve.upper(), ()), _installed_version(finding.package))
            if mention is not None:
                yield _statement(finding, cve, mention, path)
                break


def _changelog_for(
    package: Package,
    contents: dict[str, bytes],
    parsed: dict[str, tuple[str, dict[str, list[ChangelogMention]]]],
) -> tuple[str, dict[str, list[ChangelogMention]]] | None:
    for path in changelog_paths(package):
        if path in parsed:
            return parsed[path]
        data = contents.get(path)
        text = gunzip(data) if data is not None else None
        if text is not None:
            parsed[path] = (path, parse_mentions(text.decode("utf-8", "replace")))
            return parsed[path]
    return None
