"""The classification table (`classes.toml`, data) and matching packages against it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hullscan.analyze.unbundle.errors import ClassTableError
from hullscan.model.package import Package, PackageType

_NORMALIZE = re.compile(r"[-_.]+")


def normalized(name: str) -> str:
    """Return a PEP 503-style name (`PyYAML` -> `pyyaml`, `charset_normalizer` -> `charset-normalizer`)."""
    return _NORMALIZE.sub("-", name).lower()


@dataclass(frozen=True, slots=True)
class ComponentClass:
    """One row of the table."""

    name: str
    label: str
    weight: float
    untrusted_input: bool
    upstream: frozenset[str]
    pypi: frozenset[str]
    npm: frozenset[str]
    debian: frozenset[str]
    keywords: tuple[str, ...]
    parser_symbols: frozenset[str]


@dataclass(frozen=True, slots=True)
class ClassTable:
    """The whole table."""

    classes: tuple[ComponentClass, ...]

    def classes_of(self, package: Package) -> list[ComponentClass]:
        """Return the classes a package belongs to, by name first, then by metadata keywords."""
        named = [c for c in self.classes if _member(c, package)]
        if named:
            return named
        text = _metadata_text(package)
        return [c for c in self.classes if text and any(_word(k, text) for k in c.keywords)]

    def debian_sources(self, package: Package) -> list[str]:
        """Return Debian source names the table lists for the package's classes and name."""
        out = [str(package.metadata.get("debian_source") or "")]
        name = normalized(package.name)
        out += [s for c in self.classes_of(package) for s in c.debian if normalized(s).endswith(name)]
        return [s for s in dict.fromkeys(out) if s]


def _member(row: ComponentClass, package: Package) -> bool:
    name = package.name.lower()
    if package.type is PackageType.BINARY:
        return str(package.metadata.get("component", name)).lower() in row.upstream
    if package.type is PackageType.PYTHON:
        return normalized(name) in row.pypi
    if package.type is PackageType.NPM:
        return name in row.npm
    return False


def _metadata_text(package: Package) -> str:
    parts: list[str] = []
    for key in ("summary", "keywords", "classifiers", "description"):
        value = package.metadata.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, Sequence):
            parts.extend(str(v) for v in value)
    return " ".join(parts).lower()


def _word(keyword: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(keyword.lower())}\b", text) is not None


def parse_table(data: Mapping[str, Any]) -> ClassTable:
    """Build a table from parsed TOML; raise `ClassTableError` on a bad row."""
    rows = data.get("class")
    if not isinstance(rows, Mapping) or not rows:
        raise ClassTableError("the classification table has no [class.NAME] tables")
    return ClassTable(tuple(_row(name, row) for name, row in rows.items()))


def _row(name: str, row: Any) -> ComponentClass:
    if not isinstance(row, Mapping):
        raise ClassTableError(f"class {name!r} is not a table")
    weight = row.get("weight")
    if not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise ClassTableError(f"class {name!r}: weight must be a number between 0 and 1, not {weight!r}")

    def names(key: str) -> frozenset[str]:
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ClassTableError(f"class {name!r}: {key} must be a list of strings")
        return frozenset(v.lower() for v in value)

    return ComponentClass(
        name=name,
        label=str(row.get("label", name)),
        weight=float(weight),
        untrusted_input=bool(row.get("untrusted_input", False)),
        upstream=names("upstream"),
        pypi=frozenset(normalized(n) for n in names("pypi")),
        npm=names("npm"),
        debian=names("debian"),
        keywords=tuple(sorted(names("keywords"))),
        parser_symbols=frozenset(row.get("parser_symbols", [])),
    )


def load_table(path: Path | None = None) -> ClassTable:
    """Load `path`, or the bundled `classes.toml` when None."""
    if path is None:
        return _bundled_table()
    try:
        return parse_table(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ClassTableError(f"cannot read the classification table {path}: {error}") from error


@cache
def _bundled_table() -> ClassTable:
    text = resources.files("hullscan.analyze.unbundle").joinpath("classes.toml").read_text(encoding="utf-8")
    return parse_table(tomllib.loads(text))
