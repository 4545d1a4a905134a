"""`support_status`: Debian's `debian-security-support` lists as the reason a fix will not come.

The lists (packages whose security support ended, or is limited, per release) are GPL-2.0-only
data, so they are not shipped inside hullscan (Apache-2.0): they are read from the image itself
(`/usr/share/debian-security-support/` when the image installs the package), from a directory
the user names (`HULLSCAN_SECURITY_SUPPORT_DIR` or `support_status_producer(path)`), or from the
host's own copy. Both layouts are read: bookworm's `security-support-ended.debN` +
`security-support-limited`, and trixie's `security-support.debN` (`limited`/`non-supported`).
Statements are `affected` with an impact statement, for findings without a fixed version only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.common import EvidenceError, findings_of_type, read_file, statement
from hullscan.analyze.vex.evidence.distro_triage import debian_release
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import PackageType
from hullscan.model.vex import StatementConfidence, StatementEvidence, VexStatement

ENV_DIR = "HULLSCAN_SECURITY_SUPPORT_DIR"
IMAGE_DIR = "/usr/share/debian-security-support"
HOST_DIR = Path("/usr/share/debian-security-support")
MAX_LIST_BYTES = 4 * 1024 * 1024
_ENDED = re.compile(r"^security-support-ended\.deb(\d+)$")
_COMBINED = re.compile(r"^security-support\.deb(\d+)$")
_LIMITED = "security-support-limited"
_IMAGE_FILES = (
    *(f"security-support-ended.deb{n}" for n in range(6, 20)),
    *(f"security-support.deb{n}" for n in range(6, 20)),
    _LIMITED,
)


@dataclass(frozen=True, slots=True)
class SupportEntry:
    """One line of a list: a source package (or regex) whose support ended or is limited."""

    pattern: str
    release: str
    kind: str
    """`ended` or `limited`."""
    last_version: str | None
    end_date: str | None
    details: str
    origin: str
    """The list file and line the entry came from."""

    def covers(self, source: str) -> bool:
        """True when `source` is this entry's package (names may be regular expressions)."""
        if self.pattern == source:
            return True
        try:
            return re.fullmatch(self.pattern, source) is not None
        except re.error:
            return False


