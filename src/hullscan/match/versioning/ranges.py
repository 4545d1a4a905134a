"""Evaluate OSV ``affected[]`` entries: is a version inside the ranges or the ``versions`` list.

Implements the OSV schema's evaluation algorithm: per range, a version must be below some
``limit`` (``*`` or none means no limit); then the events are sorted by version (``introduced:
"0"`` first) and replayed -- ``introduced`` switches to affected when ``v >= introduced``,
``fixed`` back off when ``v >= fixed``, ``last_affected`` off when ``v > last_affected``.
``ECOSYSTEM`` ranges use the ecosystem's scheme, ``SEMVER`` ranges SemVer 2.0. ``GIT`` ranges
need a repository's commit graph and are skipped with a note.

Speed: `compile_entry` parses an entry's events once into sorted bounds (`CompiledEntry`), so
evaluating many versions only parses the installed version; `compiled_entry` memoizes that per
(scheme, versions, ranges) for hashable range objects such as the database's `AffectedRange`.
Verdicts, notes and errors are those of the plain replay (`range_includes`), which stays public.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, cast

from hullscan.errors import HullscanError
from hullscan.match.versioning._base import KeyedVersion
from hullscan.match.versioning.interface import InvalidVersionError
from hullscan.match.versioning.maven import MavenVersion
from hullscan.match.versioning.registry import scheme_for_ecosystem
from hullscan.match.versioning.semver import SEMVER

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hullscan.match.versioning.interface import Version, VersionScheme

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_INTRODUCED_ZERO = "0"
_UNLIMITED = "*"
# At equal versions an `introduced` is replayed before the events that end a range.
_TIE_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 1}
#: How many compiled entries `compiled_entry` keeps (a full database has ~120,000 entries).
COMPILED_CACHE_SIZE = 1 << 17


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
    return compile_entry(affected_entry, scheme).evaluate(version)


def _evaluate_plain(version: str, affected_entry: Mapping[str, Any], scheme: VersionScheme) -> RangeVerdict:
    """The plain evaluation: parse every event on each call (fallback for entries that do not compile)."""
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


# ----- compiled entries: events parsed once, replayed per version ------------------------------

_INTRODUCED, _FIXED, _LAST_AFFECTED = 0, 1, 2
_UNAFFECTED = RangeVerdict(affected=False)
_KIND_CODE = {"introduced": _INTRODUCED, "fixed": _FIXED, "last_affected": _LAST_AFFECTED}


@dataclass(frozen=True, slots=True)
class _DeferredError:
    """An `InvalidRangeError` the plain evaluation raises when it reaches this point."""

    message: str
    cause: BaseException | None = None

    def throw(self) -> None:
        if self.cause is None:
            raise InvalidRangeError(self.message)
        raise InvalidRangeError(self.message) from self.cause


@dataclass(frozen=True, slots=True)
class _Limit:
    """A ``limit`` event: no bound when unlimited (``*``), else a bound or the error parsing it gave."""

    bound: Version | None = None
    error: _DeferredError | None = None


@dataclass(frozen=True, slots=True)
class _CompiledRange:
    """One range, ready to replay: its scheme, limits and its events sorted with parsed bounds."""

    index: int
    scheme: VersionScheme
    note: str | None = None
    """Set for ranges that are skipped (GIT, unknown type): the note to record."""
    error: _DeferredError | None = None
    """Set when the events are malformed or a non-limit event does not parse: raised after the limits."""
    limits: tuple[_Limit, ...] = ()
    ordered: tuple[tuple[int, Version | None], ...] = ()
    """(kind code, bound) in replay order; a None bound is ``introduced: "0"``."""
    hit: RangeVerdict = field(init=False)
    """The verdict when this range includes a version and nothing was noted before it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "hit", RangeVerdict(affected=True, matched_by=f"range:{self.index}"))

    def includes(self, version: Version) -> bool:
        """`range_includes` on the precomputed events."""
        if self.limits and not self._before_limits(version):
            return False
        if self.error is not None:
            self.error.throw()
        vulnerable = False
        for code, bound in self.ordered:
            if code == _INTRODUCED:
                if bound is None or version >= bound:
                    vulnerable = True
            elif code == _FIXED:
                if bound is not None and version >= bound:
                    vulnerable = False
            elif bound is not None and version > bound:
                vulnerable = False
        return vulnerable

    def _before_limits(self, version: Version) -> bool:
        for limit in self.limits:
            if limit.error is not None:
                limit.error.throw()
            if limit.bound is None or version < limit.bound:
                return True
        return False


