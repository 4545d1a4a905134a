"""Turn one ELF summary (from `ElfAnalyzer`) into identified component copies, purely.

Version evidence is ranked: version symbols read from the object, then version strings in
read-only data, then documented real-name tables. Conflicting evidence of the best rank gives
an unknown version: an unknown version is better than a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hullscan.catalog.bundled.signatures import SIGNATURES, ComponentSignature, Decoding

_AUDITWHEEL_HASH = re.compile(r"-[0-9a-f]{8}(?=\.)")
_DOTTED = re.compile(r"(\d+\.\d+(?:\.\d+)*[a-z]?)")
_REALNAME = re.compile(r"\.so\.(\d+(?:\.\d+)*)$")


@dataclass(frozen=True, slots=True)
class Identified:
    """One component copy found in one ELF file."""

    component: str
    version: str | None
    linkage: str
    """`shared` (the file is the component's library) or `static` (a copy inside another object)."""
    evidence: tuple[Mapping[str, Any], ...] = field(default=())


def library_name(name: str) -> str:
    """Return a library file name without auditwheel's `-<8 hex>` hash (`libssl-3a880ada.so.1.1`)."""
    return _AUDITWHEEL_HASH.sub("", name.rsplit("/", 1)[-1], count=1)


def library_stem(name: str) -> str | None:
    """Return the part of a library name before `.so` (`libz` for `libz.so.1.2.13`), or None."""
    clean = library_name(name)
    if clean.endswith(".so"):
        return clean[:-3]
    head, sep, _ = clean.partition(".so.")
    return head if sep else None


def decode(value: str | int, decoding: Decoding) -> str | None:
    """Return the upstream version a symbol's raw value stands for, or None."""
    if decoding is Decoding.TEXT:
        found = _DOTTED.search(str(value))
        return found.group(1) if found else None
    number = int(value) if isinstance(value, int) or str(value).isdigit() else None
    if number is None or number <= 0:
        return None
    return _decode_number(number, decoding)


def _lcms(n: int) -> str:
    base = f"{n // 1000}.{n % 1000 // 10}"
    return f"{base}.{n % 10}" if n % 10 else base


def _postgres(n: int) -> str:
    if n >= 100_000:
        return f"{n // 10000}.{n % 10000}"
    return f"{n // 10000}.{n // 100 % 100}.{n % 100}"


_NUMBER_DECODERS: dict[Decoding, Callable[[int], str]] = {
    Decoding.HEX_MMR: lambda n: f"{n >> 16 & 0xFF}.{n >> 8 & 0xFF}.{n & 0xFF}",
    Decoding.DEC_MMR: lambda n: f"{n // 10000}.{n // 100 % 100}.{n % 100}",
    Decoding.LZMA: lambda n: f"{n // 10_000_000}.{n // 10_000 % 1000}.{n // 10 % 1000}",
    Decoding.BROTLI: lambda n: f"{n >> 24}.{n >> 12 & 0xFFF}.{n & 0xFFF}",
    Decoding.LCMS: _lcms,
    Decoding.POSTGRES: _postgres,
}


def _decode_number(n: int, decoding: Decoding) -> str | None:
    decoder = _NUMBER_DECODERS.get(decoding)
    return decoder(n) if decoder else None


def identify(path: str, summary: Mapping[str, Any]) -> list[Identified]:
    """Return the components identified in one ELF summary (empty on an error summary)."""
    if not isinstance(summary, Mapping) or summary.get("error"):
        return []
    stem = library_stem(str(summary.get("soname") or "")) or library_stem(path)
    defined = frozenset(summary.get("component_symbols") or ())
    values = summary.get("symbol_values") or {}
    in_strings = {hit.get("component") for hit in summary.get("strings") or ()}
    if stem is not None and _any_library().fullmatch(stem) is None:
        stem = None  # no signature's library name: one regex instead of one per signature
    found = []
    for sig in SIGNATURES:
        # Most signatures have no evidence at all in a given file: reject those cheaply first.
        if (
            sig.name not in in_strings
            and defined.isdisjoint(_symbol_names(sig))
            and not any(symbol.name in values for symbol in sig.symbols)
            and (stem is None or sig.library_regex.fullmatch(stem) is None)
        ):
            continue
        copy = _identify_one(sig, path, stem, summary)
        if copy is not None:
            found.append(copy)
    return found


@cache
def _any_library() -> re.Pattern[str]:
    """Return a regex that fully matches the stems any signature's `library` regex fully matches."""
    return re.compile("|".join(f"(?:{sig.library})" for sig in SIGNATURES))


@cache
def _symbol_names(sig: ComponentSignature) -> frozenset[str]:
    """Return the marker and version-symbol names of a signature."""
    return frozenset((*sig.markers, *(symbol.name for symbol in sig.symbols)))


def _identify_one(
    sig: ComponentSignature, path: str, stem: str | None, summary: Mapping[str, Any]
) -> Identified | None:
    evidence: list[dict[str, Any]] = []
    shared = stem is not None and sig.library_regex.fullmatch(stem) is not None
    if shared:
        evidence.append({"kind": "soname", "match": summary.get("soname") or path.rsplit("/", 1)[-1]})
    defined = set(summary.get("component_symbols") or ())
    markers = sorted(defined & _symbol_names(sig))
    if markers:
        evidence.append({"kind": "symbols", "match": markers[:5]})
    by_symbol = _symbol_versions(sig, summary, evidence)
    by_string = _string_versions(sig, summary, evidence, identified=shared or bool(markers))
    if not evidence:
        return None
    version = _choose(by_symbol + by_string)
    if version is None and not by_symbol and not by_string and shared:
        version = _realname_version(sig, path, evidence)
    return Identified(sig.name, version, "shared" if shared else "static", tuple(evidence))


def _symbol_versions(
    sig: ComponentSignature, summary: Mapping[str, Any], evidence: list[dict[str, Any]]
) -> list[str]:
    values = summary.get("symbol_values") or {}
    versions = []
    for symbol in sig.symbols:
        raw = values.get(symbol.name)
        if raw is None:
            continue
        version = decode(raw, symbol.decoding)
        if version is not None:
            versions.append(version)
            evidence.append({"kind": "symbol", "symbol": symbol.name, "match": raw, "version": version})
    return versions


def _string_versions(
    sig: ComponentSignature,
    summary: Mapping[str, Any],
    evidence: list[dict[str, Any]],
    *,
    identified: bool,
) -> list[str]:
    versions = []
    for hit in summary.get("strings") or ():
        if hit.get("component") != sig.name:
            continue
        index = int(hit.get("pattern", -1))
        if not 0 <= index < len(sig.patterns):
            continue
        if not (identified or sig.patterns[index].standalone):
            continue
        versions.append(str(hit["version"]))
        evidence.append({"kind": "rodata", "match": hit.get("match"), "version": hit["version"]})
    return versions


def _choose(versions: list[str]) -> str | None:
    distinct = set(versions)
    return versions[0] if len(distinct) == 1 else None


def _realname_version(sig: ComponentSignature, path: str, evidence: list[dict[str, Any]]) -> str | None:
    found = _REALNAME.search(library_name(path))
    if found is None:
        return None
    realname = found.group(1)
    version = dict(sig.realname_versions).get(realname)
    if version is None and sig.realname_is_upstream and realname.count(".") == 2:
        version = realname
    if version is not None:
        evidence.append({"kind": "realname", "match": library_name(path), "version": version})
    return version