def _lines(text: str) -> Iterator[tuple[int, list[str]]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line.split()


def parse_ended(text: str, release: str, origin: str) -> list[SupportEntry]:
    """Parse `security-support-ended.debN`: `source last-version end-date [details]`."""
    entries = []
    for number, fields in _lines(text):
        if len(fields) < 3:
            continue
        details = " ".join(fields[3:])
        entries.append(
            SupportEntry(fields[0], release, "ended", fields[1], fields[2], details, f"{origin}:{number}")
        )
    return entries


def parse_limited(text: str, release: str, origin: str) -> list[SupportEntry]:
    """Parse `security-support-limited`: `source [details]`."""
    return [
        SupportEntry(fields[0], release, "limited", None, None, " ".join(fields[1:]), f"{origin}:{number}")
        for number, fields in _lines(text)
    ]


def parse_combined(text: str, release: str, origin: str) -> list[SupportEntry]:
    """Parse `security-support.debN`: `source non-supported|limited [version date] [details]`."""
    entries = []
    for number, fields in _lines(text):
        if len(fields) < 2 or fields[1] not in ("limited", "non-supported"):
            continue
        where = f"{origin}:{number}"
        if fields[1] == "non-supported" and len(fields) >= 4:
            details = " ".join(fields[4:])
            entries.append(SupportEntry(fields[0], release, "ended", fields[2], fields[3], details, where))
        else:
            entries.append(
                SupportEntry(fields[0], release, "limited", None, None, " ".join(fields[2:]), where)
            )
    return entries


def parse_lists(files: Mapping[str, str], origin: str) -> list[SupportEntry]:
    """Parse the files of one list directory (file name -> text) into entries for every release."""
    entries: list[SupportEntry] = []
    ended_releases = []
    for name, text in sorted(files.items()):
        if match := _ENDED.match(name):
            ended_releases.append(int(match.group(1)))
            entries += parse_ended(text, match.group(1), f"{origin}/{name}")
        elif match := _COMBINED.match(name):
            entries += parse_combined(text, match.group(1), f"{origin}/{name}")
    if _LIMITED in files and ended_releases:
        # The limited list belongs to the release the package was made for: its newest ended list.
        entries += parse_limited(files[_LIMITED], str(max(ended_releases)), f"{origin}/{_LIMITED}")
    return entries


def load_directory(path: Path) -> list[SupportEntry]:
    """Read the list files in `path` and its immediate subdirectories (one per package version)."""
    if not path.is_dir():
        msg = f"no debian-security-support data at {path}"
        raise EvidenceError(msg)
    directories = [path, *sorted(p for p in path.iterdir() if p.is_dir())]
    entries: list[SupportEntry] = []
    for directory in directories:
        files = {
            item.name: item.read_text("utf-8", "replace")
            for item in directory.iterdir()
            if item.is_file()
            and item.stat().st_size <= MAX_LIST_BYTES
            and (_ENDED.match(item.name) or _COMBINED.match(item.name) or item.name == _LIMITED)
        }
        entries += parse_lists(files, str(directory))
    return entries


def from_image(context: TriageContext) -> list[SupportEntry]:
    """The lists the image itself ships (the debian-security-support package installed in it)."""
    files = {}
    for name in _IMAGE_FILES:
        content = read_file(context.view, f"{IMAGE_DIR}/{name}") if context.view is not None else None
        if content is not None and len(content) <= MAX_LIST_BYTES:
            files[name] = content.decode("utf-8", "replace")
    return parse_lists(files, f"image:{IMAGE_DIR}") if files else []


def default_directory() -> Path | None:
    """`$HULLSCAN_SECURITY_SUPPORT_DIR`, else the host's `/usr/share/debian-security-support`."""
    configured = os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    return HOST_DIR if HOST_DIR.is_dir() else None


def _entry_for(entries: Iterable[SupportEntry], release: str, source: str) -> SupportEntry | None:
    matching = [e for e in entries if e.release == release and e.covers(source)]
    ended = [e for e in matching if e.kind == "ended"]
    chosen = ended or matching
    return chosen[0] if chosen else None


def _impact(entry: SupportEntry) -> str:
    if entry.kind == "ended":
        text = f"security support ended in Debian {entry.release} on {entry.end_date}"
        text += f" (last supported version {entry.last_version})"
    else:
        text = f"security support is limited in Debian {entry.release}"
    return text + (f": {entry.details}" if entry.details else "")


def _statement(finding: Finding, entry: SupportEntry) -> VexStatement:
    evidence = StatementEvidence(
        "security-support", f"{entry.kind}: {entry.pattern} {entry.details}".strip(), entry.origin
    )
    return statement(
        finding, FindingStatus.AFFECTED, (evidence,), confidence=StatementConfidence.HIGH,
        impact="distribution will not fix: " + _impact(entry),
        action="Replace the package or accept the risk; no Debian security update is expected.",
    )  # fmt: skip


def support_statements(context: TriageContext, entries: Iterable[SupportEntry]) -> Iterator[VexStatement]:
    """Statements for the unfixed Debian findings of packages the lists name for the image's release."""
    release = debian_release(context)
    if release is None:
        return
    listed = list(entries)
    for finding in findings_of_type(context.findings, PackageType.DEB):
        if finding.fix is not None:
            continue
        entry = _entry_for(listed, release, finding.package.source_name or finding.package.name)
        if entry is not None:
            yield _statement(finding, entry)


def support_status_producer(
    data_dir: Path | None = None,
) -> Callable[[TriageContext], Iterator[VexStatement]]:
    """A producer reading the lists from the image, then from `data_dir` (or the default directory)."""

    def support_status(context: TriageContext) -> Iterator[VexStatement]:
        entries = from_image(context)
        if not entries:
            directory = data_dir or default_directory()
            entries = load_directory(directory) if directory is not None else []
        yield from support_statements(context, entries)

    return support_status
