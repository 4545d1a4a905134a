"""`go_symbols`: whether the vulnerable Go functions an advisory names are linked into the binary.

Go advisories (golang/vulndb) name the vulnerable functions per package
(`affected[].ecosystem_specific.imports[].{path, symbols}`). The binary's pclntab lists every
compiled function and, through the inline trees, every function inlined somewhere (see
`gopclntab`). A vulnerable function present either way makes the finding `affected` (with the
symbols as evidence); none present gives `not_affected / vulnerable_code_not_present`.

Never `not_affected` without symbol data, nor when some function names or inline trees of the
binary could not be read in full (an absent name proves nothing then): a finding qualifies only
when at least one of its records lists symbols for every package it names, and no record names a
package without symbols (records without any `imports`, e.g. GHSA aliases of a GO record, add
nothing either way).
Only binaries with such findings are read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from hullscan.analyze.vex.context import TriageContext
from hullscan.analyze.vex.evidence.common import findings_of_type, read_file, statement
from hullscan.analyze.vex.evidence.gopclntab import GoFunctions, GoSymbolsError, read_go_functions
from hullscan.match.db import AdvisoryDB, AffectedRecord
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import PackageType
from hullscan.model.vex import Justification, StatementConfidence, StatementEvidence, VexStatement

GO_ECOSYSTEM = "Go"
_GENERIC = re.compile(r"\[[^\[\]]*\]")
_SUFFIXES = ("-fm", ".abi0", ".abiinternal")


@dataclass(frozen=True, slots=True)
class VulnerableSymbol:
    """A function an advisory names: its package import path and `Func` or `Type.Method`."""

    package: str
    symbol: str

    def __str__(self) -> str:
        return f"{self.package}.{self.symbol}"


def symbols_of(records: Iterable[AffectedRecord]) -> list[VulnerableSymbol] | None:
    """The vulnerable symbols the records name; None when symbol data is missing or partial."""
    found: list[VulnerableSymbol] = []
    for record in records:
        imports = (record.ecosystem_specific or {}).get("imports")
        if not imports:
            continue
        for item in imports:
            symbols = item.get("symbols") if isinstance(item, Mapping) else None
            path = item.get("path") if isinstance(item, Mapping) else None
            if not path or not symbols:
                return None
            found += [VulnerableSymbol(str(path), str(symbol)) for symbol in symbols]
    return list(dict.fromkeys(found)) or None


def normalize_function(rest: str) -> str:
    """`(*T).M` -> `T.M`, `T[...].M` -> `T.M`, wrapper suffixes dropped.

    >>> normalize_function("(*Tokenizer[go.shape.int]).Next-fm")
    'Tokenizer.Next'
    """
    for suffix in _SUFFIXES:
        rest = rest.removesuffix(suffix)
    previous = None
    while previous != rest:
        previous, rest = rest, _GENERIC.sub("", rest)
    return rest.replace("(*", "").replace(")", "")


def split_function(name: str) -> tuple[str, str] | None:
    """`pkg/path.Rest` -> (import path, rest); `%2e` in the last path element means `.`.

    >>> split_function("gopkg.in/yaml%2ev3.(*parser).parse")
    ('gopkg.in/yaml.v3', '(*parser).parse')
    """
    head = name.split("[", 1)[0]
    dot = head.find(".", head.rfind("/") + 1)
    if dot <= 0:
        return None
    return name[:dot].replace("%2e", "."), name[dot + 1 :]


class FunctionIndex:
    """The binary's function names grouped by package, normalized the way advisories write them."""

    def __init__(self, functions: GoFunctions) -> None:
        self.functions = functions
        self._by_package: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name in functions.all_names:
            split = split_function(name)
            if split is not None:
                self._by_package[split[0]].append((normalize_function(split[1]), name))

    def find(self, wanted: VulnerableSymbol) -> str | None:
        """The binary's name for the symbol (or for a closure inside it), or None when absent."""
        closure = wanted.symbol + ".func"
        for rest, name in sorted(self._by_package.get(wanted.package, ())):
            if rest == wanted.symbol or rest.startswith(closure):
                return name
        return None

    def is_inlined(self, name: str) -> bool:
        """True when the function has no compiled body of its own (present only inlined)."""
        return name in self.functions.inlined


def _records(
    database: AdvisoryDB, finding: Finding, cache: dict[str, list[AffectedRecord]]
) -> list[AffectedRecord]:
    """The finding's own records for its module (one DB query per module name)."""
    name = finding.package.name
    if name not in cache:
        cache[name] = database.advisories_for(GO_ECOSYSTEM, [name])[name]
    wanted = set(finding.advisory_ids)
    return [r for r in cache[name] if r.advisory_id in wanted]


def verdict(
    finding: Finding, binary: str, index: FunctionIndex, symbols: Sequence[VulnerableSymbol]
) -> VexStatement | None:
    """`affected` naming the linked vulnerable functions, `not_affected` when none is linked.

    None when none was found but the binary's names were not all read (`GoFunctions.complete`).
    """
    present = [(symbol, name) for symbol in symbols if (name := index.find(symbol)) is not None]
    if present:
        described = [
            f"{name} ({'inlined only' if index.is_inlined(name) else 'compiled'})" for _, name in present
        ]
        evidence = StatementEvidence(
            "go-symbols", "vulnerable functions linked: " + ", ".join(described), binary
        )
        return statement(
            finding, FindingStatus.AFFECTED, (evidence,), confidence=StatementConfidence.HIGH,
            impact=f"{len(present)} of {len(symbols)} vulnerable functions are in the binary",
            action="Upgrade the module and rebuild the binary.",
        )  # fmt: skip
    if not index.functions.complete:
        return None
    checked = ", ".join(str(s) for s in symbols)
    evidence = StatementEvidence(
        "go-symbols",
        f"none of the vulnerable functions is compiled or inlined in the binary "
        f"(pclntab layout {index.functions.layout}): {checked}",
        binary,
    )
    return statement(
        finding, FindingStatus.NOT_AFFECTED, (evidence,), confidence=StatementConfidence.HIGH,
        justification=Justification.VULNERABLE_CODE_NOT_PRESENT,
        impact="the vulnerable functions are not linked into the binary",
    )  # fmt: skip


def go_symbols(context: TriageContext) -> Iterator[VexStatement]:
    """Producer: symbol-level reachability for Go module findings (one read per binary)."""
    if context.view is None or context.database is None:
        return
    per_binary: dict[str, list[tuple[Finding, list[VulnerableSymbol]]]] = defaultdict(list)
    cache: dict[str, list[AffectedRecord]] = {}
    for finding in findings_of_type(context.findings, PackageType.GO):
        if not finding.package.locations or finding.status is not FindingStatus.AFFECTED:
            continue
        symbols = symbols_of(_records(context.database, finding, cache))
        if symbols is not None:
            per_binary[finding.package.locations[0].path].append((finding, symbols))
    for binary, items in sorted(per_binary.items()):
        index = _index(context, binary)
        if index is None:
            continue
        for finding, symbols in items:
            made = verdict(finding, binary, index, symbols)
            if made is not None:
                yield made


def _index(context: TriageContext, binary: str) -> FunctionIndex | None:
    data = read_file(context.view, binary)
    if data is None:
        return None
    try:
        return FunctionIndex(read_go_functions(data))
    except GoSymbolsError:
        return None


__all__ = [
    "FunctionIndex",
    "VulnerableSymbol",
    "go_symbols",
    "normalize_function",
    "split_function",
    "symbols_of",
    "verdict",
]
