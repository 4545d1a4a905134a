"""Inventory output formats: the names a user types and the encoder behind each.

`table` is drawn by the CLI (it needs a terminal); every other format is text made here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

from hullscan.errors import SbomError

if TYPE_CHECKING:
    from hullscan.encode.sbom_fields import DocumentOptions
    from hullscan.model.inventory import Inventory


class InventoryFormat(StrEnum):
    """Output formats of `hullscan sbom` (`@1.5` picks the older CycloneDX spec)."""

    TABLE = "table"
    JSON = "json"
    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    CYCLONEDX_JSON_1_5 = "cyclonedx-json@1.5"
    CYCLONEDX_XML_1_5 = "cyclonedx-xml@1.5"
    SPDX_JSON = "spdx-json"
    SPDX_TAG_VALUE = "spdx-tag-value"


def parse_format(text: str, spec_version: str | None = None) -> InventoryFormat:
    """Return the format named `text`, with `spec_version` (CycloneDX `1.5`/`1.6`) folded in."""
    name = text.strip().lower()
    if spec_version and spec_version not in {"1.6", "1.5"}:
        raise SbomError(f"unsupported CycloneDX spec version {spec_version!r}", hint="Use 1.6 or 1.5.")
    if spec_version == "1.5" and name in {"cyclonedx-json", "cyclonedx-xml"}:
        name += "@1.5"
    if name.endswith("@1.6"):
        name = name.removesuffix("@1.6")
    try:
        return InventoryFormat(name)
    except ValueError:
        choices = ", ".join(f.value for f in InventoryFormat)
        raise SbomError(f"unknown output format {text!r}", hint=f"Choose one of: {choices}.") from None


def encode(  # noqa: PLR0911 - one return per format keeps the match exhaustive (assert_never)
    inventory: Inventory, output: InventoryFormat, options: DocumentOptions | None = None
) -> str:
    """Return the inventory in `output` (any format but `table`) as text."""
    if output is InventoryFormat.JSON:  # hullscan's own JSON needs none of the spec libraries
        from hullscan.encode import json_inventory  # noqa: PLC0415 - each format loads on demand

        return json_inventory.encode(inventory)
    from hullscan.encode import cyclonedx, spdx  # noqa: PLC0415 - heavy spec libraries
    from hullscan.encode.sbom_fields import DocumentOptions  # noqa: PLC0415

    document = options or DocumentOptions()
    v15 = cyclonedx.CycloneDxVersion.V1_5
    match output:
        case InventoryFormat.TABLE:
            raise SbomError("the table format is drawn by the command line, not encoded")
        case InventoryFormat.JSON:
            raise AssertionError("handled above")
        case InventoryFormat.CYCLONEDX_JSON:
            return cyclonedx.encode_json(inventory, options=document)
        case InventoryFormat.CYCLONEDX_XML:
            return cyclonedx.encode_xml(inventory, options=document)
        case InventoryFormat.CYCLONEDX_JSON_1_5:
            return cyclonedx.encode_json(inventory, v15, options=document)
        case InventoryFormat.CYCLONEDX_XML_1_5:
            return cyclonedx.encode_xml(inventory, v15, options=document)
        case InventoryFormat.SPDX_JSON:
            return spdx.encode_json(inventory, document)
        case InventoryFormat.SPDX_TAG_VALUE:
            return spdx.encode_tag_value(inventory, document)
        case _:
            assert_never(output)


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 creation time (`Z` allowed); a time without zone is taken as UTC."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise SbomError(
            f"not an ISO 8601 timestamp: {text!r}", hint="Write it like 2024-01-01T00:00:00Z."
        ) from None


def encode_with_options(
    inventory: Inventory, output: InventoryFormat, *, reproducible: bool = False, timestamp: str | None = None
) -> str:
    """Return the inventory in `output`, stamped as the command line asked (see `DocumentOptions`)."""
    stamp = parse_timestamp(timestamp) if timestamp else None
    if output is InventoryFormat.JSON:  # carries no document clock
        return encode(inventory, output)
    from hullscan.encode.sbom_fields import DocumentOptions  # noqa: PLC0415

    return encode(inventory, output, DocumentOptions(reproducible=reproducible, timestamp=stamp))
