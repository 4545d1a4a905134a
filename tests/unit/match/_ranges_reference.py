"""TEST-ONLY REFERENCE COPY of ``hullscan.match.versioning.ranges`` before the compiled fast path.

Frozen from commit 5423b92 (the last change to ``ranges.py`` before the speed work) so that
``test_match_speed_equivalence.py`` can assert the fast path gives identical verdicts, notes and
errors. Do not import from production code and do not "fix" it: it is the old behaviour on purpose.
Only the module docstring was replaced; the code below is unchanged (``record_affects`` and
``fixed_versions`` are kept for completeness).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hullscan.errors import HullscanError
from hullscan.match.versioning.interface import InvalidVersionError
from hullscan.match.versioning.registry import scheme_for_ecosystem
from hullscan.match.versioning.semver import SEMVER

if TYPE_CHECKING:
    from hullscan.match.versioning.interface import Version, VersionScheme

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_INTRODUCED_ZERO = "0"
_UNLIMITED = "*"
# At equal versions an `introduced` is replayed before the events that end a range.
_TIE_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 1}


class InvalidRangeError(HullscanError):
    """An OSV range cannot be evaluated (unparseable event version, malformed event)."""

    hint = "The advisory record is malformed for its ecosystem; update the database or report it upstream."


@dataclass(frozen=True, slots=True)
class RangeVerdict:
    """Outcome of evaluating one version against one ``affected[]`` entry."""

    affected: bool
    #: Which part matched: ``"versions"``, ``"range:<index>"``, or empty when unaffected.
    matched_by: str = ""
    #: Things skipped or assumed while evaluating (GIT ranges, unknown range types, ...).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Event:
    kind: str
    value: str


def _events(range_: Mapping[str, Any], index: int) -> list[_Event]:
    events: list[_Event] = []
    for raw in range_.get("events") or ():
        if not isinstance(raw, Mapping):
            raise InvalidRangeError(f"range {index}: event {raw!r} is not an object")
        kinds = [k for k in EVENT_KINDS if k in raw]
        if len(kinds) != 1 or not isinstance(raw[kinds[0]], str):
            message = f"range {index}: event {dict(raw)!r} must have exactly one of {EVENT_KINDS}"
            raise InvalidRangeError(message)
        events.append(_Event(kinds[0], raw[kinds[0]]))
    return events


def _parse_event(scheme: VersionScheme, event: _Event, index: int) -> Version:
    try:
        return scheme.parse(event.value)
    except InvalidVersionError as exc:
        message = f"range {index}: {event.kind} {event.value!r} is not a {scheme.name} version"
        raise InvalidRangeError(message) from exc


def _before_limits(version: Version, limits: Sequence[_Event], scheme: VersionScheme, index: int) -> bool:
    if not limits:
        return True
    return any(_UNLIMITED in e.value or version < _parse_event(scheme, e, index) for e in limits)


def range_includes(version: Version, events: Sequence[_Event], scheme: VersionScheme, index: int = 0) -> bool:
    """Replay sorted events for one range; `version` must come from `scheme`."""
    limits = [e for e in events if e.kind == "limit"]
    if not _before_limits(version, limits, scheme, index):
        return False
    keyed: list[tuple[tuple[Any, ...], _Event, Version | None]] = []
    for event in events:
        if event.kind == "limit":
            continue
        if event.kind == "introduced" and event.value == _INTRODUCED_ZERO:
            keyed.append(((0,), event, None))
            continue
        parsed = _parse_event(scheme, event, index)
        keyed.append(((1, parsed, _TIE_ORDER[event.kind]), event, parsed))
    keyed.sort(key=lambda item: item[0])
    return _replay(version, [(event, bound) for _, event, bound in keyed])


def _replay(version: Version, ordered: Sequence[tuple[_Event, Version | None]]) -> bool:
    """Walk sorted events; a None bound is ``introduced: "0"`` (below everything)."""
    vulnerable = False
    for event, bound in ordered:
        if event.kind == "introduced":
            if bound is None or version >= bound:
                vulnerable = True
        elif event.kind == "fixed":
            if bound is not None and version >= bound:
                vulnerable = False
        elif bound is not None and version > bound:  # last_affected
            vulnerable = False
    return vulnerable


def _in_versions(text: str, version: Version, versions: Sequence[Any], scheme: VersionScheme) -> bool:
    for listed in versions:
        if not isinstance(listed, str):
            continue
        if listed == text:
            return True
        try:
            if scheme.parse(listed) == version:
                return True
        except InvalidVersionError:
            continue
    return False


def evaluate(version: str, affected_entry: Mapping[str, Any], scheme: VersionScheme) -> RangeVerdict:
    """Evaluate `version` against one OSV ``affected[]`` entry, with notes on what was skipped."""
    parsed = scheme.parse(version)
    notes: list[str] = []
    if _in_versions(version, parsed, affected_entry.get("versions") or (), scheme):
        return RangeVerdict(affected=True, matched_by="versions")
    for index, range_ in enumerate(affected_entry.get("ranges") or ()):
        kind = range_.get("type") if isinstance(range_, Mapping) else None
        if kind == "GIT":
            notes.append(f"range {index}: GIT range skipped (needs the repository's commit graph)")
            continue
        if kind not in ("ECOSYSTEM", "SEMVER"):
            notes.append(f"range {index}: unknown range type {kind!r} skipped")
            continue
        range_scheme = SEMVER if kind == "SEMVER" else scheme
        subject = parsed if range_scheme is scheme else range_scheme.parse(version)
        if range_includes(subject, _events(range_, index), range_scheme, index):
            return RangeVerdict(affected=True, matched_by=f"range:{index}", notes=tuple(notes))
    return RangeVerdict(affected=False, notes=tuple(notes))


def is_affected(version: str, affected_entry: Mapping[str, Any], scheme: VersionScheme) -> bool:
    """Return True when `version` is affected per the entry's ``versions`` list or its ranges.

    Raises `InvalidVersionError` if `version` is not valid in `scheme`, and `InvalidRangeError`
    if an event of an ``ECOSYSTEM``/``SEMVER`` range cannot be parsed.
    """
    return evaluate(version, affected_entry, scheme).affected


def fixed_versions(affected_entry: Mapping[str, Any], scheme: VersionScheme | None = None) -> list[str]:
    """Versions named by ``fixed`` events of non-GIT ranges, de-duplicated.

    In record order, or ascending when a `scheme` is given (unparseable ones then go last).
    """
    seen: dict[str, None] = {}
    for index, range_ in enumerate(affected_entry.get("ranges") or ()):
        if not isinstance(range_, Mapping) or range_.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        for event in _events(range_, index):
            if event.kind == "fixed":
                seen.setdefault(event.value, None)
    found = list(seen)
    if scheme is None:
        return found
    valid: list[tuple[Version, str]] = []
    invalid: list[str] = []
    for text in found:
        try:
            valid.append((scheme.parse(text), text))
        except InvalidVersionError:
            invalid.append(text)
    valid.sort(key=lambda pair: pair[0])
    return [text for _, text in valid] + invalid


def record_affects(version: str, record: Mapping[str, Any], *, ecosystem: str, name: str) -> bool:
    """OSV ``IsVulnerable`` for a whole record: any ``affected[]`` entry of this package says so.

    Withdrawn records affect nothing. `ecosystem` must equal the entry's ``package.ecosystem``;
    its scheme comes from the registry.
    """
    if record.get("withdrawn"):
        return False
    scheme = scheme_for_ecosystem(ecosystem)
    for entry in record.get("affected") or ():
        package = entry.get("package") or {}
        ours = package.get("ecosystem") == ecosystem and package.get("name") == name
        if ours and is_affected(version, entry, scheme):
            return True
    return False
