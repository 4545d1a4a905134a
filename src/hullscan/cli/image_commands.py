"""`inspect`, `files`, `sbom`: what is in an image."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from hullscan import api
from hullscan.cli.common import (
    ImageArg,
    LayerProgress,
    OutFileOpt,
    console_for,
    emit,
    fail,
    image_options,
    out,
)
from hullscan.config import ScanOptions
from hullscan.encode.registry import InventoryFormat
from hullscan.errors import HullscanError
from hullscan.model.inventory import Inventory


@image_options(scope=False)
def inspect(
    image: ImageArg,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
    *,
    options: ScanOptions,
) -> None:
    """Print the image description (digest, platform, config, history) and per-layer figures."""
    try:
        with LayerProgress() as progress:
            report = api.inspect(image, options, progress)
    except HullscanError as error:
        fail(error)
    if json_out:
        from hullscan.encode.json_inventory import describe_image  # noqa: PLC0415

        doc = {
            "image": describe_image(report.description),
            "layers": [asdict(s) for s in report.layers],
            "totalFiles": report.total_files,
            "totalBytes": report.total_bytes,
            "warnings": list(report.warnings),
        }
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    from hullscan.cli import render  # noqa: PLC0415 - tables load only when drawn

    render.print_inspect(out, report)


@image_options()
def files(
    image: ImageArg,
    layer: Annotated[int | None, typer.Option("--layer", help="Only files of layer N (0 = base)")] = None,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Only files a later layer deleted or replaced")
    ] = False,
    *,
    options: ScanOptions,
) -> None:
    """List the image's files with the layer each came from."""
    try:
        with LayerProgress() as progress:
            records = list(api.files(image, options, layer=layer, deleted=deleted, progress=progress))
    except HullscanError as error:
        fail(error)
    from hullscan.cli import render  # noqa: PLC0415 - tables load only when drawn

    render.print_files(out, records)


@image_options()
def sbom(
    image: ImageArg,
    output: Annotated[
        InventoryFormat, typer.Option("--output", "-o", help="Output format")
    ] = InventoryFormat.TABLE,
    file: OutFileOpt = None,
    reproducible: Annotated[
        bool, typer.Option(help="Fixed time (SOURCE_DATE_EPOCH, else image date) and serial (image digest)")
    ] = False,
    timestamp: Annotated[str | None, typer.Option(help="Document time (ISO 8601)")] = None,
    *,
    options: ScanOptions,
) -> None:
    """Inventory every OS and language package in the image."""
    inventory = _inventory(image, options)
    if output is InventoryFormat.TABLE:
        from hullscan.cli import render  # noqa: PLC0415 - tables load only when drawn

        with console_for(file) as console:
            render.print_inventory(console, inventory)
        return
    from hullscan.encode.registry import encode_with_options  # noqa: PLC0415

    try:
        text = encode_with_options(inventory, output, reproducible=reproducible, timestamp=timestamp)
    except HullscanError as error:
        fail(error)
    emit(text, file)


def _inventory(image: str, options: ScanOptions) -> Inventory:
    """Inventory the image behind a progress bar; exit with the diagnostics on failure."""
    try:
        with LayerProgress() as progress:
            return api.inventory(image, options, progress, on_catalog_layer=progress.cataloging)
    except HullscanError as error:
        fail(error)


class BundledFormat(StrEnum):
    """Output formats of `hullscan bundled`."""

    TABLE = "table"
    JSON = "json"


@image_options()
def bundled(
    image: ImageArg,
    output: Annotated[
        BundledFormat, typer.Option("--output", "-o", help="Output format")
    ] = BundledFormat.TABLE,
    file: OutFileOpt = None,
    *,
    options: ScanOptions,
) -> None:
    """Native components bundled where no package manager sees them, and every copy of each."""
    from hullscan.encode import bundled_report  # noqa: PLC0415

    inventory = _inventory(image, options)
    if output is BundledFormat.JSON:
        emit(bundled_report.encode_json(inventory), file)
        return
    with console_for(file) as console:
        bundled_report.print_table(console, inventory)
