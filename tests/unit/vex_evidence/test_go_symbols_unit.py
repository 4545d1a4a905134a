"""go_symbols pieces: name normalization, symbol data rules, and a real stripped Debian Go binary."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from hullscan.analyze.vex.evidence.go_symbols import (
    VulnerableSymbol,
    normalize_function,
    split_function,
    symbols_of,
)
from hullscan.analyze.vex.evidence.gopclntab import GoSymbolsError, read_go_functions
from hullscan.match.db import AffectedRecord

from .helpers import FIXTURES

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