def _parse_bound(scheme: VersionScheme, event: _Event, index: int) -> Version | _DeferredError:
    try:
        return scheme.parse(event.value)
    except InvalidVersionError as exc:
        message = f"range {index}: {event.kind} {event.value!r} is not a {scheme.name} version"
        return _DeferredError(message, exc)


def _compile_range(range_: Any, index: int, scheme: VersionScheme) -> _CompiledRange:
    kind = range_.get("type") if isinstance(range_, Mapping) else None
    if kind == "GIT":
        note = f"range {index}: GIT range skipped (needs the repository's commit graph)"
        return _CompiledRange(index, scheme, note=note)
    if kind not in ("ECOSYSTEM", "SEMVER"):
        return _CompiledRange(index, scheme, note=f"range {index}: unknown range type {kind!r} skipped")
    range_scheme = SEMVER if kind == "SEMVER" else scheme
    try:
        events = _events(range_, index)
    except InvalidRangeError as error:
        return _CompiledRange(index, range_scheme, error=_DeferredError(error.message))
    limits = tuple(_compile_limit(range_scheme, event, index) for event in events if event.kind == "limit")
    keyed: list[tuple[tuple[Any, ...], int, Version | None]] = []
    for event in events:
        if event.kind == "limit":
            continue
        if event.kind == "introduced" and event.value == _INTRODUCED_ZERO:
            keyed.append(((0,), _INTRODUCED, None))
            continue
        parsed = _parse_bound(range_scheme, event, index)
        if isinstance(parsed, _DeferredError):
            return _CompiledRange(index, range_scheme, error=parsed, limits=limits)
        keyed.append(((1, parsed, _TIE_ORDER[event.kind]), _KIND_CODE[event.kind], parsed))
    keyed.sort(key=lambda item: item[0])
    ordered = tuple((code, bound) for _, code, bound in keyed)
    return _CompiledRange(index, range_scheme, limits=limits, ordered=ordered)


def _compile_limit(scheme: VersionScheme, event: _Event, index: int) -> _Limit:
    if _UNLIMITED in event.value:
        return _Limit()
    parsed = _parse_bound(scheme, event, index)
    return _Limit(error=parsed) if isinstance(parsed, _DeferredError) else _Limit(bound=parsed)


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """An OSV ``affected[]`` entry with its ``versions`` and events parsed once for one scheme.

    `evaluate(version)` gives exactly what `evaluate(version, entry, scheme)` gives (verdict,
    notes, errors and the order in which they are met) while parsing only `version`.
    """

    scheme: VersionScheme
    listed_texts: frozenset[str] = frozenset()
    listed: tuple[Version, ...] = ()
    """The ``versions`` strings that parse in `scheme`."""
    listed_set: frozenset[Version] | None = None
    """`listed` as a set when all members are of one class whose `==` is equality of what it hashes."""
    ranges: tuple[_CompiledRange, ...] = ()
    plain: Mapping[str, Any] | None = None
    """The entry itself when it could not be compiled; evaluated the plain way."""

    def evaluate(self, version: str) -> RangeVerdict:
        """Evaluate `version` (raises like `evaluate`: `InvalidVersionError`, `InvalidRangeError`)."""
        if self.plain is not None:
            return _evaluate_plain(version, self.plain, self.scheme)
        parsed = self.scheme.parse(version)
        if self._listed(version, parsed):
            return RangeVerdict(affected=True, matched_by="versions")
        notes: list[str] = []
        for range_ in self.ranges:
            if range_.note is not None:
                notes.append(range_.note)
                continue
            subject = parsed if range_.scheme is self.scheme else range_.scheme.parse(version)
            if range_.includes(subject):
                if not notes:
                    return range_.hit
                return RangeVerdict(affected=True, matched_by=range_.hit.matched_by, notes=tuple(notes))
        return RangeVerdict(affected=False, notes=tuple(notes)) if notes else _UNAFFECTED

    def is_affected(self, version: str) -> bool:
        """Return the verdict's `affected`."""
        return self.evaluate(version).affected

    def _listed(self, text: str, parsed: Version) -> bool:
        if text in self.listed_texts:
            return True
        if self.listed_set is not None and type(parsed) is type(self.listed[0]):
            return parsed in self.listed_set
        return any(listed == parsed for listed in self.listed)


