"""`compare` / `dedup` as Markdown tables (for pull requests and chat)."""

from __future__ import annotations

from collections.abc import Sequence

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


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(header), "| " + " | ".join("---" for _ in header) + " |", *(line(r) for r in rows)]


def encode(comparison: Comparison) -> str:
    """Return the comparison as a Markdown document."""
    images = comparison.images
    names = [image.name for image in images]
    lines = ["# Image comparison", ""]
    rows: list[list[str]] = [
        ["size (files)", *(human_bytes(i.total_bytes) for i in images)],
        ["compressed layers", *(human_bytes(i.blob_bytes) for i in images)],
        ["files", *(str(i.total_files) for i in images)],
        ["layers", *(str(len(i.layers)) for i in images)],
    ]
    for owner, label in OWNER_LABELS.items():
        rows.append(
            [
                label,
                *(
                    f"{human_bytes(i.owned(owner).bytes)} · {i.owned(owner).files} files "
                    f"({percent(i.owned(owner).bytes, i.total_bytes)})"
                    if i.ownership
                    else "not computed"
                    for i in images
                ),
            ]
        )
    rows += [
        ["packages", *(packages_text(i) for i in images)],
        ["freshness", *(freshness_text(i) for i in images)],
        ["findings", *(findings_text(i) for i in images)],
        ["patch classes", *(patch_class_text(i) for i in images)],
    ]
    lines += _table(["", *names], rows)
    lines += ["", "## Layers", ""]
    for image in images:
        layer_rows = [
            [
                str(layer.index),
                layer.diff_id[7:19],
                human_bytes(layer.file_bytes),
                human_bytes(layer.blob_bytes),
                layer.created_by[:60],
            ]
            for layer in image.layers
        ]
        lines += [
            f"**{image.name}**",
            "",
            *_table(["#", "diff_id", "files", "blob", "created by"], layer_rows),
            "",
        ]
    lines += _shared(comparison)
    if comparison.dedup is not None:
        lines += ["", *encode_dedup(comparison.dedup).splitlines()]
    return "\n".join(lines) + "\n"


def _shared(comparison: Comparison) -> list[str]:
    lines = ["## Shared layers", ""]
    if not comparison.shared_layers:
        return [*lines, "No layer is shared (no common diff_id)."]
    rows = [
        [
            layer.diff_id[7:19],
            human_bytes(layer.file_bytes),
            ", ".join(f"{n} #{i}" for n, i in layer.positions),
            "yes" if layer.is_base else "no",
        ]
        for layer in comparison.shared_layers
    ]
    return lines + _table(["diff_id", "size", "held by", "base"], rows)


def encode_dedup(report: DedupReport) -> str:
    """Return the dedup report as Markdown."""
    lines = ["## Deduplication", ""]
    lines += _table(["stored as", "bytes kept", "saved", "saved %"], dedup_rows(report))
    lines += [
        "",
        f"Identical bundled components: {human_bytes(report.bundled_duplicate_bytes)} duplicated.",
        "",
    ]
    if report.components:
        rows = [
            [c.component, c.version or "?", human_bytes(c.size), str(c.copies), human_bytes(c.saved_bytes)]
            for c in report.components[:15]
        ]
        lines += [*_table(["component", "version", "size", "copies", "saved"], rows), ""]
    if report.top_files:
        rows = [
            [f.example.path, f.label, human_bytes(f.size), str(f.copies), human_bytes(f.saved_bytes)]
            for f in report.top_files[:15]
        ]
        lines += [
            "### Top duplicated files",
            "",
            *_table(["example path", "component", "size", "copies", "saved"], rows),
        ]
    return "\n".join(lines) + "\n"
