"""go_symbols pieces: name normalization, symbol data rules, and a real stripped Debian Go binary."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from hullscan.analyze.vex.evidence.go_symbols import (
    FunctionIndex,
    VulnerableSymbol,
    normalize_function,
    split_function,
    symbols_of,
    verdict,
)
from hullscan.analyze.vex.evidence.gopclntab import GoFunctions, GoSymbolsError, read_go_functions
from hullscan.match.db import AffectedRecord
from hullscan.model.finding import Finding, FindingStatus
from hullscan.model.package import PackageType

from .helpers import FIXTURES, finding, package

RECORD = json.loads((FIXTURES / "osv" / "GO-2026-5970.json").read_text())


def _affected(specific: Mapping[str, object]) -> AffectedRecord:
    return AffectedRecord(
        "GO-TEST", "Go", "Go", "", "golang.org/x/text", "golang.org/x/text", None, (), (), None, (),
        ecosystem_specific=specific,
    )  # fmt: skip


def test_real_record_symbols_are_read() -> None:
    specific = RECORD["affected"][0]["ecosystem_specific"]
    symbols = symbols_of([_affected(specific)])
    assert symbols is not None
    wanted = {(i["path"], s) for i in specific["imports"] for s in i["symbols"]}
    assert {(s.package, s.symbol) for s in symbols} == wanted


def test_missing_symbol_data_never_qualifies() -> None:
    assert symbols_of([_affected({})]) is None
    assert symbols_of([_affected({"imports": [{"path": "golang.org/x/text/language"}]})]) is None
    partial = {"imports": [{"path": "a/b", "symbols": ["F"]}, {"path": "a/c"}]}
    assert symbols_of([_affected(partial)]) is None


def test_names_normalize_like_advisories_write_them() -> None:
    assert normalize_function("(*Tokenizer).Next") == "Tokenizer.Next"
    assert normalize_function("Map[go.shape.string,go.shape.int].Get") == "Map.Get"
    assert normalize_function("(*Map[go.shape.string]).Get-fm") == "Map.Get"
    assert split_function("gopkg.in/yaml%2ev3.Unmarshal") == ("gopkg.in/yaml.v3", "Unmarshal")
    assert split_function("net/http.(*Server).Serve") == ("net/http", "(*Server).Serve")
    assert split_function("main.main") == ("main", "main")
    assert str(VulnerableSymbol("net/http", "Server.Serve")) == "net/http.Server.Serve"


def test_reads_the_stripped_go_tool_of_debian() -> None:
    go = shutil.which("go")
    if go is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "golang-go"], check=True, capture_output=True)
        go = shutil.which("go")
    assert go is not None
    binary = Path(go).resolve()
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
    assert (
        "no symbol"
        in subprocess.run([go, "tool", "nm", str(binary)], capture_output=True, text=True, check=False).stderr
    )
    found = read_go_functions(binary.read_bytes())
    minor = int(version.split("go1.")[1].split(".")[0].split()[0])
    assert found.layout == ("1.20" if minor >= 20 else "1.18" if minor >= 18 else "1.16")
    assert {"main.main", "runtime.main", "cmd/go/internal/work.(*Builder).Do"} <= found.functions
    assert found.inlined
    assert not found.inlined & found.functions


@pytest.mark.parametrize("data", [b"", b"not an elf", b"\x7fELF" + b"\x00" * 60])
def test_garbage_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(GoSymbolsError):
        read_go_functions(data)


def test_non_go_elf_and_truncated_go_binary_are_errors() -> None:
    with pytest.raises(GoSymbolsError, match="no Go pclntab"):
        read_go_functions(Path("/bin/true").read_bytes())
    go = shutil.which("go")
    assert go is not None
    data = Path(go).resolve().read_bytes()
    with pytest.raises(GoSymbolsError):
        read_go_functions(data[: len(data) // 3])


def _debian_go_binary() -> bytes:
    go = shutil.which("go")
    if go is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "golang-go"], check=True, capture_output=True)
        go = shutil.which("go")
    assert go is not None
    return Path(go).resolve().read_bytes()


def test_inlined_names_with_spaces_do_not_end_the_inline_tree() -> None:
    """Newer Go spells shapes with spaces (`go.shape.struct { a int }`): later entries must still count.

    Ground truth: renaming functions in the name table (a space inside each name) must rename them
    in the result and change nothing else.
    """
    data = _debian_go_binary()
    original = read_go_functions(data)
    assert original.complete
    renamed: dict[str, str] = {}
    for name in sorted(original.inlined)[::25]:
        dot = name.rfind(".")
        if dot > 0 and name.count(".") >= 2 and "\x00" not in name:
            renamed[name] = f"{name[:dot]} {name[dot + 1 :]}"
    assert len(renamed) > 10
    mutated = data
    for old, new in renamed.items():
        mutated = mutated.replace(b"\x00" + old.encode() + b"\x00", b"\x00" + new.encode() + b"\x00")
    found = read_go_functions(mutated)
    assert found.inlined == (original.inlined - renamed.keys()) | set(renamed.values())
    assert found.complete


def _go_finding() -> Finding:
    module = package("golang.org/x/text", "v0.7.0", PackageType.GO)
    return finding("GO-TEST", module, advisories=["GO-TEST"])


def test_absent_symbol_is_not_affected_only_when_every_name_was_read() -> None:
    wanted = [VulnerableSymbol("golang.org/x/text/unicode/norm", "Form.FirstBoundaryInString")]
    read_fully = GoFunctions("1.20", frozenset({"main.main"}), frozenset())
    made = verdict(_go_finding(), "/app", FunctionIndex(read_fully), wanted)
    assert made is not None
    assert made.status is FindingStatus.NOT_AFFECTED
    partly = GoFunctions("1.20", frozenset({"main.main"}), frozenset(), unread=1)
    assert verdict(_go_finding(), "/app", FunctionIndex(partly), wanted) is None


def test_present_symbol_is_affected_even_when_the_read_was_partial() -> None:
    wanted = [VulnerableSymbol("golang.org/x/text/unicode/norm", "Form.FirstBoundaryInString")]
    name = "golang.org/x/text/unicode/norm.Form.FirstBoundaryInString"
    partly = GoFunctions("1.20", frozenset({"main.main"}), frozenset({name}), unread=1)
    made = verdict(_go_finding(), "/app", FunctionIndex(partly), wanted)
    assert made is not None
    assert made.status is FindingStatus.AFFECTED
