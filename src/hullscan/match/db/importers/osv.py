"""Read OSV records from an `all.zip` export (streamed member by member), a folder, or one file."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hullscan.match.db.errors import ImportSourceError

RECORD_SUFFIXES = frozenset({".json", ".yaml", ".yml"})
MAX_RECORD_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as parsed from its file, or the reason it could not be parsed."""

    location: str
    record: Any
    error: str | None = None


def read_zip(path: Path) -> Iterator[RawRecord]:
    """Yield the records of an OSV zip export one member at a time (never the whole zip in memory)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportSourceError(f"{path} is not a readable zip file: {error}") from error
    with archive:
        for member in archive.infolist():
            suffix = Path(member.filename).suffix.lower()
            if member.is_dir() or suffix not in RECORD_SUFFIXES:
                continue
            location = f"{path}!{member.filename}"
            if member.file_size > MAX_RECORD_BYTES:
                yield RawRecord(location, None, f"member is larger than {MAX_RECORD_BYTES} bytes")
                continue
            try:
                data = archive.read(member)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                yield RawRecord(location, None, f"cannot read member: {error}")
                continue
            yield from _parse(location, data, suffix)


def read_file(path: Path) -> Iterator[RawRecord]:
    """Yield the record(s) of one .json/.yaml file (a JSON array yields each element)."""
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            yield RawRecord(str(path), None, f"file is larger than {MAX_RECORD_BYTES} bytes")
            return
        data = path.read_bytes()
    except OSError as error:
        raise ImportSourceError(f"cannot read {path}: {error}") from error
    yield from _parse(str(path), data, path.suffix.lower())


def _parse(location: str, data: bytes, suffix: str) -> Iterator[RawRecord]:
    try:
        if suffix == ".json":
            parsed = json.loads(data)
        else:
            parsed = yaml.safe_load(data)
    except (ValueError, yaml.YAMLError) as error:
        yield RawRecord(location, None, f"not valid {suffix.lstrip('.').upper()}: {_first_line(error)}")
        return
    if isinstance(parsed, list):
        for index, item in enumerate(parsed):
            yield RawRecord(f"{location}[{index}]", item)
    else:
        yield RawRecord(location, parsed)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