def compile_entry(affected_entry: Mapping[str, Any], scheme: VersionScheme) -> CompiledEntry:
    """Parse an OSV ``affected[]`` entry's versions and events once for `scheme` (never raises for bad data).

    Errors a bad event would cause are kept and raised by `CompiledEntry.evaluate` at the point
    the plain evaluation would raise them.
    """
    try:
        texts, listed = _compile_listed(affected_entry.get("versions") or (), scheme)
        raw_ranges = affected_entry.get("ranges") or ()
        ranges = tuple(_compile_range(range_, index, scheme) for index, range_ in enumerate(raw_ranges))
    except Exception:  # noqa: BLE001 - anything unexpected: evaluate the plain way, which raises it in place
        return CompiledEntry(scheme, plain=affected_entry)
    kinds = {type(item) for item in listed}
    as_set = frozenset(listed) if len(kinds) == 1 and _set_safe(next(iter(kinds))) else None
    return CompiledEntry(scheme, texts, listed, as_set, ranges)


@lru_cache(maxsize=64)
def _set_safe(kind: type) -> bool:
    """True when `==` of two `kind` values is exactly equality of what they hash.

    Then a set lookup answers "is it listed" as the linear ``==`` scan does. That holds for
    `KeyedVersion` dataclasses comparing on `key` alone (eq and hash generated from that one
    field) and for `MavenVersion` (``cmp`` is 0 exactly when ``hash_key()`` is equal).
    """
    if kind is MavenVersion:
        return True
    if not issubclass(kind, KeyedVersion) or not is_dataclass(kind):
        return False
    compared = tuple(item.name for item in fields(kind) if item.compare)
    own = vars(kind)
    return compared == ("key",) and _generated(own.get("__eq__")) and _generated(own.get("__hash__"))


def _generated(method: object) -> bool:
    """True for a method `dataclasses` wrote (compiled from a string), not one written by hand."""
    code = getattr(method, "__code__", None)
    return code is not None and code.co_filename == "<string>"


def _compile_listed(
    versions: Iterable[Any], scheme: VersionScheme
) -> tuple[frozenset[str], tuple[Version, ...]]:
    texts: list[str] = []
    parsed: list[Version] = []
    for listed in versions:
        if not isinstance(listed, str):
            continue
        texts.append(listed)
        try:
            parsed.append(scheme.parse(listed))
        except InvalidVersionError:
            continue
    return frozenset(texts), tuple(parsed)


class EventLike(Protocol):
    """A range event with `kind` and `version` (e.g. the database's `RangeEvent`)."""

    @property
    def kind(self) -> str: ...
    @property
    def version(self) -> str: ...


class RangeLike(Hashable, Protocol):
    """A hashable range with `type`, `repo` and `events` (e.g. the database's `AffectedRange`)."""

    @property
    def type(self) -> str: ...
    @property
    def repo(self) -> str | None: ...
    @property
    def events(self) -> Sequence[EventLike]: ...


def compiled_entry(
    versions: tuple[str, ...], ranges: tuple[RangeLike, ...], scheme: VersionScheme
) -> CompiledEntry:
    """`compile_entry` for an entry given as hashable parts, memoized per (scheme, versions, ranges)."""
    return _compiled_cached(cast("Hashable", scheme), versions, ranges)


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled_cached(
    scheme: Hashable, versions: tuple[str, ...], ranges: tuple[RangeLike, ...]
) -> CompiledEntry:
    return compile_entry(osv_mapping(versions, ranges), cast("VersionScheme", scheme))


def osv_mapping(versions: Sequence[str], ranges: Sequence[RangeLike]) -> dict[str, Any]:
    """The OSV ``affected[]`` mapping form of an entry given as parts (what `evaluate` takes)."""
    return {
        "versions": list(versions),
        "ranges": [
            {
                "type": item.type,
                "repo": item.repo,
                "events": [{event.kind: event.version} for event in item.events],
            }
            for item in ranges
        ],
    }


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
