"""`upgrade`, `compare`, `dedup`, `unbundle`: analyses over one or several images."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hullscan import api
from hullscan.cli.common import (
    EXIT_THRESHOLD,
    DbOpt,
    ImageArg,
    LayerProgress,
    OutFileOpt,
    console_for,
    emit,
    fail,
    image_options,
)
from hullscan.config import ScanOptions
from hullscan.errors import HullscanError


class UpgradeFormat(StrEnum):
    """Output formats of `hullscan upgrade`."""

    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


class UpgradeFailOn(StrEnum):
    """Verdicts that make `hullscan upgrade` exit 1."""

    REVIEW = "review"
    BREAKING = "breaking"


@image_options(scope=False)
def upgrade(
    old: Annotated[str, typer.Argument(help="The image in use now (reference as for `sbom`)")],
    new: Annotated[str, typer.Argument(help="The image to move to")],
    output: Annotated[
        UpgradeFormat, typer.Option("--output", "-o", help="Output format")
    ] = UpgradeFormat.TABLE,
    fail_on: Annotated[
        UpgradeFailOn | None, typer.Option("--fail-on", help="Exit 1 when the verdict is at least this")
    ] = None,
    file: OutFileOpt = None,
    db: DbOpt = None,
    *,
    options: ScanOptions,
) -> None:
    """Is moving from image OLD to image NEW safe? Packages, base, ABI, dependencies, CVEs, config."""
    try:
        with LayerProgress() as progress:
            report = api.upgrade(old, new, options, db=db, progress=progress)
    except HullscanError as error:
        fail(error)
    if output is UpgradeFormat.TABLE:
        from hullscan.encode.upgrade_terminal import print_report  # noqa: PLC0415

        with console_for(file) as console:
            print_report(console, report)
    else:
        from hullscan.encode import upgrade_html, upgrade_json, upgrade_markdown  # noqa: PLC0415

        encoders = {
            UpgradeFormat.JSON: upgrade_json.encode,
            UpgradeFormat.MARKDOWN: upgrade_markdown.encode,
            UpgradeFormat.HTML: upgrade_html.encode,
        }
        emit(encoders[output](report), file)
    ranks = {"safe": 0, "review": 1, "breaking": 2}
    if fail_on is not None and ranks[report.verdict.value] >= ranks[fail_on.value]:
        raise typer.Exit(EXIT_THRESHOLD)


class CompareFormat(StrEnum):
    """Output formats of `hullscan compare` and `hullscan dedup`."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


@image_options(scope=False)
def compare(
    images: Annotated[list[str], typer.Argument(help="Two or more images (references as for `sbom`)")],
    output: Annotated[
        CompareFormat, typer.Option("--output", "-o", help="Output format")
    ] = CompareFormat.TABLE,
    dedup: Annotated[
        bool, typer.Option("--dedup", help="Also stream every layer: what a deduplicating store saves")
    ] = False,
    file: OutFileOpt = None,
    db: DbOpt = None,
    *,
    options: ScanOptions,
) -> None:
    """Base image vs scratch, side by side: size, owners of the bytes, ecosystems, freshness, findings."""
    try:
        report = api.compare(list(images), options, db=db, with_dedup=dedup)
    except HullscanError as error:
        fail(error)
    from hullscan.encode import compare_html, compare_json, compare_markdown, compare_table  # noqa: PLC0415

    if output is CompareFormat.TABLE:
        with console_for(file) as console:
            compare_table.print_comparison(console, report)
        return
    encoders = {
        CompareFormat.JSON: compare_json.encode,
        CompareFormat.MARKDOWN: compare_markdown.encode,
        CompareFormat.HTML: compare_html.encode,
    }
    emit(encoders[output](report), file)


@image_options(scope=False)
def dedup(
    images: Annotated[list[str], typer.Argument(help="One or more images (references as for `sbom`)")],
    output: Annotated[
        CompareFormat, typer.Option("--output", "-o", help="Output format (html: use compare --dedup)")
    ] = CompareFormat.TABLE,
    file: OutFileOpt = None,
    *,
    options: ScanOptions,
) -> None:
    """What a deduplicating store would save: identical layers, files, bundled components and chunks."""
    try:
        report = api.dedup(list(images), options)
    except HullscanError as error:
        fail(error)
    from hullscan.encode import compare_json, compare_markdown, compare_table  # noqa: PLC0415

    if output is CompareFormat.JSON:
        emit(compare_json.encode_dedup(report), file)
    elif output is CompareFormat.TABLE:
        with console_for(file) as console:
            compare_table.print_dedup(console, report)
    else:
        emit(compare_markdown.encode_dedup(report), file)


class UnbundleFormat(StrEnum):
    """Output formats of `hullscan unbundle`."""

    PLAN = "plan"
    CONTAINERFILE = "containerfile"
    JSON = "json"


@image_options(scope=False)
def unbundle(
    image: ImageArg,
    distro: Annotated[
        str, typer.Option("--distro", help="Target distribution and release, e.g. debian:12")
    ] = "debian:12",
    output: Annotated[
        UnbundleFormat, typer.Option("--output", "-o", help="Output format")
    ] = UnbundleFormat.PLAN,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Score (0-100) from which a component is critical")
    ] = 40.0,
    no_contents: Annotated[
        bool, typer.Option("--no-contents", help="Do not read the Contents index (sonames)")
    ] = False,
    classes: Annotated[
        Path | None, typer.Option("--classes", help="Classification table (TOML) instead of the built-in one")
    ] = None,
    file: OutFileOpt = None,
    db: DbOpt = None,
    *,
    options: ScanOptions,
) -> None:
    """Which bundled dependencies are critical, and a plan to take them from distribution packages."""
    from hullscan.analyze.unbundle import UnbundleOptions  # noqa: PLC0415
    from hullscan.encode import unbundle_containerfile, unbundle_json, unbundle_plan  # noqa: PLC0415

    chosen = UnbundleOptions(distro=distro, threshold=threshold, contents=not no_contents, table=classes)
    try:
        with LayerProgress() as progress:
            plan = api.unbundle(image, options, chosen, db=db, progress=progress)
    except HullscanError as error:
        fail(error)
    encoders = {
        UnbundleFormat.PLAN: unbundle_plan.encode,
        UnbundleFormat.CONTAINERFILE: unbundle_containerfile.encode,
        UnbundleFormat.JSON: unbundle_json.encode,
    }
    emit(encoders[output](plan), file)
