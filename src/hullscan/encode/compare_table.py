"""`compare` / `dedup` as rich tables for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from hullscan.analyze.compare.model import Comparison
from hullscan.analyze.dedup.model import DedupReport
from hullscan.encode.compare_common import (
    OWNER_LABELS,
    dedup_rows,
    findings_text,
    freshness_text,
    human_bytes,
    packages_text,
    patch_class_text,
    percent,
)


def print_comparison(console: Console, comparison: Comparison) -> None:
    """Print the side-by-side table, shared layers, and the dedup section when present."""
    images = comparison.images
    table = Table(title="Image comparison", show_lines=False)
    table.add_column("")
    for image in images:
        table.add_column(image.name, overflow="fold")
    table.add_row("size (files)", *(human_bytes(i.total_bytes) for i in images))
    table.add_row("compressed layers", *(human_bytes(i.blob_bytes) for i in images))
    table.add_row("files", *(str(i.total_files) for i in images))
    table.add_row(
        "layers", *(" + ".join(human_bytes(layer.file_bytes) for layer in i.layers) for i in images)
    )
    for owner, label in OWNER_LABELS.items():
        cells = (
            f"{human_bytes(i.owned(owner).bytes)} ({percent(i.owned(owner).bytes, i.total_bytes)})"
            if i.ownership
            else "not computed"
            for i in images
        )
        table.add_row(label, *cells)
    table.add_row("packages", *(packages_text(i) for i in images))
    table.add_row("freshness", *(freshness_text(i) for i in images))
    table.add_row("findings", *(findings_text(i) for i in images))
    table.add_row("patch classes", *(patch_class_text(i) for i in images))
    console.print(table)
    for layer in comparison.shared_layers:
        held = ", ".join(f"{name} #{index}" for name, index in layer.positions)
        kind = "base layer" if layer.is_base else "layer"
        console.print(f"shared {kind} {layer.diff_id[:19]} ({human_bytes(layer.file_bytes)}): {held}")
    if comparison.dedup is not None:
        print_dedup(console, comparison.dedup)


def print_dedup(console: Console, report: DedupReport) -> None:
    """Print what a deduplicating store would keep, and the top duplicated components."""
    table = Table(title="Deduplication")
    for header in ("stored as", "bytes kept", "saved", "saved %"):
        table.add_column(header, justify="left" if header == "stored as" else "right")
    for row in dedup_rows(report):
        table.add_row(*row)
    console.print(table)
    console.print(f"identical bundled components: {human_bytes(report.bundled_duplicate_bytes)} duplicated")
    if report.components:
        components = Table(title="Top duplicated components")
        for header in ("component", "version", "size", "copies", "saved"):
            components.add_column(header)
        for item in report.components[:10]:
            components.add_row(
                item.component, item.version or "?", human_bytes(item.size), str(item.copies),
                human_bytes(item.saved_bytes),
            )  # fmt: skip
        console.print(components)
    if report.top_files:
        files = Table(title="Top duplicated files")
        for header in ("example path", "size", "copies", "saved"):
            files.add_column(header, overflow="fold")
        for duplicate in report.top_files[:10]:
            files.add_row(
                duplicate.example.path,
                human_bytes(duplicate.size),
                str(duplicate.copies),
                human_bytes(duplicate.saved_bytes),
            )
        console.print(files)
