"""Recognize an SBOM file by its content and load it within a size cap.

CycloneDX JSON (`bomFormat`), CycloneDX XML (the `http://cyclonedx.org/schema/bom/` namespace),
SPDX 2.x JSON (`spdxVersion`) and SPDX tag-value (`SPDXVersion:`); anything else is not an SBOM.
"""

from __future__ import annotations

import codecs
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from hullscan.errors import SbomError

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 128 * MIB
"""Largest document read; bigger files are refused before parsing (memory guard)."""
SNIFF_BYTES = 64 * 1024
_TAG_VALUE = re.compile(rb"^\s*SPDXVersion\s*:", re.MULTILINE)
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(bom|RDF|Document|SpdxDocument)\b")


class SbomKind(StrEnum):
    """The document formats hullscan reads."""

    JSON = "json"
    """A JSON object: CycloneDX or SPDX, decided by its keys once parsed."""
    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"
    SPDX_TAG_VALUE = "spdx-tag-value"


def _strip_bom(head: bytes) -> bytes:
    return head.removeprefix(codecs.BOM_UTF8)


def sniff(head: bytes) -> SbomKind | None:
    """Return the SBOM kind the first bytes of a file suggest, or None for anything else.

    Any JSON object counts (`JSON`): no image source is a JSON file, and a JSON file that is not
    CycloneDX or SPDX is better refused with an SBOM error than taken for an image.
    """
    text = _strip_bom(head).lstrip()
    if text.startswith((b"{", b"[")):
        return SbomKind.JSON  # keys may come in any order: the parsed document decides
    if text.startswith(b"<"):
        match = _XML_ROOT.search(text)
        if match and match.group(1) == b"bom" and b"cyclonedx.org/schema/bom" in text:
            return SbomKind.CYCLONEDX_XML
        return None
    if _TAG_VALUE.search(text[:SNIFF_BYTES]):
        return SbomKind.SPDX_TAG_VALUE
    return None


def sniff_path(path: Path) -> SbomKind | None:
    """Return the SBOM kind of a regular file, or None (directories, tar archives, other files)."""
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    return sniff(head)


def read_capped(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Return the file's bytes, refusing files larger than `max_bytes`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_large(path, size, max_bytes)
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise SbomError(f"cannot read {path}: {error.strerror or error}") from error
    if len(data) > max_bytes:
        raise _too_large(path, len(data), max_bytes)
    return data


def _too_large(path: Path, size: int, max_bytes: int) -> SbomError:
    return SbomError(
        f"{path} is {size / MIB:.0f} MiB; SBOM documents larger than {max_bytes / MIB:.0f} MiB are refused",
        hint="Split the SBOM, or raise the cap (read_sbom(max_bytes=...)) if the file is trusted.",
    )


def load_json(data: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON document whose top level must be an object."""
    try:
        doc = json.loads(_strip_bom(data).decode("utf-8"))
    except UnicodeDecodeError as error:
        raise SbomError(f"{what} is not UTF-8 text: {error.reason}") from error
    except RecursionError:
        raise SbomError(f"{what} nests too deeply to be a real SBOM") from None
    except ValueError as error:
        raise SbomError(f"{what} is not valid JSON: {error}") from error
    if not isinstance(doc, dict):
        raise SbomError(f"{what} is JSON but not an object at the top level")
    return doc


def decode_text(data: bytes, what: str) -> str:
    """Return the document as text (UTF-8, BOM removed)."""
    try:
        return _strip_bom(data).decode("utf-8")
    except UnicodeDecodeError as error:
        raise SbomError(f"{what} is not UTF-8 text: {error.reason}") from error
